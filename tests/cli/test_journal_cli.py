"""The journal commands as a user runs them: run --no-wait, resume, actions, results, export (over loopback)."""

from __future__ import annotations

import hashlib
import json

from lrtui.engine.export import verify_bundle
from tests.cli.conftest import lrtui, online_windows


def test_no_wait_then_resume_then_results_and_export(sim, tmp_path):
    api_url, simulator = sim
    ms = online_windows(simulator, 2, api_url)
    args = [
        "run",
        "-m",
        ms[0]["id"],
        "-m",
        ms[1]["id"],
        "--run-script",
        "Get-Processes.ps1",
        "--get-file",
        r"C:\Windows\System32\drivers\etc\hosts",
        "-c",
        "case CASE-42 sweep",
        "--no-wait",
        "--json",
    ]
    r = lrtui(args, api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    assert "lrtui resume" in r.stderr
    submitted = json.loads(r.stdout)["jobs"]
    assert all(j["action_id"] for j in submitted)

    r = lrtui(["actions", "--active", "--json"], api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    assert {row["action_id"] for row in json.loads(r.stdout)["actions"]} == {j["action_id"] for j in submitted}

    r = lrtui(["resume", "--json"], api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["all_succeeded"] and len(doc["jobs"]) == 2

    r = lrtui(["actions", "--active"], api_url, tmp_path)
    assert "No unfinished jobs" in r.stdout

    action = submitted[0]["action_id"]
    out = tmp_path / "again"
    r = lrtui(["results", action, "--out", str(out), "--json"], api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)["jobs"][0]["results"]
    saved = res[1]["file"]
    assert saved["path"].startswith(str(out))
    with open(saved["path"], "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == saved["sha256"]

    bundle = tmp_path / "bundle"
    r = lrtui(["export", "--case", "CASE-42", "--out", str(bundle)], api_url, tmp_path)
    assert r.returncode == 0, r.stderr + r.stdout
    assert "chain intact" in r.stdout
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["case"] == "CASE-42" and manifest["jobs"] == 2
    assert verify_bundle(bundle) == []
    r = lrtui(["verify", str(bundle)], api_url, tmp_path)
    assert r.returncode == 0 and "intact" in r.stdout, r.stdout + r.stderr
    # tampering with a collected file shows, naming it
    name = manifest["files"][0]["file"]
    f = bundle / name
    f.write_bytes(f.read_bytes() + b"x")
    assert any(name in p for p in verify_bundle(bundle))
    r = lrtui(["verify", str(bundle), "--json"], api_url, tmp_path)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and any(name in p for p in doc["problems"])

    r = lrtui(["export", "--case", "NO-SUCH-CASE", "--out", str(tmp_path / "b2")], api_url, tmp_path)
    assert r.returncode == 1 and "No job in the journal mentions case NO-SUCH-CASE" in r.stdout


def test_results_for_a_machine_id_is_refused_clearly(sim, tmp_path):
    api_url, simulator = sim
    m = online_windows(simulator, 1, api_url)[0]
    r = lrtui(["results", m["id"]], api_url, tmp_path)
    assert r.returncode != 0
    assert "machine id" in r.stderr.lower()
