"""The write-ahead journal: SQLite (WAL, file mode 0600) in the user state folder.

Two tables. ``jobs`` holds the current state of every job (one row each, rewritten on every change).
``entries`` is append-only (triggers refuse UPDATE and DELETE) and hash-chained: each row's ``hash`` is the
sha256 of the previous row's hash followed by the row's canonical JSON, so any edit, insertion or removal
shows in :func:`verify_chain`.

Writes are synchronous and short (one small transaction, WAL with ``synchronous=NORMAL`` survives a killed
process; measured well under a millisecond each on this machine), so they may run on the event loop; reads
that can be large (``all_jobs``) are also offered as ``*_async`` wrappers that run in a thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from lrtui.engine.codec import canonical, job_from_dict, job_to_dict, result_to_dict
from lrtui.engine.jobs import CommandResult, Job, JobState

GENESIS = "0" * 64
SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, batch_id TEXT, machine_id TEXT, action_id TEXT, state TEXT, outcome TEXT,
    created_at REAL, updated_at REAL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
CREATE INDEX IF NOT EXISTS jobs_action ON jobs(action_id);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY, at REAL NOT NULL, kind TEXT NOT NULL, job_id TEXT, data TEXT NOT NULL,
    prev TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
    BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
    BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
"""


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    at: float
    kind: str
    job_id: str | None
    data: dict[str, Any]
    prev: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "kind": self.kind,
            "job_id": self.job_id,
            "data": self.data,
            "prev": self.prev,
            "hash": self.hash,
        }


