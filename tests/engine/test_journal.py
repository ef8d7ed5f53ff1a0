"""Journal: 0600 before sqlite opens it, write-ahead records, unfinished jobs, hash chain tamper detection."""

from __future__ import annotations

import os
import sqlite3
import stat
import time

import pytest

from lrtui.api.models import ScriptResult
from lrtui.engine.jobs import CommandResult, JobState, Outcome
from lrtui.engine.journal import Journal, verify_chain
from lrtui.settings import journal_file

from .helpers import job


def test_file_is_private_from_the_start(tmp_path, monkeypatch):
    seen = {}
    real_connect = sqlite3.connect

    def spy(path, *a, **kw):
        seen["mode"] = stat.S_IMODE(os.stat(path).st_mode)
        return real_connect(path, *a, **kw)

    monkeypatch.setattr(sqlite3, "connect", spy)
    os.umask(0o022)
    j = Journal(journal_file("t")).open()
    assert seen["mode"] == 0o600  # created 0600 before sqlite opened it
    j.record_job(job())
    for p in journal_file("t").parent.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) & 0o077 == 0, p
    assert journal_file("t").parent.stat().st_mode & 0o077 == 0
    assert j.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    j.close()


def test_roundtrip_and_unfinished(tmp_path):
    with Journal(tmp_path / "j.sqlite3") as j:
        a, b = job("m1"), job("m2")
        j.record_job(a)
        j.record_job(b)
        a.state = JobState.SUBMITTING
        j.record_submitting(a)
        a.action_id, a.state, a.action_status = "7f0c2a9e-1111-4c2b-9d3e-2a6f5b8c9d01", JobState.PENDING, "Pending"
        j.record_action(a)
        b.state, b.outcome = JobState.DONE, Outcome.SUCCEEDED
        b.results = [
            CommandResult(
                0, "RunScript", "Completed", script=ScriptResult(exit_code=0, script_output="x"), downloaded=True
            )
        ]
        j.record_result(b, b.results[0])
        j.record_state(b, "final")
    with Journal(tmp_path / "j.sqlite3") as j:
        un = j.unfinished_jobs()
        assert [x.id for x in un] == [a.id]
        assert un[0].action_id == a.action_id and un[0].state is JobState.PENDING
        assert un[0].sequence == a.sequence
        got = j.get_job(b.id)
        assert got.outcome is Outcome.SUCCEEDED and got.results[0].script.script_output == "x"
        kinds = [e.kind for e in j.entries()]
        assert kinds == ["job", "job", "submit", "action", "result", "final"]
        assert j.verify().ok


def test_entries_are_append_only_and_tampering_shows(tmp_path):
    path = tmp_path / "j.sqlite3"
    with Journal(path) as j:
        for i in range(5):
            j.record_job(job(f"m{i}"))
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            j.db.execute("UPDATE entries SET data = '{}' WHERE seq = 2")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            j.db.execute("DELETE FROM entries WHERE seq = 2")
        entries = [e.to_dict() for e in j.entries()]
    assert verify_chain(entries).ok
    changed = [dict(e) for e in entries]
    changed[2]["data"] = dict(changed[2]["data"], machine_id="evil")
    r = verify_chain(changed)
    assert not r.ok and r.first_bad == 3 and "changed" in r.reason
    removed = entries[:2] + entries[3:]
    assert not verify_chain(removed).ok
    # someone who drops the triggers and edits the file directly is caught as well
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER entries_no_update")
    db.execute("UPDATE entries SET at = at + 1 WHERE seq = 4")
    db.commit()
    db.close()
    with Journal(path) as j:
        assert not j.verify().ok


def test_writes_are_short(tmp_path):
    with Journal(tmp_path / "j.sqlite3") as j:
        jobs = [job(f"m{i}") for i in range(200)]
        t0 = time.perf_counter()
        for x in jobs:
            j.record_job(x)
        per_write = (time.perf_counter() - t0) / len(jobs)
    assert per_write < 0.005, f"{per_write * 1000:.2f} ms per journal write"
