"""The poller: one list call per cycle whatever the number of followed actions, adaptive interval, chunks."""

from __future__ import annotations

import asyncio
import math
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrtui.api.models import CommandType
from lrtui.api.sequence import Sequence, make_command
from lrtui.engine.budget import BudgetSettings
from lrtui.engine.jobs import JobState
from lrtui.engine.poller import HORIZON_MIN_SHARE, chunks, expected_left_s, poll_interval
from lrtui.engine.windows import WindowView

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


def _live(times: list[float], end: float, length: float) -> list[float]:
    """Calls in the window ending at ``end``; one exactly a window earlier has left (a relative 1e-7 absorbs the
    rounding of summed intervals at that boundary)."""
    return [t for t in times if end - length * (1 - 1e-7) < t <= end]


def _count_in(times: list[float], end: float, length: float) -> int:
    return len(_live(times, end, length))


def _view(times: list[float], t: float, limit: int, length: float) -> WindowView:
    live = _live(times, t, length)
    return WindowView(limit, length, len(live), tuple(sorted(x + length - t for x in live)))


old_calls = st.lists(st.floats(0.0, 1.0, exclude_max=True), max_size=60)


@settings(max_examples=200)
@given(
    limit=st.integers(1, 60),
    length=st.floats(1.0, 100.0),
    old=old_calls,
    n=st.integers(1, 4),
    horizons=st.lists(st.floats(0.05, 20.0), min_size=1, max_size=8),
    floor=st.floats(0.001, 5.0),
)
def test_polling_by_the_rule_never_spends_more_than_the_window_holds(limit, length, old, n, horizons, floor):
    """A poller that recomputes the interval after each cycle, whatever the horizon it is told, never has more
    calls in any window than the limit (old calls included)."""
    times = sorted(-length * f for f in old[:limit])  # the window as it stands now (t = 0): at most the limit
    t = 0.0
    for k in range(120):
        view = _view(times, t, limit, length)
        interval = poll_interval(n, (view,), horizon_s=horizons[k % len(horizons)] * length, floor_s=floor)
        assert interval >= floor and math.isfinite(interval)
        t += interval
        if n > limit:  # one cycle is more than the window holds: the gate splits it; nothing to plan
            return
        times.extend([t] * n)
        assert _count_in(times, t, length) <= limit, (k, t, interval)


@settings(max_examples=200)
@given(
    limit=st.integers(2, 200),
    more=st.integers(0, 200),
    length=st.floats(1.0, 100.0),
    old=old_calls,
    n=st.integers(1, 3),
    horizon=st.floats(0.05, 20.0),
    shorter=st.floats(0.05, 1.0),
)
def test_the_interval_shrinks_when_the_budget_is_plentiful(limit, more, length, old, n, horizon, shorter):
    expiries = tuple(sorted(length * f for f in old[:limit]))
    base = WindowView(limit, length, len(expiries), expiries)
    interval = poll_interval(n, (base,), horizon_s=horizon * length, floor_s=0.001)
    bigger = WindowView(limit + more, length, len(expiries), expiries)  # a larger limit
    assert poll_interval(n, (bigger,), horizon_s=horizon * length, floor_s=0.001) <= interval + 1e-9
    fewer = WindowView(limit, length, len(expiries) // 2, expiries[len(expiries) - len(expiries) // 2 :])
    assert poll_interval(n, (fewer,), horizon_s=horizon * length, floor_s=0.001) <= interval + 1e-9
    # less work to do: the same budget may be spent faster
    assert poll_interval(n, (base,), horizon_s=horizon * length * shorter, floor_s=0.001) <= interval + 1e-9


@settings(max_examples=100)
@given(work=st.floats(10.0, 3600.0), n=st.integers(1, 2), share=st.floats(0.2, 1.0))
def test_the_hour_is_never_exhausted_before_the_work_is_done(work, n, share):
    """Fresh windows, the documented limits, the horizon as the poller computes it (the work left, at least a
    quarter hour): every cycle until the work ends finds the hour's room for itself (no waiting on the hour)."""
    s = BudgetSettings(poll_share=share)
    per_minute, per_hour = math.floor(100 * share), math.floor(1500 * share)
    minute, hour = [], []
    t = 0.0
    while t < work:
        views = (_view(minute, t, per_minute, 60.0), _view(hour, t, per_hour, 3600.0))
        assert per_hour - views[1].used >= n  # the hour still has room for this cycle
        horizon = max(work - t, 3600.0 * HORIZON_MIN_SHARE)
        t += poll_interval(n, views, horizon_s=horizon, floor_s=s.poll_fast_s)
        minute.extend([t] * n)
        hour.extend([t] * n)
        assert _count_in(minute, t, 60.0) <= 100 * share and _count_in(hour, t, 3600.0) <= 1500 * share


def test_a_short_batch_polls_every_second_or_two_a_long_one_at_the_sustainable_rate():
    s = BudgetSettings()  # 100 a minute, 1,500 an hour, half for the poller, 1 s at the fastest
    fresh = (WindowView(50, 60.0, 0), WindowView(750, 3600.0, 0))  # the poller's share of each
    short = poll_interval(1, fresh, horizon_s=120.0, floor_s=s.poll_fast_s)
    assert 1.0 <= short <= 2.0
    long = poll_interval(1, fresh, horizon_s=3 * 3600.0, floor_s=s.poll_fast_s)
    assert long == pytest.approx(3600 / 750, rel=0.01)  # what the hour sustains
    # half the hour spent already: the rest is spread over what is left of the work
    spent = (WindowView(50, 60.0, 0), WindowView(750, 3600.0, 375, tuple([3000.0] * 375)))
    assert poll_interval(1, spent, horizon_s=1800.0, floor_s=s.poll_fast_s) > short


def test_expected_work_left():
    assert expected_left_s([], 100.0, 0, 25, 0.0) == 0.0
    assert expected_left_s([30.0, 10.0], 100.0, 0, 25, 0.0) == 90.0
    assert expected_left_s([400.0], 100.0, 0, 25, 0.0) == 25.0  # overrunning: a quarter more
    assert expected_left_s([10.0], 100.0, 30, 25, 60.0) == 90.0 + 2 * 100.0
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


async def test_the_poller_reads_what_the_machineactions_windows_have_left(engine_factory):
    sim = make_sim()
    eng = await engine_factory(sim, scaled_settings(poll_fast_s=0.001))
    eng.poller.stop()  # only the arithmetic is under test: no cycles
    eng.poller.follow("a" * 8 + "-0000-0000-0000-" + "0" * 12, online=True)
    fresh = eng.poller.interval()
    for _ in range(20):
        assert eng.budget.try_general("resultlink")  # another API's budget: no effect
    assert eng.poller.interval() == pytest.approx(fresh)
    eng.poller._spent(45)  # the poller's own calls: 45 of its share of 50 a minute
    assert eng.poller.interval() > 5 * fresh
    eng.poller._own.clear()
    assert eng.poller.interval() == pytest.approx(fresh)
    for _ in range(95):
        assert eng.budget.try_general("machineactions")  # others took 95 of the API's 100 a minute
    assert eng.poller.interval() > 5 * fresh
