"""Transient read failures never end a batch (issue 14): with a quarter of the GETs answering 5xx and a tenth
dropping the connection, a 10-machine run through ``run_batch`` finishes with every result.

The simulator's own fault injection (``FaultMiddleware`` with a ``FaultSpec``) is put in front of the GETs only:
the POSTs reach the simulator untouched (a submission is never repeated, and that has its own tests in
``test_faults_loopback``). Served over loopback, so a drop really closes the connection without an answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lrtui.api.models import CommandType
from lrtui.api.retry import RetryPolicy
from lrtui.api.sequence import Sequence, make_command
from lrtui.engine.batch import run_batch
from lrtui.engine.jobs import RequestLogged
from lrtui.engine.journal import Journal
from lrtui.sim.asgi import ASGIApp, Receive, Scope, Send
from lrtui.sim.config import FaultSpec, SimConfig
from lrtui.sim.faults import FaultMiddleware
from lrtui.sim.simulator import Simulator
from lrtui.sim.testing import running_simulator

from .conftest import loopback_client, scaled_settings, usable
from .helpers import wire_engine

#: 25% of GETs answer 5xx and 10% drop the connection, half of them after the service acted
GET_FAULTS = FaultSpec(error_5xx=0.25, drop=0.10, phase_after=0.5)


class FaultyReads:
    """The simulator's API with its fault injection applied to GET requests only."""

    def __init__(self, sim: Simulator, spec: FaultSpec) -> None:
        self.plain: ASGIApp = sim.api_app
        self.faulty = FaultMiddleware(
            sim.api_app,
            spec,
            seed=sim.config.seed,
            origin="api-reads",
            state=sim.state,
            lock=sim.lock,
            request_ids=sim.request_ids,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            await self.faulty(scope, receive, send)
        else:
            await self.plain(scope, receive, send)


#: one run meets about 30 reads, so four failures in a row on one read (which ended a run under the old fixed
#: four attempts) happen in about a third of the runs: twelve seeds make a pass without the fix very unlikely
#: (measured with four attempts emulated: 12 of 40 seeds failed, mostly at validation)
SEEDS = list(range(1, 13))


@pytest.mark.parametrize("seed", SEEDS)
async def test_ten_machines_finish_with_every_result_under_read_faults(tmp_path: Path, seed: int) -> None:
    sim = Simulator(SimConfig(seed=seed, machines=60, time_scale=0.01, scale_rate_window=True))
    sim.api_app = FaultyReads(sim, GET_FAULTS)
    retry = RetryPolicy(base_delay_s=0.02, max_delay_s=0.2, request_deadline_s=10.0, read_deadline_s=60.0)
    with running_simulator(sim) as (api_url, _blob, _):
        machines = usable(sim, 10)
        eng = wire_engine(
            lambda **kw: loopback_client(api_url, retry=retry, **kw),
            Journal(tmp_path / "j.sqlite3"),
            scaled_settings(),
            data_dir=tmp_path / "data",
        )
        failed_gets: list[Any] = []
        eng.subscribe(
            lambda e: (
                isinstance(e, RequestLogged)
                and e.record.method == "GET"
                and e.record.error is not None
                and failed_gets.append(e.record)
            )
        )
        seq = Sequence(comment="case-transient reads").add(
            make_command(CommandType.GET_FILE, r"C:\Windows\System32\drivers\etc\hosts", os_family="windows")
        )
        try:
            jobs = await run_batch(eng, seq, [m.id for m in machines], tmp_path / "out", progress_every=0.2)
        finally:
            await eng.stop()
            await eng.client.aclose()
    assert sum(sim.state.faults_injected.values()) >= 3, dict(sim.state.faults_injected)
    assert len(failed_gets) >= 3  # the run really met failed reads, and every one was retried
    assert len(jobs) == 10
    for j in jobs:
        assert j.outcome is not None and j.outcome.value == "succeeded", (j.machine_name, j.outcome, j.error_message)
        assert [r.downloaded for r in j.results] == [True], (j.machine_name, j.results)
        assert j.results[0].file_path and Path(j.results[0].file_path).is_file()
