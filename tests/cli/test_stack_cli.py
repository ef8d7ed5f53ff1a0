"""`lrtui batches`, `lrtui stack` and `lrtui table` as a user runs them: `lrtui run` sends the demo's autoruns
script (CSV) to a fleet of simulated Windows machines over loopback, then the batch is listed and stacked."""

from __future__ import annotations

import csv
import io
import json

import pytest

from lrtui.sim import SimConfig
from lrtui.sim.library.fleet import planted
from lrtui.sim.testing import running_simulator
from tests.cli.conftest import lrtui, online_windows

N = 16
#: the client's budgets opened wide and polling often (as the simulator's budgets are): these tests are about
#: the outputs, not about pacing 16 submissions at 10 calls a minute
FAST = {"LRTUI_RATE_CALLS": "1000", "LRTUI_MAX_SESSIONS": "100", "LRTUI_POLL_FAST_S": "0.3", "LRTUI_POLL_SHARE": "10"}


def lrtui_fast(args, api_url, home, timeout=180):
    """``lrtui ARGS`` with ``FAST`` in the environment."""
    return lrtui(args, api_url, home, timeout=timeout, extra_env=FAST)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """A simulator with budgets wide open, and one finished batch of Get-Autoruns.csv.ps1 on N machines."""
    cfg = SimConfig(
        seed=11, machines=120, time_scale=0.002, rate_calls=1000, max_sessions=100, general_per_minute=10_000,
        general_per_hour=100_000,
    )  # fmt: skip
    with running_simulator(cfg) as (api_url, _blob, simulator):
        ms = online_windows(simulator, N, api_url)
        assert len(ms) == N
        home = tmp_path_factory.mktemp("stack")
        args = ["run", "--run-script", "Get-Autoruns.csv.ps1", "-c", "case CASE-77 autoruns sweep", "--json"]
        for m in ms:
            args += ["-m", m["id"]]
        r = lrtui_fast(args, api_url, home)
        assert r.returncode == 0, r.stderr
        jobs = json.loads(r.stdout)["jobs"]
        yield api_url, home, ms, jobs


def _batch_id(api_url, home) -> str:
    r = lrtui(["batches", "--json"], api_url, home)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["batches"][0]["batch_id"]


def test_batches_lists_the_run_with_its_comment_case_and_outcomes(fleet):
    api_url, home, ms, jobs = fleet
    r = lrtui(["batches", "--json"], api_url, home)
    assert r.returncode == 0, r.stderr
    (b,) = json.loads(r.stdout)["batches"]
    assert b["machines"] == N and b["comment"] == "case CASE-77 autoruns sweep" and b["case_id"] == "CASE-77"
    assert b["outcomes"] == {"succeeded": N} and b["states"] == {"done": N}
    assert b["sequence"]["Commands"][0]["params"][0]["value"] == "Get-Autoruns.csv.ps1"
    assert {j["batch_id"] for j in jobs} == {b["batch_id"]}
    text = lrtui(["batches"], api_url, home).stdout
    assert b["batch_id"][:12] in text and "succeeded 16" in text and "CASE-77" in text


def test_stack_by_output_marks_the_planted_machines_as_outliers(fleet):
    api_url, home, ms, _ = fleet
    want = {m["computerDnsName"] for m in ms if planted(m["id"]) == "autorun"}
    assert want, "seed 11 plants no autorun among these machines"
    batch = _batch_id(api_url, home)
    r = lrtui(["stack", batch[:8], "--json"], api_url, home)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["kind"] == "stack" and doc["masks"] == ["banner", "host", "time", "pid", "guid"] and doc["machines"] == N
    assert sum(g["size"] for g in doc["rows"]) == N
    assert {g["machines"][0] for g in doc["rows"] if g["outlier"]} == want
    text = lrtui(["stack", batch], api_url, home).stdout
    assert (
        f"Batch {batch}" in text and "outcomes: succeeded 16" in text and "masks: banner, host, time, pid, guid" in text
    )
    assert text.count("OUTLIER") == len(want)
    # unmasked, the transcript banner (stamps, GUIDs, host names) makes every machine its own group
    raw = json.loads(lrtui(["stack", batch, "--no-mask", "--json"], api_url, home).stdout)
    assert len(raw["rows"]) == N


