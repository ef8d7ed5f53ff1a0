"""Timed waits that keep a cancellation. On Python 3.11 ``asyncio.wait_for`` drops a cancel that arrives as the
awaited thing finishes (gh-86296): the engine's loops (poller, budget, team coordinator) then survived
``cancel()`` and ``Engine.stop()`` waited for ever (seen on a fresh clone: a team test hung after its jobs were
done). The sequence below is the one that lost the cancel: the wake-up is set, then the loop is cancelled
before it runs again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from lrtui.engine.budget import Budget, BudgetSettings
from lrtui.engine.waits import finished_within, wait_event, within


async def _cancelled_after_wake(loop: Callable[[asyncio.Event], Awaitable[None]], turns: int) -> bool:
    """Run ``loop``, set its event, let ``turns`` loop turns pass, cancel it: True when the cancel took."""
    ev = asyncio.Event()
    task = asyncio.create_task(loop(ev))
    await asyncio.sleep(0.01)
    ev.set()
    for _ in range(turns):
        await asyncio.sleep(0)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=1.0)
    if not done:
        task.cancel()
        return False
    return task.cancelled()


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
async def test_a_loop_on_wait_event_is_cancelled_whenever_the_cancel_comes(turns: int) -> None:
    async def loop(ev: asyncio.Event) -> None:
        while True:
            await wait_event(ev, 10)
            ev.clear()

    assert await _cancelled_after_wake(loop, turns)


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
async def test_a_loop_on_within_is_cancelled_whenever_the_cancel_comes(turns: int) -> None:
    async def loop(ev: asyncio.Event) -> None:
        while True:
            await finished_within(ev.wait(), 10)
            ev.clear()

    assert await _cancelled_after_wake(loop, turns)


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
async def test_the_budget_wait_loop_is_cancelled_when_a_release_comes_with_the_cancel(turns: int) -> None:
    budget = Budget(BudgetSettings())

    async def loop(ev: asyncio.Event) -> None:
        while True:
            await budget.changed(10)

    ticket = budget.reserve("job-1", "machine-1")
    assert ticket is not None
    task = asyncio.create_task(loop(asyncio.Event()))
    await asyncio.sleep(0.01)
    budget.release("job-1", "machine-1")  # the budget's own wake-up
    for _ in range(turns):
        await asyncio.sleep(0)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=1.0)
    assert done and task.cancelled()


async def test_the_helpers_wait_and_time_out() -> None:
    ev = asyncio.Event()
    assert await wait_event(ev, 0.01) is False
    ev.set()
    assert await wait_event(ev, 0.01) is True
    assert await within(asyncio.sleep(0, "x"), 1) == "x"
    with pytest.raises(TimeoutError):
        await within(asyncio.sleep(1), 0.01)
    assert await finished_within(asyncio.sleep(1), 0.01) is False
    assert await finished_within(asyncio.sleep(0), None) is True
