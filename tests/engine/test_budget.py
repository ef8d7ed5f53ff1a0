"""Budget arithmetic: rolling windows, sessions, one per machine, back-off, settings overrides."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lrtui.api.errors import ConfigError
from lrtui.engine.budget import RATE, SHARED, Budget, BudgetSettings
from lrtui.engine.budget_text import lower_bound_s
from lrtui.engine.windows import restored_times


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
# issue 14: reserve, 1 s passes with no answer, reserve on another machine: both may count in one window
@example(steps=[("reserve", 0, 0.0), ("advance", 0, 10.0), ("reserve", 1, 0.0)], n=1, window=1.0, sessions=2)
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
            b.general_used("machineactions")
            b.backoff_left()
        elif op == "general":
            if b.try_general("machineactions"):
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
    b.back_off("machines", None)  # no usable Retry-After: the default
    assert b.general_wait("machines") == pytest.approx(60)
    assert not b.try_general("machines")
    assert b.try_general("library")  # another API's budget is its own


async def test_general_gate_under_concurrency():
    s = BudgetSettings(general_per_minute=5, general_per_hour=1000, general_window_s=0.25)
    b = Budget(s)
    times: list[float] = []

    async def caller():
        for _ in range(3):
            await b.general_gate("machineactions")
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
    b.try_general("library")
    snap = b.snapshot(queued=5, active=2)
    assert (snap.calls_used, snap.calls_limit, snap.sessions_used, snap.general_used_minute) == (2, 2, 2, 1)
    assert snap.next_slot_in_s == pytest.approx(10) and snap.eta_drain_s == pytest.approx(30)
    assert b.snapshot(queued=5, active=2) == snap


def test_an_unanswered_submission_counts_until_its_answer_plus_the_window():
    clock = Clock()
    b = Budget(BudgetSettings(rate_calls=1, rate_window_s=10), clock)
    t = b.reserve("a", "m1")
    assert t is not None
    clock.t += 60  # no answer for a minute: the service may receive it any moment
    assert b.reserve("b", "m2") is None
    assert b.rate_used() == 1
    b.confirm_call(t)  # the answer arrives now: it counts until now + the window
    clock.t += 9.9
    assert b.reserve("b", "m2") is None
    clock.t += 0.2
    assert b.reserve("b", "m2") is not None
    b.confirm_call(t)  # a second confirm of the same ticket changes nothing
    assert b.rate_used() == 1


def test_each_api_has_its_own_budget_unless_shared():
    clock = Clock()
    per = Budget(BudgetSettings(general_per_minute=2, general_per_hour=100), clock)
    assert [per.try_general("machineactions") for _ in range(3)] == [True, True, False]
    assert per.try_general("resultlink") and per.try_general("machines")
    assert per.general_used("machineactions") == (2, 2) and per.general_used("resultlink") == (1, 1)
    shared = Budget(BudgetSettings(general_per_minute=2, general_per_hour=100, general_budget="shared"), clock)
    assert [shared.try_general(e) for e in ("machineactions", "resultlink", "machines")] == [True, True, False]
    assert [e.endpoint for e in shared.snapshot().endpoints] == [SHARED]
    clock.t += 60
    assert shared.try_general("library")  # the minute has passed


def test_an_unforeseen_429_lowers_that_api_for_the_rest_of_the_process():
    clock = Clock()
    b = Budget(BudgetSettings(general_per_minute=100, general_per_hour=1500), clock)
    b.try_general("machines")
    wait, lowered = b.endpoint_429("machineactions", 5.0)
    assert wait == 5.0 and lowered is not None
    assert (lowered.endpoint, lowered.per_minute, lowered.per_hour) == ("machineactions", 75, 1125)
    # calls that were in flight when the first 429 came get theirs too: the same back-off lowers nothing more
    assert b.endpoint_429("machineactions", 5.0)[1] is None
    assert b.general_wait("machineactions") == pytest.approx(5.0) and b.general_wait("machines") == 0
    clock.t += 5
    again = b.endpoint_429("machineactions", float("nan"))  # a 429 after the back-off lowers again
    assert again[0] == 60.0 and again[1] is not None and again[1].per_minute == 56
    snap = b.snapshot()
    ma = next(e for e in snap.endpoints if e.endpoint == "machineactions")
    assert ma.lowered and (ma.limit_minute, ma.limit_hour) == (56, 843)
    assert not next(e for e in snap.endpoints if e.endpoint == "machines").lowered
    assert b.unforeseen_429 == 3
    for _ in range(56):
        clock.t += 0.5
        assert b.general_wait("machineactions") > 0 or b.try_general("machineactions")
    assert b.general_used("machineactions")[0] <= 56


def test_the_snapshot_shows_the_fullest_api():
    clock = Clock()
    b = Budget(BudgetSettings(general_per_minute=10, general_per_hour=100), clock)
    for _ in range(7):
        b.try_general("resultlink")
    b.try_general("machineactions")
    snap = b.snapshot()
    assert (snap.general_endpoint, snap.general_used_minute, snap.general_limit_minute) == ("resultlink", 7, 10)
    assert [e.endpoint for e in snap.endpoints] == ["machineactions", "resultlink"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rate_window_s", float("nan")),
        ("rate_window_s", float("inf")),
        ("general_window_s", 0.0),
        ("poll_fast_s", -1.0),
        ("retry_after_default_s", float("nan")),
        ("poll_share", float("inf")),
        ("rate_calls", 0),
        ("max_sessions", 2.5),
        ("general_per_hour", True),
        ("general_budget", "per-api"),
    ],
)
def test_budget_values_must_be_finite_and_positive(field, value):
    with pytest.raises(ConfigError) as e:
        BudgetSettings(**{field: value})
    assert field in e.value.user_message()


def test_restored_times_put_journalled_submissions_on_the_budget_clock():
    wall_now, now = 1_700_000_000.0, 500.0
    rows = [
        ("a", wall_now - 100, wall_now - 99),  # left the window long ago
        ("b", wall_now - 20, wall_now - 19.5),  # answered 19.5 s ago
        ("c", wall_now - 3, None),  # in flight when the process stopped
    ]
    assert restored_times(rows, wall_now, now, 60.0) == [pytest.approx(480.5), 500.0]
    b = Budget(BudgetSettings(rate_calls=2, rate_window_s=60.0), lambda: now)
    b.restore_calls(restored_times(rows, wall_now, now, 60.0))
    assert b.rate_used() == 2 and b.next_slot_in() == pytest.approx(40.5)


def test_caps_hold_each_limit_below_its_setting_until_lifted():
    from lrtui.engine.windows import Caps

    clock = Clock()
    b = Budget(BudgetSettings(rate_calls=10, max_sessions=25, general_per_minute=100, general_per_hour=1500), clock)
    assert b.try_general("machines")
    b.apply_caps(Caps(rate_calls=5, max_sessions=2, general_per_minute=3, general_per_hour=50))
    assert (b.rate_calls, b.max_sessions) == (5, 2)
    assert [b.try_general("machines") for _ in range(3)] == [True, True, False]  # 1 before + 2 = the cap of 3
    assert b.try_general("library")  # an API first used while capped is capped too
    tickets = [b.reserve(f"j{i}", f"m{i}") for i in range(3)]
    assert tickets[2] is None  # two sessions at most
    snap = b.snapshot()
    assert (snap.calls_limit, snap.sessions_limit) == (5, 2)
    b.apply_caps(None)
    assert (b.rate_calls, b.max_sessions) == (10, 25)
    assert b.try_general("machines")
    assert b.reserve("j9", "m9") is not None


def test_a_429_while_capped_lowers_the_api_own_limit_and_the_cap_still_binds():
    from lrtui.engine.windows import Caps

    b = Budget(BudgetSettings(general_per_minute=100, general_per_hour=1500), Clock())
    b.try_general("machines")
    b.apply_caps(Caps(rate_calls=5, max_sessions=12, general_per_minute=50, general_per_hour=750))
    b.endpoint_429("machines", 1.0)
    (ep,) = b.endpoint_budgets()
    assert (ep.limit_minute, ep.limit_hour, ep.lowered) == (37, 562, True)  # 75 % of the capped 50 / 750
    b.apply_caps(None)
    (ep,) = b.endpoint_budgets()
    assert (ep.limit_minute, ep.limit_hour) == (37, 562)  # lowered for the rest of the process


def test_an_unsent_booking_gives_back_its_slot_session_and_machine():
    clock = Clock()
    b = Budget(BudgetSettings(rate_calls=1, max_sessions=1), clock)
    t = b.reserve("j1", "m1")
    assert t is not None and b.reserve("j2", "m2") is None
    b.unbook(t)
    assert b.rate_used() == 0 and b.sessions_used == 0 and not b.machine_busy("m1")
    assert b.reserve("j2", "m2") is not None  # no call was spent: the window is free at once
