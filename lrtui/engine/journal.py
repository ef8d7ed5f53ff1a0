"""The write-ahead journal: SQLite (WAL, file mode 0600) in the user state folder.

Two tables. ``jobs`` holds the current state of every job (one row each, rewritten on every change).
``entries`` is append-only (triggers refuse UPDATE and DELETE) and hash-chained: each row's ``hash`` is the
sha256 of the previous row's hash followed by the row's canonical JSON, so any edit, insertion or removal
shows in :func:`verify_chain`.

Writes are synchronous and short (one small WAL transaction, under a millisecond), so they may run on the event
loop; large reads (``all_jobs``) also come as ``*_async`` wrappers that run in a thread."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lrtui.api.errors import LrtuiError
from lrtui.engine.codec import (
    GENESIS,
    ChainReport,
    Entry,
    canonical,
    entry_hash,
    job_from_dict,
    job_to_dict,
    result_to_dict,
    verify_chain,
)
from lrtui.engine.jobs import CommandResult, Job, JobState
from lrtui.engine.private_files import create_private_file

__all__ = ["GENESIS", "ChainReport", "Entry", "Journal", "JournalError", "verify_chain"]
SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, batch_id TEXT, machine_id TEXT, action_id TEXT, state TEXT, outcome TEXT,
    created_at REAL, updated_at REAL, data TEXT NOT NULL, owner TEXT);
CREATE TABLE IF NOT EXISTS writers (owner TEXT PRIMARY KEY, pid INTEGER, host TEXT, since REAL, command TEXT);
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


#: the reads of the ``jobs`` table (fixed statements; values are bound as parameters)
_ALL_JOBS = "SELECT data FROM jobs ORDER BY created_at, rowid"
_UNFINISHED_JOBS = "SELECT data FROM jobs WHERE state != ? ORDER BY created_at, rowid"
_JOB_BY_ID = "SELECT data FROM jobs WHERE id = ? ORDER BY created_at, rowid"
_JOBS_BY_ACTION = "SELECT data FROM jobs WHERE action_id = ? ORDER BY created_at, rowid"
_JOBS_BY_BATCH = "SELECT data FROM jobs WHERE batch_id = ? ORDER BY created_at, rowid"
_ENTRIES = "SELECT seq, at, kind, job_id, data, prev, hash FROM entries"
_RECENT_SUBMISSIONS = (
    "SELECT s.job_id, s.at, (SELECT MIN(e.at) FROM entries e WHERE e.seq > s.seq AND e.job_id = s.job_id)"
    " FROM entries s WHERE s.kind = 'submit' AND s.at >= ? ORDER BY s.seq"
)
_JOBS_BY_OUTCOME = "SELECT data FROM jobs WHERE outcome = ? ORDER BY created_at, rowid"
_CLAIMED_JOBS = "SELECT data FROM jobs WHERE state != ? AND owner = ? ORDER BY created_at, rowid"
_WRITERS = "SELECT owner, pid, host FROM writers"
_REGISTER = "INSERT OR REPLACE INTO writers(owner, pid, host, since, command) VALUES(?,?,?,?,?)"


def _alive(pid: int, host: str) -> bool:
    """Whether the process that registered as a writer still runs (another host's: assumed to)."""
    try:
        os.kill(pid, 0) if host == socket.gethostname() else None
    except OSError as e:  # PermissionError: it runs, as another user
        return not isinstance(e, ProcessLookupError)
    return True


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


class JournalError(LrtuiError):
    """The journal cannot be used as asked: damaged, read-only, busy (another process), or its disk is full."""


class Journal:
    """One SQLite connection, used from the event loop (short writes) and from threads under a lock.

    Several processes may share one journal: sequence numbers and the chain's previous hash are read inside
    each write transaction (``BEGIN IMMEDIATE``), every process registers itself in ``writers``, and a job
    belongs to the process that wrote it last (``claim_unfinished`` adopts only jobs of processes that ended).
    A journal that cannot be written (file or folder not writable) opens read-only: reads work, and a write
    raises ``JournalError`` saying so."""

    def __init__(
        self, path: Path | str, *, wall: Callable[[], float] = time.time, busy_s: float = 30.0, read_only: bool = False
    ) -> None:
        self.path = Path(path)
        self.wall = wall
        self.busy_s = busy_s  #: how long a write waits for another process's lock before saying who holds it
        self._db: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        self.read_only = read_only  #: True: never writes (read-only commands); also set when not writable
        self.problems: list[str] = []  #: what could not be read (a damaged part of the file), for the listing
        self.owner = f"{os.getpid()}@{socket.gethostname()}:{time.time():.6f}"

    # ------------------------------------------------------------ lifecycle

    def open(self) -> Journal:
        if self._db is not None:
            return self
        try:
            self._db = self._connect()
        except sqlite3.OperationalError as e:  # locked past busy_s while opening, or not openable at all
            raise self._failed(e) if "locked" not in str(e) else self._busy(None) from None
        except sqlite3.DatabaseError as e:
            raise self._damaged(e) from None
        except OSError as e:
            raise JournalError(f"Cannot create the journal {self.path}: {e.strerror or e}.") from None
        return self

    def _connect(self) -> sqlite3.Connection:
        if self.path.exists() and (self.read_only or not _writable(self.path)):
            self.read_only = True
            uri = f"{self.path.absolute().as_uri()}?mode=ro"
            db = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
            try:
                db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.OperationalError:  # WAL without a writable folder for its -shm file
                db.close()
                db = sqlite3.connect(uri + "&immutable=1", uri=True, check_same_thread=False, isolation_level=None)
            return db
        create_private_file(self.path)  # 0600 before sqlite ever opens it
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        db.execute(f"PRAGMA busy_timeout={int(self.busy_s * 1000)}")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(SCHEMA)
        if "owner" not in {r[1] for r in db.execute("PRAGMA table_info(jobs)")}:
            db.execute("ALTER TABLE jobs ADD COLUMN owner TEXT")
        for side in ("-wal", "-shm"):
            p = self.path.with_name(self.path.name + side)
            if p.exists():
                p.chmod(0o600)
        cmd = os.path.basename(sys.argv[0]) + (f" {sys.argv[1]}" if len(sys.argv) > 1 else "")
        me = (self.owner, os.getpid(), socket.gethostname(), time.time(), cmd[:80])
        self._locked(db, lambda: db.execute(_REGISTER, me))
        return db

    def _damaged(self, e: sqlite3.DatabaseError) -> JournalError:
        return JournalError(
            f"The journal {self.path} cannot be read: {e}.",
            hint=f"Move it aside (mv '{self.path}' '{self.path}.damaged') and lrtui starts a new one; the"
            " actions on the service are not affected.",
        )

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                if not self.read_only:
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("DELETE FROM writers WHERE owner = ?", (self.owner,))
                self._db.close()
                self._db = None

    def __enter__(self) -> Journal:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def db(self) -> sqlite3.Connection:
        return self._db if self._db is not None else self.open().db

    # ------------------------------------------------------------ writes

    def _write(self, kind: str, job: Job | None, data: dict[str, Any]) -> None:
        self._write_many([(kind, job, data)])

    def _write_many(self, items: list[tuple[str, Job | None, dict[str, Any]]]) -> None:
        """Several records in one transaction (all or nothing); seq and prev are read inside it."""
        self._check_writable()
        now = self.wall()
        with self._lock:
            db = self.db

            def write() -> None:
                row = db.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
                seq, h = (row[0], row[1]) if row else (0, GENESIS)
                for kind, job, data in items:
                    seq, h = self._insert(db, now, seq, h, kind, job, data)

            self._locked(db, write)

    def _check_writable(self) -> None:
        if self.read_only:
            raise JournalError(
                f"The journal {self.path} is read-only for this user, and this command needs to write to it.",
                hint="Read-only commands (`lrtui actions`, `export`) work; make the file and its folder writable"
                " (or set LRTUI_HOME elsewhere) to run or resume.",
            )

    def _locked(self, db: sqlite3.Connection, body: Callable[[], object]) -> None:
        """``body`` inside BEGIN IMMEDIATE ... COMMIT; clear errors for a busy journal and a full disk."""
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            raise self._busy(db) if "locked" in str(e) or "busy" in str(e) else self._failed(e) from None
        try:
            body()
            db.execute("COMMIT")
        except BaseException as e:
            if db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
            if isinstance(e, sqlite3.Error):
                raise self._failed(e) from None
            raise

    def _failed(self, e: sqlite3.Error) -> JournalError:
        if isinstance(e, sqlite3.OperationalError) and "full" in str(e):
            return JournalError(f"Disk full (ENOSPC) writing {self.path}.", hint="Free some space and run again.")
        if isinstance(e, sqlite3.DatabaseError) and not isinstance(e, sqlite3.OperationalError):
            return self._damaged(e)
        return JournalError(f"Writing the journal {self.path} failed: {e}.")

    def _busy(self, db: sqlite3.Connection | None) -> JournalError:
        sql = "SELECT pid, host, command FROM writers WHERE owner != ? ORDER BY since"
        others = db.execute(sql, (self.owner,)).fetchall() if db is not None else []
        who = "; ".join(f"pid {pid} on {host} ({cmd})" for pid, host, cmd in others) or "another process"
        return JournalError(
            f"The journal {self.path} stayed locked for {self.busy_s:g} s by {who}.",
            hint="Wait for that process to finish (or stop it) and try again.",
        )

    def _insert(
        self, db: sqlite3.Connection, now: float, seq: int, prev: str, kind: str, job: Job | None, data: dict[str, Any]
    ) -> tuple[int, str]:
        if job is not None:
            outcome = job.outcome.value if job.outcome else None
            ids = (self.owner, job.id, job.batch_id, job.machine_id, job.action_id, job.state.value, outcome)
            db.execute(
                "INSERT INTO jobs(owner, id, batch_id, machine_id, action_id, state, outcome, created_at, updated_at,"
                " data) VALUES(?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET action_id=excluded.action_id,"
                " state=excluded.state, outcome=excluded.outcome, updated_at=excluded.updated_at,"
                " data=excluded.data, owner=excluded.owner",
                (*ids, job.created_at, now, canonical(job_to_dict(job))),
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
            "evidence_dir": job.evidence_dir,  # where resume collects this job's results
            "out_dir": job.out_dir,  # where resume writes its results.json
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
        data = {"action_id": job.action_id, "status": job.action_status, "machine_id": job.machine_id}
        self._write("action", job, {**data, "requestor": requestor})

    def record_state(self, job: Job, what: str = "state") -> None:
        """A status change (service status, command statuses, local state or outcome)."""
        data = {"state": job.state.value, "action_status": job.action_status, "command_status": job.command_status}
        self._write(what, job, {**data, "outcome": job.outcome.value if job.outcome else None})

    def record_result(self, job: Job, result: CommandResult) -> None:
        data = result_to_dict(result)
        if result.script is not None:  # the entry keeps the exit code; the files' hashes are in ``data``
            data["script"] = {"script_name": result.script.script_name, "exit_code": result.script.exit_code}
        self._write("result", job, data)

    def record_error(self, job: Job | None, code: str | None, message: str) -> None:
        self._write("error", job, {"code": code, "message": message})

    def record_note(self, kind: str, data: dict[str, Any], job: Job | None = None) -> None:
        self._write(kind, job, data)

    # ------------------------------------------------------------ reads

    def _rows(self, query: str, args: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
        """The rows of ``query``, as many as can be read: a damaged part of the file ends the listing (noted in
        ``problems``) instead of failing it; a damaged header raises ``JournalError``."""
        out: list[tuple[Any, ...]] = []
        with self._lock:
            try:
                out.extend(self.db.execute(query, args))
            except sqlite3.DatabaseError:
                try:  # unsorted, the rows before the damaged page still come back (in the order written)
                    for row in self.db.execute(query.split(" ORDER BY ")[0], args):
                        out.append(row)
                except sqlite3.DatabaseError as e:
                    if not out:
                        raise self._damaged(e) from None
                    self.problems.append(f"{self.path}: damaged; stopped reading after {len(out)} rows ({e})")
        return out

    def _jobs(self, query: str, args: tuple[str, ...] = ()) -> list[Job]:
        jobs = []
        for (data,) in self._rows(query, args):
            try:
                jobs.append(job_from_dict(json.loads(data)))
            except (ValueError, KeyError, TypeError) as e:
                self.problems.append(f"{self.path}: a job row cannot be read ({type(e).__name__}); skipped")
        return jobs

    def claim_unfinished(self) -> list[Job]:
        """The unfinished jobs no running process owns (those of ended processes), now owned by this one."""
        self._check_writable()
        live = [owner for owner, pid, host in self._rows(_WRITERS) if _alive(pid, host)]
        marks = ",".join("?" * len(live)) or "''"
        self._locked(
            self.db,
            lambda: self.db.execute(
                f"UPDATE jobs SET owner = ? WHERE state != ? AND (owner IS NULL OR owner NOT IN ({marks}))",  # noqa: S608 (only ?s)
                (self.owner, JobState.DONE.value, *live),
            ),
        )
        return self._jobs(_CLAIMED_JOBS, (JobState.DONE.value, self.owner))

    def all_jobs(self) -> list[Job]:
        return self._jobs(_ALL_JOBS)

    def unfinished_jobs(self) -> list[Job]:
        return self._jobs(_UNFINISHED_JOBS, (JobState.DONE.value,))

    def jobs_with_outcome(self, outcome: str) -> list[Job]:
        return self._jobs(_JOBS_BY_OUTCOME, (outcome,))

    def get_job(self, job_id: str) -> Job | None:
        jobs = self._jobs(_JOB_BY_ID, (job_id,))
        return jobs[0] if jobs else None

    def jobs_for_action(self, action_id: str) -> list[Job]:
        return self._jobs(_JOBS_BY_ACTION, (action_id,))

    def recent_submissions(self, since_wall: float) -> list[tuple[str, float, float | None]]:
        """Read-only, for the budgets after a restart: each submission written since ``since_wall`` as (job id,
        when it was written, when the job's next entry was written: its answer had arrived by then; None when
        nothing followed, i.e. it was in flight when the process stopped)."""
        with self._lock:
            rows = self.db.execute(_RECENT_SUBMISSIONS, (since_wall,)).fetchall()
        return [(str(r[0]), float(r[1]), None if r[2] is None else float(r[2])) for r in rows]

    def jobs_in_batch(self, batch_id: str) -> list[Job]:
        return self._jobs(_JOBS_BY_BATCH, (batch_id,))

    def entries(self, job_ids: set[str] | None = None) -> list[Entry]:
        out = [Entry.from_row(r) for r in self._rows(_ENTRIES + " ORDER BY seq")]
        return out if job_ids is None else [e for e in out if e.job_id in job_ids]

    def entries_of_kind(self, kind: str) -> list[Entry]:
        return [Entry.from_row(r) for r in self._rows(_ENTRIES + " WHERE kind = ? ORDER BY seq", (kind,))]

    def verify(self) -> ChainReport:
        return verify_chain(self.entries())

    async def all_jobs_async(self) -> list[Job]:
        return await asyncio.to_thread(self.all_jobs)

    async def unfinished_jobs_async(self) -> list[Job]:
        return await asyncio.to_thread(self.unfinished_jobs)
