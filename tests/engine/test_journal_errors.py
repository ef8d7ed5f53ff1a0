"""Clear messages, not tracebacks, from the journal (issue 14): a damaged file (named, with how to move it
aside; a partly damaged one still lists what it can), a read-only file (reads work, a write says why), a full
disk ("Disk full (ENOSPC) writing <path>", never "cannot rollback"), and a lock held by another process (named)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lrtui.engine.jobs import JobState
from lrtui.engine.journal import Journal, JournalError

from .helpers import job

ROOT = Path(__file__).resolve().parents[2]


def test_a_damaged_journal_is_named_with_how_to_move_it_aside(tmp_path):
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(b"this is not a database, it was overwritten by something else" * 100)
    with pytest.raises(JournalError) as e:
        Journal(path).open()
    text = e.value.user_message()
    assert str(path) in text and f"mv '{path}' '{path}.damaged'" in text


def test_a_partly_damaged_journal_lists_what_it_can(tmp_path):
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as j:
        for i in range(400):
            x = job(f"m{i}")
            x.error_message = f"row-{i:04d}-marker " + "padding " * 40  # rows spread over many pages
            j.record_job(x)
        j.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    page = data.index(b"row-0300-marker") // 4096  # the jobs table's page holding row 300 is overwritten
    with open(path, "r+b") as f:
        f.seek(page * 4096)
        f.write(b"\xff" * 4096)
    with Journal(path) as j:
        jobs = j.all_jobs()
        assert 0 < len(jobs) < 400 and j.problems and str(path) in j.problems[0]


def test_a_read_only_journal_reads_and_says_why_it_cannot_write(tmp_path):
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as j:
        j.record_job(job("m1"))
    with Journal(path, read_only=True) as j:
        assert [x.machine_id for x in j.all_jobs()] == ["m1"] and j.verify().ok
        with pytest.raises(JournalError, match="read-only"):
            j.record_job(job("m2"))
        with pytest.raises(JournalError, match="read-only"):
            j.claim_unfinished()  # what starting an engine does


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write any file")
def test_an_unwritable_journal_opens_read_only(tmp_path):
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as j:
        j.record_job(job("m1"))
    path.chmod(0o400)
    with Journal(path) as j:
        assert j.read_only and len(j.all_jobs()) == 1
        with pytest.raises(JournalError, match="read-only"):
            j.record_job(job("m2"))


def test_a_full_disk_is_named_not_cannot_rollback(tmp_path):
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as j:
        j.record_job(job("m1"))
        pages = j.db.execute("PRAGMA page_count").fetchone()[0]
        j.db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "database or disk is full"
        big = job("m2")
        big.error_message = "x" * 200_000
        with pytest.raises(JournalError) as e:
            j.record_job(big)
        assert str(e.value) == f"Disk full (ENOSPC) writing {path}." and "rollback" not in e.value.user_message()
        assert j.get_job(big.id) is None  # all or nothing
        first = j.all_jobs()[0]
        first.state = JobState.DONE
        j.db.execute("PRAGMA max_page_count = 1000000")
        j.record_state(first)  # the journal works again once there is room
        assert j.verify().ok


HOLDER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from lrtui.engine.journal import Journal
j = Journal(sys.argv[2]).open()
j.db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(30)
"""


def test_a_lock_held_too_long_names_the_other_process(tmp_path):
    path = tmp_path / "journal.sqlite3"
    Journal(path).open().close()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(ROOT), str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        j = Journal(path, busy_s=0.3)
        t0 = time.monotonic()
        with pytest.raises(JournalError) as e:
            j.open()  # registering this process is a write too
            j.record_job(job("m1"))
        assert time.monotonic() - t0 < 5
        assert f"pid {holder.pid}" in str(e.value) and str(path) in str(e.value)
    finally:
        holder.kill()
        holder.wait()
