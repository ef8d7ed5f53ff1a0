"""`lrtui run --deadline` and `--skip-offline` on a machine that is offline, then `lrtui resume` once it connects
(a simulator of its own, so bringing the machine online touches no other test)."""

from __future__ import annotations

import json
import math
import time

import pytest

from lrtui.sim import SimConfig
from lrtui.sim.testing import running_simulator
from tests.cli.conftest import lrtui, online_windows

OFFLINE = 7  # the fixed workstation that is offline for good (lrtui.sim.tenant.catalogue.fixed_profiles)


@pytest.fixture
def offline_sim():
    cfg = SimConfig(seed=5, machines=20, time_scale=0.002, workshop_online_after_s=None)
    with running_simulator(cfg) as (api_url, _blob, simulator):
        machine = simulator.state.machines[OFFLINE]
        assert machine.online_at == math.inf and machine.wire["healthStatus"] != "Active"
        simulator.api_url_for_tests = api_url
        yield api_url, simulator, machine


@pytest.mark.slow
def test_deadline_exits_4_in_time_and_resume_collects_later(offline_sim, tmp_path):
    api_url, simulator, machine = offline_sim
    out = tmp_path / "out"
    args = ["run", "-m", machine.id, "--run-script", "Get-Processes.ps1", "-c", "IR-9 offline", "--out", str(out)]
    t0 = time.monotonic()
    r = lrtui([*args, "--deadline", "20s", "--json"], api_url, tmp_path)
    took = time.monotonic() - t0
    assert r.returncode == 4, r.stderr
    assert 20 <= took < 20 + 8, took
    doc = json.loads(r.stdout)
    assert doc["stopped_at_deadline"] is True
    (job,) = doc["jobs"]
    assert job["state"] == "offline" and job["action_id"]
    assert "lrtui resume" in r.stderr
    assert json.loads((out / "results.json").read_text())["stopped_at_deadline"] is True

    with simulator.lock:  # the device connects; the service runs the queued action
        machine.online_at = 0.0
        machine.wire["healthStatus"] = "Active"
    r = lrtui(["resume", "--json", "--deadline", "60s"], api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    done = json.loads(r.stdout)
    assert [j["action_id"] for j in done["jobs"]] == [job["action_id"]]
    assert done["all_succeeded"] is True and done["jobs"][0]["results"][0]["exit_code"] == 0
    # resume wrote where the run did, merged: the same job, now final
    saved = json.loads((out / "results.json").read_text())
    assert [(j["job_id"], j["outcome"]) for j in saved["jobs"]] == [(job["job_id"], "succeeded")]


def test_skip_offline_leaves_out_and_names_the_machine(offline_sim, tmp_path):
    api_url, simulator, machine = offline_sim
    on = online_windows(simulator, 1, api_url)[0]
    args = ["run", "-m", machine.id, "-m", on["id"], "--run-script", "Get-Processes.ps1", "-c", "IR-10"]
    r = lrtui([*args, "--skip-offline", "--json"], api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [j["machine_id"] for j in doc["jobs"]] == [on["id"]]
    assert doc["skipped_offline"] == [machine.name]
    assert machine.name in r.stderr
    r = lrtui(
        ["run", "-m", machine.id, "--run-script", "Get-Processes.ps1", "-c", "x", "--skip-offline"], api_url, tmp_path
    )
    assert r.returncode == 1 and "nothing was sent" in r.stderr
