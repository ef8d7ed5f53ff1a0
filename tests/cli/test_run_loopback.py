"""`lrtui run` as a user runs it: a real process, against `lrtui sim` over a real loopback socket."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.cli.conftest import AUTH, lrtui, online_windows

SEED_BODY = {
    "Commands": [
        {
            "type": "RunScript",
            "params": [{"key": "ScriptName", "value": "minidump.ps1"}, {"key": "Args", "value": "OfficeClickToRun"}],
        },
        {"type": "GetFile", "params": [{"key": "Path", "value": "C:\\windows\\TEMP\\OfficeClickToRun.dmp.zip"}]},
    ],
    "Comment": "Testing Live Response API",
}


def _posts(simulator):
    return simulator.state.lr_post_count


def test_seed_example_dry_run_prints_the_documented_body(sim, tmp_path):
    api_url, simulator = sim
    m = online_windows(simulator, 1)[0]
    before = _posts(simulator)
    r = lrtui(
        [
            "run",
            "-m",
            m["computerDnsName"],
            "--run-script",
            "minidump.ps1",
            "--args",
            "OfficeClickToRun",
            "--get-file",
            r"C:\windows\TEMP\OfficeClickToRun.dmp.zip",
            "--comment",
            "Testing Live Response API",
            "--dry-run",
            "--json",
        ],
        api_url,
        tmp_path,
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["requests"][0]["body"] == SEED_BODY
    assert doc["requests"][0]["url"] == f"/api/machines/{m['id']}/runliveresponse"
    assert "1 machine" in doc["estimate"]
    assert _posts(simulator) == before  # nothing was sent


def test_run_on_three_machines_collects_everything(sim, tmp_path):
    api_url, simulator = sim
    ms = online_windows(simulator, 3)
    out = tmp_path / "out"
    args = ["run"]
    for m in ms:
        args += ["-m", m["id"]]
    args += [
        "--run-script",
        "Get-Processes.ps1",
        "--get-file",
        r"C:\Windows\System32\drivers\etc\hosts",
        "--comment",
        "IR-7 triage",
        "--out",
        str(out),
        "--json",
    ]
    r = lrtui(args, api_url, tmp_path)
    assert r.returncode == 0, r.stderr + r.stdout
    doc = json.loads(r.stdout)
    assert doc["all_succeeded"] is True
    assert {j["machine_id"] for j in doc["jobs"]} == {m["id"] for m in ms}
    for j in doc["jobs"]:
        assert j["outcome"] == "succeeded"
        script, getfile = j["results"]
        assert script["exit_code"] == 0 and "svchost.exe" in script["script_output"]
        f = getfile["file"]
        p = Path(f["path"])
        assert p.is_file() and p.is_relative_to(out)
        import hashlib

        assert hashlib.sha256(p.read_bytes()).hexdigest() == f["sha256"]
        assert f["sha256_received"] != f["sha256"]  # received gzip, saved decompressed
    assert simulator.state.auth_leaks == 0
    # the profile's (here: none) prefix plus the comment reached the service
    r = httpx.get(f"{api_url}/api/machineactions", params={"$filter": f"machineId eq '{ms[0]['id']}'"}, headers=AUTH)
    assert any("IR-7 triage" in (a["requestorComment"] or "") for a in r.json()["value"])


def test_wrong_order_exits_2_before_any_call(sim, tmp_path):
    api_url, simulator = sim
    before = _posts(simulator)
    r = lrtui(
        ["run", "-m", "whatever", "--get-file", r"C:\x.txt", "--run-script", "a.ps1", "-c", "x"], api_url, tmp_path
    )
    assert r.returncode == 2
    assert "PutFile commands first, then RunScript, then GetFile" in r.stderr
    assert _posts(simulator) == before


def test_unknown_machine_is_named_and_nothing_is_sent(sim, tmp_path):
    api_url, simulator = sim
    m = online_windows(simulator, 1)[0]
    before = _posts(simulator)
    r = lrtui(
        ["run", "-m", m["id"], "-m", "no-such-host.example", "--run-script", "Get-Processes.ps1", "-c", "x"],
        api_url,
        tmp_path,
    )
    assert r.returncode == 2
    assert "no-such-host.example" in r.stderr and "Nothing was sent" in r.stderr
    assert _posts(simulator) == before


def test_machines_file_bad_lines_are_named(sim, tmp_path):
    api_url, simulator = sim
    f = tmp_path / "hosts.txt"
    f.write_text("# targets\ngood-host\nbad host with spaces\n\nother'quote\n")
    r = lrtui(["run", "--machines-file", str(f), "--run-script", "Get-Processes.ps1", "-c", "x"], api_url, tmp_path)
    assert r.returncode == 2
    assert "line 3" in r.stderr and "line 5" in r.stderr


def test_missing_comment_and_bad_args_are_refused(sim, tmp_path):
    api_url, _ = sim
    r = lrtui(["run", "-m", "x", "--run-script", "a.ps1"], api_url, tmp_path)
    assert r.returncode == 2 and "--comment is required" in r.stderr
    r = lrtui(["run", "-m", "x", "--run-script", "a.ps1", "--args", "a; rm -rf /", "-c", "x"], api_url, tmp_path)
    assert r.returncode == 2 and "; & | ! $" in r.stderr


def test_actions_lists_the_journal_after_a_run(sim, tmp_path):
    api_url, simulator = sim
    m = online_windows(simulator, 1)[0]
    r = lrtui(["run", "-m", m["id"], "--run-script", "Get-Processes.ps1", "-c", "journal check"], api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    r = lrtui(["actions", "--json"], api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)["actions"]
    assert any(row["machine_id"] == m["id"] and row["outcome"] == "succeeded" for row in rows)
    journal = next((tmp_path / "home" / "state").glob("journal-*.sqlite3"))
    assert (journal.stat().st_mode & 0o777) == 0o600
