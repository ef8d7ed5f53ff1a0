"""Budget arithmetic: rolling windows, sessions, one per machine, back-off, settings overrides."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrtui.engine.budget import GENERAL, RATE, Budget, BudgetSettings, lower_bound_s


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


ops = st.lists(
    st.tuples(
        st.sampled_from(["reserve", "reserve", "release", "confirm", "confirm", "advance", "general", "observe"]),
        st.integers(0, 40),
        st.floats(0.0, 30.0),
    ),
    max_size=300,
)


@settings(max_examples=300, deadline=None)
@given(ops, st.integers(1, 12), st.floats(1.0, 90.0), st.integers(1, 30))
def test_never_more_than_n_calls_per_window_nor_sessions_nor_two_per_machine(steps, n, window, sessions):
    clock = Clock()
    b = Budget(
        BudgetSettings(
            rate_calls=n, rate_window_s=window, max_sessions=sessions, general_per_minute=5, general_window_s=window
        ),
        clock,
    )
    calls: dict[str, list] = {}  # job -> [sent at, answered at or None, ticket]
    general: list[float] = []
    holders: dict[str, str] = {}  # machine -> job
    k = 0
    for op, m, dt in steps:
        machine = f"m{m}"
        if op == "reserve":
            k += 1
            job = f"j{k}"
            t = b.reserve(job, machine)
            if t is not None:
                assert machine not in holders, "two active actions on one machine"
                holders[machine] = job
                calls[job] = [clock.t, None, t]
                assert b.sessions_used <= sessions
        elif op == "confirm":
            open_ = sorted(j for j, c in calls.items() if c[1] is None)
            if open_:
                c = calls[open_[m % len(open_)]]
                b.confirm_call(c[2])
                c[1] = clock.t
        elif op == "release" and holders:
            machine = sorted(holders)[m % len(holders)]
            job = holders.pop(machine)
            if calls[job][1] is None:  # the answer arrives, then the action ends
                b.confirm_call(calls[job][2])
                calls[job][1] = clock.t
            b.release(job, machine)
        elif op == "advance":
            clock.t += dt / 10
        elif op == "observe":  # what the UI reads must never change the arithmetic
            b.drain_estimate(m * 7)
            b.next_slot_in()
            b.general_used()
            b.backoff_left()
        elif op == "general":
            if b.try_general():
                general.append(clock.t)
    # When call i was sent, every earlier call the service may still count (it may have arrived as late as its
    # answer; an unanswered one is still in flight) plus call i itself: never more than n.
    inf = float("inf")
    for sent_i, _, _ in calls.values():
        live = sum(1 for s, a, _ in calls.values() if s <= sent_i and (a if a is not None else inf) > sent_i - window)
        assert live <= n
    assert max_in_window(general, window) <= 5


def test_slot_redated_to_answer_time():
    clock = Clock()
    b = Budget(BudgetSettings(rate_calls=1, rate_window_s=10), clock)
    t = b.reserve("a", "m1")
    clock.t += 3  # the answer took 3 s: the service may have counted the call at any point up to now
    b.confirm_call(t)
    clock.t += 8
    assert b.next_slot_in() == pytest.approx(2.0)
    clock.t += 2
    assert b.can_submit("m2")


def test_sessions_and_machine_release():
    clock = Clock()
    b = Budget(BudgetSettings(rate_calls=100, max_sessions=2), clock)
    assert b.reserve("a", "m1") and b.reserve("b", "m2")
    assert b.reserve("c", "m3") is None  # sessions full
    b.release("a", "m1")
    assert b.reserve("c", "m1") is not None  # machine free again
    assert b.reserve("d", "m1") is None


def test_backoff_blocks_until_retry_after():
    clock = Clock()
    b = Budget(BudgetSettings(), clock)
    b.back_off(RATE, 30)
    assert not b.can_submit("m1")
    assert b.next_slot_in() == pytest.approx(30)
    clock.t += 29.9
    assert b.reserve("a", "m1") is None
    clock.t += 0.2
    assert b.reserve("a", "m1") is not None
    b.back_off(GENERAL, None)  # no usable Retry-After: the default
    assert b.general_wait() == pytest.approx(60)
    assert not b.try_general()


async def test_general_gate_under_concurrency():
    s = BudgetSettings(general_per_minute=5, general_per_hour=1000, general_window_s=0.25)
    b = Budget(s)
    times: list[float] = []

    async def caller():
        for _ in range(3):
            await b.general_gate()
            times.append(time.monotonic())

    await asyncio.gather(*(caller() for _ in range(8)))
    assert len(times) == 24
    assert max_in_window(times, 0.25) <= 5


def test_overrides_replace_the_base_values():
    """``lrtui.settings`` derives BudgetSettings (reading LRTUI_* is tested there): overrides win over the base."""
    s = replace(
        BudgetSettings(rate_calls=3),
        rate_calls=20,
        rate_window_s=1.5,
        max_sessions=5,
        general_per_minute=50,
        general_per_hour=700,
    )
    assert (s.rate_calls, s.rate_window_s, s.max_sessions, s.general_per_minute, s.general_per_hour) == (
        20,
        1.5,
        5,
        50,
        700,
    )


def test_drain_estimate_and_lower_bound():
    clock = Clock()
    b = Budget(BudgetSettings(rate_calls=10, rate_window_s=60), clock)
    assert b.drain_estimate(0) == 0
    assert b.drain_estimate(10) == 0
    assert b.drain_estimate(40) == pytest.approx(180)
    s = BudgetSettings(rate_calls=10, rate_window_s=60, max_sessions=25)
    assert lower_bound_s(200, 30, s) == pytest.approx(19 * 60 + 30)


def test_snapshot_reads_without_changing_anything():
    clock = Clock()
    b = Budget(BudgetSettings(rate_calls=2, rate_window_s=10, max_sessions=3), clock)
    b.reserve("a", "m1")
    b.reserve("b", "m2")
    b.try_general()
    snap = b.snapshot(queued=5, active=2)
    assert (snap.calls_used, snap.calls_limit, snap.sessions_used, snap.general_used_minute) == (2, 2, 2, 1)
    assert snap.next_slot_in_s == pytest.approx(10) and snap.eta_drain_s == pytest.approx(30)
    assert b.snapshot(queued=5, active=2) == snap
