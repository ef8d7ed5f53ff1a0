"""`lrtui run --canary` and `lrtui resume --batch` as a user runs them: real processes against `lrtui sim` over
a real loopback socket. A canary that fails pauses the batch (exit 1, the reason and the way on said, the batch
state in the JSON) and nothing is sent for the held machines; `resume --batch` continues or cancels it."""

from __future__ import annotations

import json

import httpx
import pytest

from lrtui.sim import SimConfig
from lrtui.sim.testing import running_simulator
from tests.cli.conftest import AUTH, lrtui, online_windows

BITLOCKER = "Get-BitLockerStatus.ps1"  # exit 5 on every server


@pytest.fixture(scope="module")
def sim():
    """This module's own simulator: its 10 POSTs a minute are not shared with the other CLI tests (the module
    sends 10 in all)."""
    with running_simulator(SimConfig(seed=11, machines=80, time_scale=0.002)) as (api_url, _blob_url, simulator):
        simulator.api_url_for_tests = api_url
        yield api_url, simulator


def servers(api_url, n):
    flt = "healthStatus eq 'Active' and startswith(osPlatform,'WindowsServer')"
    r = httpx.get(f"{api_url}/api/machines", params={"$filter": flt, "$top": "200"}, headers=AUTH)
    r.raise_for_status()
    out = [m for m in r.json()["value"] if "no automation" not in (m.get("rbacGroupName") or "").lower()]
    assert len(out) >= n
    return out[:n]


def _run(machines, script, *extra):
    args = ["run"]
    for m in machines:
        args += ["-m", m["id"]]
    return [*args, "--run-script", script, "-c", "IR-9 canary", *extra]


def _posts(simulator):
    return simulator.state.lr_post_count


def _actions_for(simulator, job_ids):
    """The service's actions whose comment carries one of ``job_ids`` (the job's marker)."""
    return [a for a in list(simulator.state.actions.values()) if any(j in (a.comment or "") for j in job_ids)]


def test_bad_canary_options_are_refused_before_any_call(sim, tmp_path):
    api_url, simulator = sim
    ms = online_windows(simulator, 3)
    before = _posts(simulator)
    for extra, said in (
        (["--canary", "3"], "--canary 3 needs more than 3 machines; this run has 3"),
        (["--canary", "0"], "not a canary size"),
        (["--canary", "1", "--max-failures", "ten"], "not a share: give a percent (10%) or a fraction (0.1)"),
        (["--canary", "1", "--max-failures", "150%"], "out of range"),
        (["--canary-max-failures", "10%"], "--canary-max-failures needs --canary N"),
    ):
        r = lrtui(_run(ms, "Get-Processes.ps1", *extra), api_url, tmp_path)
        assert r.returncode == 2, (extra, r.stderr)
        assert said in r.stderr and "Traceback" not in r.stderr
    assert _posts(simulator) == before


def test_a_failing_canary_pauses_and_resume_batch_continues_it(sim, tmp_path):
    api_url, simulator = sim
    ms = servers(api_url, 4)
    before = _posts(simulator)
    r = lrtui(_run(ms, BITLOCKER, "--canary", "2", "--json"), api_url, tmp_path)
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    state = doc["batch"]
    bid = state["batch_id"]
    assert state["phase"] == "paused" and state["held"] == 2 and len(state["canary"]) == 2
    assert state["reason"].startswith("canary: 2 of 2 failed: script_failed on ")
    assert f"batch {bid[:8]} paused: canary: 2 of 2 failed" in r.stderr
    assert f"`lrtui resume --batch {bid[:8]}`" in r.stderr and "--retry-failed" in r.stderr and "--cancel" in r.stderr
    held = [j["job_id"] for j in doc["jobs"] if j["state"] == "paused"]
    assert len(held) == 2 and _actions_for(simulator, held) == []  # nothing was sent for them
    assert _posts(simulator) - before >= 2

    r = lrtui(["resume", "--batch", bid[:8], "--json"], api_url, tmp_path)
    assert r.returncode == 1, r.stderr  # the servers fail the script, but the batch ran to its end
    doc = json.loads(r.stdout)
    assert doc["batch"]["phase"] == "done" and doc["batch"]["held"] == 0 and doc["batch"]["finished"] == 4
    assert len(_actions_for(simulator, held)) == 2
    assert {j["machine_id"] for j in doc["jobs"]} == {m["id"] for m in ms}


def test_resume_batch_cancel_drops_the_held_jobs(sim, tmp_path):
    api_url, simulator = sim
    ms = servers(api_url, 3)
    r = lrtui(_run(ms, BITLOCKER, "--canary", "1", "--json"), api_url, tmp_path)
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    bid = doc["batch"]["batch_id"]
    held = [j["job_id"] for j in doc["jobs"] if j["state"] == "paused"]
    r = lrtui(["resume", "--batch", bid, "--cancel", "--json"], api_url, tmp_path)
    assert r.stdout, r.stderr
    doc = json.loads(r.stdout)
    assert doc["batch"]["phase"] == "done" and doc["batch"]["held"] == 0
    assert sorted(j["outcome"] for j in doc["jobs"]) == ["cancelled"] * 2 + ["script_failed"]
    assert _actions_for(simulator, held) == []
    r = lrtui(["resume", "--batch", "zzzz", "--json"], api_url, tmp_path)
    assert r.returncode == 2 and "No batch 'zzzz'" in r.stderr
    r = lrtui(["resume", "--cancel"], api_url, tmp_path)
    assert r.returncode == 2 and "need --batch ID" in r.stderr


def test_a_passing_canary_runs_the_whole_batch(sim, tmp_path):
    """Get-Autoruns.ps1 exits 0 and writes a warning to stderr on every Windows machine: that is no failure (the
    canary passes, the run exits 0), and the JSON says that each one wrote to stderr."""
    api_url, simulator = sim
    ms = online_windows(simulator, 3)
    r = lrtui(_run(ms, "Get-Autoruns.ps1", "--canary", "1", "--max-failures", "20%", "--json"), api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["all_succeeded"] is True and doc["batch"]["phase"] == "done" and doc["batch"]["max_failures"] == 0.2
    assert all(j["wrote_stderr"] and j["results"][0]["exit_code"] == 0 for j in doc["jobs"])
    assert len(_actions_for(simulator, [j["job_id"] for j in doc["jobs"]])) == 3


def test_no_wait_leaves_the_rest_to_resume_which_waits_for_the_canary(sim, tmp_path):
    api_url, simulator = sim
    ms = online_windows(simulator, 5)[3:5]  # not the machines of the other tests
    r = lrtui(_run(ms, "Get-Processes.ps1", "--canary", "1", "--no-wait", "--json"), api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    assert "1 job(s) wait for the canary: `lrtui resume` sends them once it passes." in r.stderr
    doc = json.loads(r.stdout)
    held = [j["job_id"] for j in doc["jobs"] if j["state"] == "paused"]
    assert len(held) == 1 and _actions_for(simulator, held) == []
    r = lrtui(["resume", "--json"], api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["all_succeeded"] is True and len(doc["jobs"]) == 2
    assert len(_actions_for(simulator, held)) == 1
