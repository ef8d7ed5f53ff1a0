"""Crash at each step of a submission (SIGKILL in a child process), restart with ``resume``: every machine has
exactly one action on the simulator and every job finishes."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lrtui.engine.batch import resume
from lrtui.engine.jobs import JobState, Outcome
from lrtui.engine.journal import Journal
from lrtui.sim.config import SimConfig
from lrtui.sim.testing import running_simulator

from .conftest import loopback_client, lr_actions_per_machine, scaled_settings, usable
from .helpers import wire_engine

CHILD = Path(__file__).with_name("crash_child.py")


@pytest.mark.parametrize("step", ["after_journal", "after_post", "after_action"])
async def test_crash_then_resume_submits_once(step, tmp_path):
    cfg = SimConfig(seed=11, machines=60, time_scale=0.01, scale_rate_window=True)
    with running_simulator(cfg) as (api_url, _blob_url, sim):
        machines = usable(sim, 3)
        journal_path = tmp_path / "journal.sqlite3"
        proc = subprocess.run(
            [
                sys.executable,
                str(CHILD),
                api_url,
                str(journal_path),
                str(tmp_path / "data"),
                step,
                *[m.id for m in machines],
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
        with Journal(journal_path) as j:
            states = {x.state for x in j.unfinished_jobs()}
        if step == "after_journal":
            assert JobState.SUBMITTING in states
        before = lr_actions_per_machine(sim)
        assert all(n == 1 for n in before.values())
        journal = Journal(journal_path)
        engine = wire_engine(
            lambda **kw: loopback_client(api_url, **kw),
            journal,
            scaled_settings(reconcile_grace_s=1.0),
            data_dir=tmp_path / "out",
        )
        try:
            jobs = await resume(engine, progress_every=0.2)
        finally:
            await engine.stop()
            await engine.client.aclose()
        journal.open()
        everything = journal.all_jobs()
        journal.close()
        assert len(everything) == 3
        assert all(x.state is JobState.DONE and x.outcome is Outcome.SUCCEEDED for x in everything), [
            (x.machine_id, x.state, x.outcome, x.error_message) for x in everything
        ]
        assert lr_actions_per_machine(sim) == {m.id: 1 for m in machines}
        assert jobs  # something was picked up
