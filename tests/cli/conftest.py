"""Shared by the CLI tests: a simulator on a real loopback socket, and lrtui run as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from lrtui.sim import SimConfig
from lrtui.sim.testing import AUTH, running_simulator


@pytest.fixture(scope="session")
def sim():
    cfg = SimConfig(seed=11, machines=80, time_scale=0.002)
    with running_simulator(cfg) as (api_url, blob_url, simulator):
        simulator.api_url_for_tests = api_url
        yield api_url, simulator


def lrtui(args, api_url, tmp_path, timeout=90, input=None, token="demo-token", extra_env=None):
    """``python -m lrtui ARGS --api-url API_URL`` with a fresh LRTUI_HOME (no api_url: no --api-url; no token:
    no LRTUI_ACCESS_TOKEN); ``extra_env``: more LRTUI_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LRTUI_")}
    env.update(LRTUI_HOME=str(tmp_path / "home"), **(extra_env or {}))
    if token:
        env["LRTUI_ACCESS_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "lrtui", *args, *(["--api-url", api_url] if api_url else [])],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
    )


def requests_seen(simulator):
    """How many requests the simulator answered (any status)."""
    return sum(simulator.state.status_counts.values())


def online_windows(simulator, n, api_url=None):
    """Online Windows 10/11 machines in a group with a remediation level, asked of the service like a user would."""
    api_url = api_url or simulator.api_url_for_tests
    flt = "healthStatus eq 'Active' and startswith(osPlatform,'Windows1')"
    r = httpx.get(f"{api_url}/api/machines", params={"$filter": flt, "$top": "200"}, headers=AUTH)
    r.raise_for_status()
    out = [m for m in r.json()["value"] if "no automation" not in (m.get("rbacGroupName") or "").lower()]
    return out[:n]
