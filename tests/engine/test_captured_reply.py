"""Issue 10: the engine against both POST runliveresponse replies. The documented one (201, filled) and the one
captured from the real service (machineId and computerDnsName null, commands empty, requestor the app id; only a
GET of the action shows it filled): a RunScript + GetFile run on 3 machines completes with every result either
way, one action per machine (no double submission), each job tied to its own machine's action."""

from __future__ import annotations

import os

import pytest

from lrtui.api.enums import CommandStatus, CommandType
from lrtui.engine.jobs import JobState, Outcome

from .conftest import lr_actions_per_machine, make_sim, usable
from .helpers import seq

TRIAGE = seq(("RunScript", "Get-Processes.ps1"), ("GetFile", r"C:\Windows\System32\drivers\etc\hosts"))


@pytest.mark.parametrize("captured", [False, True], ids=["documented-reply", "captured-reply"])
async def test_runscript_and_getfile_on_three_machines_with_either_reply(engine_factory, captured):
    sim = make_sim(quirk_captured_post_reply=captured)
    machines = usable(sim, 3)
    eng = await engine_factory(sim)
    jobs = await eng.submit(TRIAGE, machines)
    await eng.wait_idle(timeout=60)

    assert sim.state.lr_created_count == 3 and sim.state.lr_post_count == 3
    assert lr_actions_per_machine(sim) == {m.id: 1 for m in machines}
    for job, m in zip(jobs, machines, strict=True):
        assert job.state is JobState.DONE and job.outcome is Outcome.SUCCEEDED, job.error_message
        action = sim.state.actions[job.action_id]
        assert action.machine.id == m.id and job.machine_id == m.id  # the null machineId did not lose the tie
        assert [(r.type, r.status) for r in job.results] == [
            (CommandType.RUN_SCRIPT, CommandStatus.COMPLETED),
            (CommandType.GET_FILE, CommandStatus.COMPLETED),
        ]
        script, got = job.results
        assert script.downloaded and script.script is not None and script.script.exit_code == 0
        assert script.stdout_path and os.path.getsize(script.stdout_path) > 0
        assert got.downloaded and got.file_path and os.path.getsize(got.file_path) > 0
