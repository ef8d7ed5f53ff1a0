"""The poller: one list call per cycle whatever the number of followed actions, adaptive interval, chunks."""

from __future__ import annotations

import asyncio
import time

import pytest

from lrtui.api.models import CommandType
from lrtui.api.sequence import Sequence, make_command
from lrtui.engine.budget import BudgetSettings
from lrtui.engine.jobs import JobState
from lrtui.engine.poller import Followed, chunks, cycle_interval

from .conftest import make_sim, scaled_settings, usable


def list_calls(sim) -> int:
    return sum(sim.state.calls_per_minute.get("machineactions", {}).values())


async def _rate_with(n: int, engine_factory) -> float:
    sim = make_sim(rate_calls=40, max_sessions=40, machines=200)
    eng = await engine_factory(sim, scaled_settings(rate_calls=40, max_sessions=40, poll_fast_s=0.05))
    seq = Sequence(comment="case-poll").add(make_command(CommandType.RUN_SCRIPT, "Watch-ProcessCreation.ps1"))
    jobs = await eng.submit(seq, usable(sim, n))
    t0 = time.monotonic()
    while not all(j.state is JobState.RUNNING for j in jobs):
        assert time.monotonic() - t0 < 10, [j.state for j in jobs]
        await asyncio.sleep(0.02)
    start_calls, start = list_calls(sim), time.monotonic()
    await asyncio.sleep(1.5)
    assert all(j.state is JobState.RUNNING for j in jobs)  # still running: the window measured n sessions
    rate = (list_calls(sim) - start_calls) / (time.monotonic() - start)
    for j in jobs:
        await eng.cancel(j.id)
    return rate


async def test_calls_per_minute_do_not_grow_with_sessions(engine_factory):
    r5 = await _rate_with(5, engine_factory)
    r25 = await _rate_with(25, engine_factory)
    assert r5 > 5  # polling happened (about 20 per second at this scale)
    assert abs(r25 - r5) / r5 < 0.2, (r5, r25)


def test_interval_rules():
    s = BudgetSettings(poll_fast_s=5, poll_slow_s=60)  # 100/min, 1500/h, half of it for polling
    online = [Followed("a", online=True)]
    offline = [Followed("b", online=False)]
    assert cycle_interval(online, 1, s) == 5
    assert cycle_interval(offline, 1, s) == 60
    assert cycle_interval(offline + online, 1, s) == 5
    # many chunks: never more than the poller's share of the general budget (750 calls an hour here)
    assert cycle_interval(online, 10, s) == 48
    assert [len(c) for c in chunks([str(i) for i in range(95)], 40)] == [40, 40, 15]


@pytest.mark.parametrize("mode", ["or", "get"])
async def test_fallback_poll_modes_work_on_the_simulator(engine_factory, mode):
    """``id in (...)`` is UNCONFIRMED on the real service; on a 400 ODataError the poller switches to ``or`` of
    ``eq``, then to one GET per action. Both fallbacks, driven against the simulator."""
    sim = make_sim()
    eng = await engine_factory(sim)
    eng.poller.mode = mode
    seq = Sequence(comment="case-or").add(
        make_command(CommandType.GET_FILE, r"C:\Windows\System32\drivers\etc\hosts", os_family="windows")
    )
    jobs = await eng.submit(seq, usable(sim, 3))
    await eng.wait_idle(timeout=20)
    assert all(j.outcome.value == "succeeded" for j in jobs)
    assert eng.poller.mode == mode
    if mode == "get":
        assert sum(sim.state.calls_per_minute.get("machineaction", {}).values()) >= 3
