"""Evidence bundle: manifest JSON + CSV, copies of the files, and a hash chain that shows tampering."""

from __future__ import annotations

import csv
import hashlib
import json

from lrtui.cli.render import progress_line, render_summary
from lrtui.engine.batch import estimate_text, export_case
from lrtui.engine.budget import BudgetSettings
from lrtui.engine.export import verify_bundle
from lrtui.engine.jobs import BudgetSnapshot, CommandResult, JobState, Outcome
from lrtui.engine.journal import Journal

from .helpers import job


def _done(j, path=None, outcome=Outcome.SUCCEEDED):
    j.state, j.outcome, j.action_id = JobState.DONE, outcome, "7f0c2a9e-1111-4c2b-9d3e-2a6f5b8c9d0" + j.machine_id[-1]
    if path:
        data = path.read_bytes()
        j.results = [
            CommandResult(
                0,
                "GetFile",
                "Completed",
                file_path=str(path),
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                sha256_received="ab" * 32,
                downloaded=True,
            )
        ]
    return j


async def test_bundle_and_tampering(tmp_path):
    ev = tmp_path / "evidence"
    ev.mkdir()
    f1 = ev / "0-a.txt"
    f1.write_bytes(b"hello evidence")
    journal = Journal(tmp_path / "j.sqlite3").open()
    mine = _done(job("m1"), f1)
    other = job("m2")
    other.sequence = other.sequence.with_comment("case-7 unrelated")
    for j in (mine, other):
        journal.record_job(j)
        journal.record_state(j, "final")
    out = tmp_path / "bundle"
    manifest = await export_case("case-42", out, journal=journal)
    assert manifest["jobs"] == 1 and manifest["chain"]["ok"] and not manifest["problems"]
    rows = list(csv.DictReader(open(out / "manifest.csv", encoding="utf-8")))
    assert rows[0]["machine_id"] == "m1" and rows[0]["sha256"] == mine.results[0].sha256
    assert rows[0]["comment"].startswith("case-42") and rows[0]["outcome"] == "succeeded"
    copied = out / manifest["files"][0]["file"]
    assert copied.read_bytes() == b"hello evidence"
    lines = (out / "entries.jsonl").read_text().splitlines()
    assert any(json.loads(x).get("redacted") for x in lines)  # the other case's data is not in the bundle
    assert "case-7" not in (out / "entries.jsonl").read_text()
    assert verify_bundle(out) == []

    # tamper with one entry's content
    entries = [json.loads(x) for x in lines]
    i = next(k for k, e in enumerate(entries) if not e.get("redacted"))
    entries[i]["data"]["machine_id"] = "m9"
    (out / "entries.jsonl").write_text("\n".join(json.dumps(e) for e in entries) + "\n")
    assert any("chain" in p for p in verify_bundle(out))
    # and with a file
    (out / "entries.jsonl").write_text("\n".join(lines) + "\n")
    copied.write_bytes(b"hello evidencE")
    assert any("changed" in p for p in verify_bundle(out))
    journal.close()


def test_texts():
    s = BudgetSettings()
    assert (
        estimate_text(40, 3, s)
        == "40 machines: about 4 minutes at 10 calls a minute, at most 25 at once (the rest wait for sessions to free), 3 will queue offline (up to 3 days)"
    )
    assert estimate_text(5, 0, s) == "5 machines: submitted right away at 10 calls a minute"
    assert estimate_text(11, 0, s).startswith("11 machines: about 2 minutes")
    jobs = [_done(job("m1")), _done(job("m2"), outcome=Outcome.BLOCKED), job("m3")]
    jobs[1].error_message = "busy \x1b[31mportal\u202e"
    text = render_summary(jobs)
    assert "succeeded: 1" in text and "blocked by another session: 1" in text and "unfinished: 1" in text
    assert "\x1b" not in text and "\u202e" not in text
    snap = BudgetSnapshot(3, 10, 60, 12, 2, 25, 1, 2, 30, 5, 100, 40, 1500)
    line = progress_line(snap, jobs)
    assert "2/3 done" in line and "rate 3/10 next 12s" in line and "sessions 2/25" in line


def test_case_match_is_a_whole_word():
    from lrtui.engine.export import case_jobs

    a, b, c = job("m1"), job("m2"), job("m3")
    b.sequence = b.sequence.with_comment("case-4 other")
    c.sequence = c.sequence.with_comment("analyst=bob case=case-42.")
    assert [j.machine_id for j in case_jobs([a, b, c], "case-42")] == ["m1", "m3"]
    assert [j.machine_id for j in case_jobs([a, b, c], "case-4")] == ["m2"]


def test_marking_a_changed_entry_redacted_does_not_hide_it():
    from lrtui.engine.journal import GENESIS, entry_hash, verify_chain

    def entry(seq, prev, data):
        h = entry_hash(prev, seq, 1.0, "status", "job1", data)
        return {"seq": seq, "prev": prev, "hash": h, "at": 1.0, "kind": "status", "job_id": "job1", "data": data}

    a = entry(1, GENESIS, {"state": "queued"})
    b = entry(2, a["hash"], {"state": "done"})
    assert verify_chain([a, b]).ok
    assert verify_chain([a, {"seq": 2, "prev": b["prev"], "hash": b["hash"], "redacted": True}]).ok
    forged = dict(b, data={"state": "tampered"}, redacted=True)
    report = verify_chain([a, forged])
    assert not report.ok and "redacted but carries content" in report.reason
