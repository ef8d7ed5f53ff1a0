"""``lrtui resume`` writes ``results.json`` only in the CLI's document shape, into the folder the run recorded:
the engine never puts its old plain list there, not even while resume is still following the jobs (a resume
killed then left the list behind)."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time

import pytest

from lrtui.sim import SimConfig
from lrtui.sim.testing import running_simulator
from tests.cli.conftest import lrtui

OFFLINE = 7  # the fixed workstation that is offline for good (lrtui.sim.tenant.catalogue.fixed_profiles)


@pytest.fixture
def offline_sim():
    cfg = SimConfig(seed=5, machines=20, time_scale=0.002, workshop_online_after_s=None)
    with running_simulator(cfg) as (api_url, _blob, simulator):
        machine = simulator.state.machines[OFFLINE]
        assert machine.online_at == math.inf
        yield api_url, simulator, machine


def test_a_resume_killed_while_following_leaves_the_document_shape(offline_sim, tmp_path):
    api_url, _simulator, machine = offline_sim
    out = tmp_path / "case"
    args = ["run", "-m", machine.id, "--run-script", "Get-Processes.ps1", "-c", "IR-3", "--out", str(out), "--no-wait"]
    r = lrtui(args, api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    (job,) = json.loads((out / "results.json").read_text())["jobs"]

    env = {k: v for k, v in os.environ.items() if not k.startswith("LRTUI_")}
    env.update(LRTUI_HOME=str(tmp_path / "home"), LRTUI_ACCESS_TOKEN="demo-token")
    proc = subprocess.Popen(
        [sys.executable, "-m", "lrtui", "resume", "--api-url", api_url],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(4)  # started, picked the job up, following it (the machine never connects)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    doc = json.loads((out / "results.json").read_text())
    assert isinstance(doc, dict) and doc["schema"] == "lrtui/1", doc
    assert [j["job_id"] for j in doc["jobs"]] == [job["job_id"]]