def entry_hash(prev: str, seq: int, at: float, kind: str, job_id: str | None, data: dict[str, Any]) -> str:
    body = canonical({"seq": seq, "at": at, "kind": kind, "job_id": job_id, "data": data})
    return hashlib.sha256((prev + body).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    count: int
    first_bad: int | None = None  #: seq of the first entry that does not verify
    reason: str = ""


REDACTED_KEYS = frozenset({"seq", "prev", "hash", "redacted"})


def verify_chain(entries: Iterable[Entry | dict[str, Any]]) -> ChainReport:
    """Recompute every hash; report the first entry whose link or content was changed.

    An exported bundle may carry *redacted* entries (another case's): only their links are checked, and such an
    entry may hold nothing but its links, so marking a changed entry "redacted" cannot hide the change."""
    prev = GENESIS
    n = 0
    expected_seq = None
    for e in entries:
        d = e.to_dict() if isinstance(e, Entry) else e
        n += 1
        if expected_seq is not None and d["seq"] != expected_seq:
            return ChainReport(False, n, d["seq"], f"entry {expected_seq} is missing")
        if d["prev"] != prev:
            return ChainReport(False, n, d["seq"], f"entry {d['seq']} does not follow the entry before it")
        if d.get("redacted"):
            if set(d) - REDACTED_KEYS:
                return ChainReport(False, n, d["seq"], f"entry {d['seq']} is marked redacted but carries content")
        elif entry_hash(prev, d["seq"], d["at"], d["kind"], d["job_id"], d["data"]) != d["hash"]:
            return ChainReport(False, n, d["seq"], f"entry {d['seq']} was changed after it was written")
        prev = d["hash"]
        expected_seq = d["seq"] + 1
    return ChainReport(True, n)


#: the reads of the ``jobs`` table (fixed statements; values are bound as parameters)
_ALL_JOBS = "SELECT data FROM jobs ORDER BY created_at, rowid"
_UNFINISHED_JOBS = "SELECT data FROM jobs WHERE state != ? ORDER BY created_at, rowid"
_JOB_BY_ID = "SELECT data FROM jobs WHERE id = ? ORDER BY created_at, rowid"
_JOBS_BY_ACTION = "SELECT data FROM jobs WHERE action_id = ? ORDER BY created_at, rowid"


def create_private_file(path: Path) -> Path:
    """Create ``path`` (and its folder, 0700) with mode 0600 if missing; tighten it if it exists."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
    return path


class Journal:
    """One SQLite connection, used from the event loop (short writes) and from threads under a lock."""

    def __init__(self, path: Path | str, *, wall: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.wall = wall
        self._db: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        self._last_hash = GENESIS
        self._last_seq = 0

    # ------------------------------------------------------------ lifecycle

    def open(self) -> Journal:
        if self._db is not None:
            return self
        create_private_file(self.path)  # 0600 before sqlite ever opens it
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=5000")
        db.executescript(SCHEMA)
        for side in ("-wal", "-shm"):
            p = self.path.with_name(self.path.name + side)
            if p.exists():
                p.chmod(0o600)
        row = db.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
        if row:
            self._last_seq, self._last_hash = row[0], row[1]
        self._db = db
        return self

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> Journal:
        return self.open()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self.open()
        assert self._db is not None
        return self._db

    # ------------------------------------------------------------ writes

    def _write(self, kind: str, job: Job | None, data: dict[str, Any]) -> None:
        self._write_many([(kind, job, data)])

    def _write_many(self, items: list[tuple[str, Job | None, dict[str, Any]]]) -> None:
        """Several records in one transaction (all or nothing)."""
        now = self.wall()
        with self._lock:
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            seq, h = self._last_seq, self._last_hash
            try:
                for kind, job, data in items:
                    seq, h = self._insert(db, now, seq, h, kind, job, data)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            self._last_seq, self._last_hash = seq, h

    @staticmethod
    def _insert(
        db: sqlite3.Connection, now: float, seq: int, prev: str, kind: str, job: Job | None, data: dict[str, Any]
    ) -> tuple[int, str]:
        if job is not None:
            d = job_to_dict(job)
            db.execute(
                "INSERT INTO jobs(id, batch_id, machine_id, action_id, state, outcome, created_at, updated_at,"
                " data) VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET action_id=excluded.action_id,"
                " state=excluded.state, outcome=excluded.outcome, updated_at=excluded.updated_at,"
                " data=excluded.data",
                (
                    job.id,
                    job.batch_id,
                    job.machine_id,
                    job.action_id,
                    job.state.value,
                    job.outcome.value if job.outcome else None,
                    job.created_at,
                    now,
                    canonical(d),
                ),
            )
        seq += 1
        data = json.loads(canonical(data))  # exactly what will be read back
        h = entry_hash(prev, seq, now, kind, job.id if job else None, data)
        db.execute(
            "INSERT INTO entries(seq, at, kind, job_id, data, prev, hash) VALUES(?,?,?,?,?,?,?)",
            (seq, now, kind, job.id if job else None, canonical(data), prev, h),
        )
        return seq, h

    @staticmethod
    def _job_data(job: Job) -> dict[str, Any]:
        return {
            "machine_id": job.machine_id,
            "machine_name": job.machine_name,
            "batch_id": job.batch_id,
            "priority": job.priority.value,
            "sequence": job.sequence.to_body(),
            "state": job.state.value,
            "outcome": job.outcome.value if job.outcome else None,
            "error": job.error_message,
        }

    def record_job(self, job: Job) -> None:
        """A new job (before anything is sent for it)."""
        self._write("job", job, self._job_data(job))

    def record_jobs(self, jobs: list[Job]) -> None:
        """Many new jobs in one transaction (a bulk submit stays one short write)."""
        if jobs:
            self._write_many([("job", j, self._job_data(j)) for j in jobs])

    def record_submitting(self, job: Job) -> None:
        """Write-ahead: the POST for this job is about to go."""
        self._write("submit", job, {"machine_id": job.machine_id, "attempt": job.attempts})

    def record_action(self, job: Job, requestor: str | None = None) -> None:
        """The action id is known (``requestor``: who the service says submitted it)."""
        self._write(
            "action",
            job,
            {
                "action_id": job.action_id,
                "status": job.action_status,
                "machine_id": job.machine_id,
                "requestor": requestor,
            },
        )

    def record_state(self, job: Job, what: str = "state") -> None:
        """A status change (service status, command statuses, local state or outcome)."""
        self._write(
            what,
            job,
            {
                "state": job.state.value,
                "action_status": job.action_status,
                "command_status": job.command_status,
                "outcome": job.outcome.value if job.outcome else None,
            },
        )

    def record_result(self, job: Job, result: CommandResult) -> None:
        data = result_to_dict(result)
        if result.script is not None:  # the entry keeps the exit code and hashes, not the whole output
            data["script"] = {
                "exit_code": result.script.exit_code,
                "stdout_sha256": hashlib.sha256(result.script.script_output.encode()).hexdigest(),
                "stderr_sha256": hashlib.sha256(result.script.script_errors.encode()).hexdigest(),
            }
        self._write("result", job, data)

    def record_error(self, job: Job | None, code: str | None, message: str) -> None:
        self._write("error", job, {"code": code, "message": message})

    def record_note(self, kind: str, data: dict[str, Any], job: Job | None = None) -> None:
        self._write(kind, job, data)

    # ------------------------------------------------------------ reads

    def _jobs(self, query: str, args: tuple[str, ...] = ()) -> list[Job]:
        with self._lock:
            rows = self.db.execute(query, args).fetchall()
        return [job_from_dict(json.loads(r[0])) for r in rows]

    def all_jobs(self) -> list[Job]:
        return self._jobs(_ALL_JOBS)

    def unfinished_jobs(self) -> list[Job]:
        return self._jobs(_UNFINISHED_JOBS, (JobState.DONE.value,))

    def get_job(self, job_id: str) -> Job | None:
        jobs = self._jobs(_JOB_BY_ID, (job_id,))
        return jobs[0] if jobs else None

    def jobs_for_action(self, action_id: str) -> list[Job]:
        return self._jobs(_JOBS_BY_ACTION, (action_id,))

    def entries(self, job_ids: set[str] | None = None) -> list[Entry]:
        with self._lock:
            rows = self.db.execute(
                "SELECT seq, at, kind, job_id, data, prev, hash FROM entries ORDER BY seq"
            ).fetchall()
        out = [Entry(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6]) for r in rows]
        return out if job_ids is None else [e for e in out if e.job_id in job_ids]

    def verify(self) -> ChainReport:
        return verify_chain(self.entries())

    async def all_jobs_async(self) -> list[Job]:
        return await asyncio.to_thread(self.all_jobs)

    async def unfinished_jobs_async(self) -> list[Job]:
        return await asyncio.to_thread(self.unfinished_jobs)
