"""Headless output as a pipeline reads it: never the demo tenant by accident (exit 3, no call), every document
names its tenant, --json/--jsonl/--csv, --machines-file - (each as a real process against the simulator)."""

from __future__ import annotations

import csv
import io
import json

from tests.cli.conftest import lrtui, online_windows, requests_seen


def _run_args(ids, *extra):
    args = ["run"]
    for i in ids:
        args += ["-m", i]
    return args + ["--run-script", "Get-Processes.ps1", "--get-file", r"C:\Windows\System32\drivers\etc\hosts", *extra]


def test_no_profile_and_no_demo_exits_3_and_sends_nothing(sim, tmp_path):
    api_url, simulator = sim
    before = requests_seen(simulator)
    r = lrtui(_run_args(["fin-ws-0001"], "-c", "IR-1", "--json"), None, tmp_path, token=None)
    assert r.returncode == 3, r.stderr
    assert "no profile is configured" in r.stderr and "--demo" in r.stderr
    assert r.stdout == ""
    assert requests_seen(simulator) == before
    # every tenant command refuses the same way
    for args in (["machines"], ["library", "list"], ["actions"], ["resume"], ["cancel", "--all-active", "-c", "x"]):
        r = lrtui(args, None, tmp_path, token=None)
        assert r.returncode == 3, (args, r.stderr)


def test_demo_only_when_asked_and_the_document_says_so(tmp_path):
    r = lrtui(["machines", "--search", "health:online", "--json", "--demo"], None, tmp_path, token=None)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["schema"] == "lrtui/1" and doc["tenant"]["demo"] is True and doc["count"] > 0
    assert all(m["healthStatus"] == "Active" for m in doc["machines"])


def test_json_names_the_tenant_and_results_json_has_the_same_schema(sim, tmp_path):
    api_url, simulator = sim
    ms = online_windows(simulator, 1)
    out = tmp_path / "out"
    r = lrtui(_run_args([ms[0]["id"]], "-c", "IR-2", "--json", "--out", str(out)), api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["schema"] == "lrtui/1" and doc["kind"] == "jobs"
    assert doc["tenant"]["demo"] is False and doc["tenant"]["api_url"] == api_url
    saved = json.loads((out / "results.json").read_text())
    assert saved["schema"] == doc["schema"] and saved["tenant"] == doc["tenant"]
    assert [j["job_id"] for j in saved["jobs"]] == [j["job_id"] for j in doc["jobs"]]
    assert (out / "results.json").stat().st_mode & 0o777 == 0o600


def test_jsonl_streams_job_changes_and_results_then_a_summary(sim, tmp_path):
    api_url, simulator = sim
    ms = online_windows(simulator, 2)
    r = lrtui(_run_args([m["id"] for m in ms], "-c", "IR-3", "--jsonl"), api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert all(x["schema"] == "lrtui/1" and x["demo"] is False for x in lines)
    events = [x["event"] for x in lines]
    assert events[-1] == "summary" and lines[-1]["all_succeeded"] is True
    jobs = [x for x in lines if x["event"] == "job"]
    for m in ms:
        states = [x["state"] for x in jobs if x["machine_id"] == m["id"]]
        assert len(states) >= 2 and states[-1] == "done"  # queued ... done, one line per change
    results = [x for x in lines if x["event"] == "result"]
    assert len(results) == 4  # 2 machines x 2 commands
    assert events.index("result") < len(events) - 1


def test_csv_has_one_row_per_command(sim, tmp_path):
    api_url, simulator = sim
    ms = online_windows(simulator, 2)
    r = lrtui(_run_args([m["id"] for m in ms], "-c", "IR-4", "--csv"), api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 4
    assert {row["type"] for row in rows} == {"RunScript", "GetFile"}
    getfile = [row for row in rows if row["type"] == "GetFile"]
    assert all(len(row["sha256"]) == 64 for row in getfile)


def test_machines_file_dash_reads_standard_input(sim, tmp_path):
    api_url, simulator = sim
    ms = online_windows(simulator, 2)
    stdin = "# from a pipe\n" + "\n".join(m["computerDnsName"] for m in ms) + "\n"
    r = lrtui(
        ["run", "--machines-file", "-", "--run-script", "Get-Processes.ps1", "-c", "IR-5", "--dry-run", "--json"],
        api_url,
        tmp_path,
        input=stdin,
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert {d["machine_id"] for d in doc["requests"]} == {m["id"] for m in ms}
    assert doc["tenant"]["demo"] is False
    r = lrtui(["run", "--machines-file", "-", "--run-script", "a.ps1", "-c", "x"], api_url, tmp_path, input="")
    assert r.returncode == 2 and "standard input names no machines" in r.stderr


def test_bad_deadline_is_a_usage_error(sim, tmp_path):
    api_url, _ = sim
    r = lrtui(_run_args(["x"], "-c", "x", "--deadline", "soon"), api_url, tmp_path)
    assert r.returncode == 2 and "not a duration" in r.stderr