def test_stack_by_line_and_by_column_put_the_planted_entries_first(fleet):
    api_url, home, ms, _ = fleet
    want = {m["computerDnsName"] for m in ms if planted(m["id"]) == "autorun"}
    batch = _batch_id(api_url, home)
    lines = json.loads(lrtui(["stack", batch, "--by", "line", "--json"], api_url, home).stdout)["rows"]
    assert [ln["count"] for ln in lines] == sorted(ln["count"] for ln in lines)
    assert {ln["machines"][0] for ln in lines if ln["count"] == 1} == want
    r = lrtui(["stack", batch, "--by", "column:Verified", "--csv"], api_url, home)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert {row["machine"] for row in rows if row["value"] == "Not verified"} == want
    text = lrtui(["stack", batch, "--by", "column:Entry"], api_url, home).stdout
    assert text.index("SecurityHealth") > max(text.index(w.split(".")[0]) for w in want)


def test_table_writes_one_csv_and_jsonl_with_a_machine_column(fleet):
    api_url, home, ms, _ = fleet
    batch = _batch_id(api_url, home)
    r = lrtui(["table", batch, "--csv"], api_url, home)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0]) == ["machine", "Category", "Location", "Entry", "ImagePath", "Signer", "Verified"]
    assert {row["machine"] for row in rows} == {m["computerDnsName"] for m in ms}
    r = lrtui(["table", batch, "--jsonl"], api_url, home)
    assert r.returncode == 0, r.stderr
    items = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(items) == len(rows) and all(i["machine"] for i in items)


def test_bad_batch_column_mask_and_command_say_what_to_do(fleet):
    api_url, home, _, _ = fleet
    batch = _batch_id(api_url, home)
    cases = [
        (["stack", "nope"], "No batch 'nope'"),
        (["stack", batch, "--by", "column:Nope"], "No column 'Nope'"),
        (["stack", batch, "--mask", "host,bogus"], "Unknown mask 'bogus'"),
        (["stack", batch, "--by", "words"], "Cannot stack by 'words'"),
        (["table", batch, "--command", "3"], "is not a RunScript"),
    ]
    for args, message in cases:
        r = lrtui(args, api_url, home)
        assert r.returncode == 1 and message in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)


def test_device_text_is_sanitised_in_text_and_escaped_in_json(fleet, tmp_path):
    """Get-Processes.ps1 prints terminal escapes, an OSC title, a bidi override and Rich markup (planted)."""
    api_url, _, ms, _ = fleet
    two = ["--run-script", "Get-Processes.ps1", "--run-script", "Get-Listeners.csv.ps1", "-c", "x"]
    r = lrtui_fast(["run", "-m", ms[0]["id"], "-m", ms[1]["id"], *two], api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    batch = _batch_id(api_url, tmp_path)
    # the second RunScript is a table, the first (the default) is not
    r = lrtui(["table", batch, "--command", "1", "--csv"], api_url, tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("machine,Protocol,LocalAddress,LocalPort,State,ProcessName\n")
    r = lrtui(["table", batch], api_url, tmp_path)
    assert r.returncode == 1 and "Get-Processes.ps1 is not a table" in r.stderr
    for by in ("line", "output"):
        text = lrtui(["stack", batch, "--by", by], api_url, tmp_path).stdout
        assert "upd.exe" in text or by == "output"
        assert not any(c in text for c in ("\x1b", "\x07", "\u202e", "\x9b")), by
    raw = lrtui(["stack", batch, "--by", "line", "--json"], api_url, tmp_path).stdout
    assert raw.isascii() and "\\u001b" in raw and "\\u202e" in raw


def test_a_journal_from_before_batch_records_lists_and_stacks_its_batch_as_derived(fleet, tmp_path):
    """The fleet's jobs copied into a journal the old way (jobs only, no batch entry): `lrtui batches` derives the
    batch from them and says so, and `lrtui stack` finds it by prefix."""
    from lrtui.engine.journal import Journal

    api_url, home, _, _ = fleet
    [source] = (home / "home").rglob("journal-*.sqlite3")
    old_home = tmp_path / "old"
    target = old_home / "home" / source.relative_to(home / "home")
    with Journal(source).open() as journal:
        jobs = journal.all_jobs()
    with Journal(target).open() as journal:
        journal.record_jobs(jobs)
        assert not journal.entries_of_kind("batch")
    r = lrtui(["batches", "--json"], api_url, old_home)
    assert r.returncode == 0, r.stderr
    (b,) = json.loads(r.stdout)["batches"]
    assert b["derived"] and b["machines"] == N and b["case_id"] == "CASE-77" and b["batch_id"] == jobs[0].batch_id
    assert "(derived from its jobs)" in lrtui(["batches"], api_url, old_home).stdout
    doc = json.loads(lrtui(["stack", b["batch_id"][:8], "--json"], api_url, old_home).stdout)
    assert doc["machines"] == N and sum(g["size"] for g in doc["rows"]) == N
