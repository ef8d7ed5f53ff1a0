"""The composition: what ``build_runtime`` wires (demo tenant in-process), and what importing it costs."""

from __future__ import annotations

import subprocess
import sys

from lrtui.cli.compose import DEMO_BLOB_URL, build_runtime, demo_simulator, runtime_factory
from lrtui.settings import load_settings
from lrtui.sim import SimConfig


async def test_demo_runtime_is_wired_and_cleans_up(tmp_path, monkeypatch):
    monkeypatch.setenv("LRTUI_HOME", str(tmp_path))
    settings = load_settings(demo=True)
    sim = demo_simulator(settings, SimConfig(seed=3, machines=20))
    rt = await build_runtime(settings, simulator=sim, start=False)
    try:
        assert rt.demo and rt.profile_name == settings.profile.name
        assert rt.engine.client is rt.client and rt.engine.journal is rt.journal
        assert rt.engine.budget.settings == settings.budget_settings()
        assert rt.data_dir == tmp_path / "data" / "demo"
        machines = await rt.client.machines.list()
        assert len(machines) == 20 == len(sim.state.machines)
        assert rt.request_log and rt.request_log[-1].status == 200  # the request log sees every call
        journal = rt.journal.path
        # the demo keeps its evidence (issue 11): its own journal per session under the user's state folder
        assert journal.parent == tmp_path / "state" / "demo" and journal.name.startswith("journal-")
    finally:
        await rt.aclose()
    assert journal.exists()  # kept after the session, next to the others


def test_demo_simulator_serves_links_on_the_demo_blob_host(tmp_path, monkeypatch):
    monkeypatch.setenv("LRTUI_HOME", str(tmp_path))
    sim = demo_simulator(load_settings(demo=True), SimConfig(seed=3, machines=5))
    assert sim.config.blob_base_url == DEMO_BLOB_URL


async def test_runtime_factory_builds_and_starts(tmp_path, monkeypatch):
    monkeypatch.setenv("LRTUI_HOME", str(tmp_path))
    monkeypatch.setenv("LRTUI_DEMO_MACHINES", "15")
    factory = runtime_factory(load_settings(demo=True), demo=True)
    rt = await factory(None)
    try:
        assert rt.demo and rt.engine.started
        await rt.inventory.load(rt.client)
        assert len(rt.inventory) == 15
    finally:
        await rt.aclose()
    assert not rt.engine.started


def test_importing_the_cli_and_the_composition_stays_light():
    code = (
        "import sys, lrtui.cli, lrtui.cli.compose, lrtui.runtime\n"
        "heavy = ('httpx', 'sqlite3', 'textual', 'lrtui.sim', 'lrtui.engine', 'lrtui.api.client', 'msal')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
