"""Queue order (interactive first, oldest first), one per machine, fairness, and dispatch as budgets allow."""

from __future__ import annotations

import asyncio
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from lrtui.engine.budget import Budget, BudgetSettings
from lrtui.engine.jobs import Priority
from lrtui.engine.scheduler import Dispatcher, JobQueue

from .helpers import job


def test_interactive_first_then_oldest():
    q = JobQueue()
    a = job("m1", created=3)
    b = job("m2", created=1)
    c = job("m3", Priority.INTERACTIVE, created=9)
    d = job("m4", created=1)
    for x in (a, b, c, d):
        q.push(x)
    assert [x.id for x in q] == [c.id, b.id, d.id, a.id]
    q.renumber()
    assert [x.queue_position for x in (c, b, d, a)] == [1, 2, 3, 4]


def test_busy_machine_is_skipped_not_blocking():
    q = JobQueue()
    first = job("m1", created=1)
    second = job("m1", created=2)
    other = job("m2", created=3)
    for x in (first, second, other):
        q.push(x)
    busy = {"m1"}
    assert q.first_eligible(lambda m: m in busy).id == other.id
    assert q.first_eligible(lambda m: False).id == first.id


def test_requeued_job_keeps_its_place():
    q = JobQueue()
    a, b = job("m1", created=1), job("m2", created=2)
    q.push(a)
    q.push(b)
    q.remove(a.id)
    q.push(job("m3", created=0.5))
    q.push(a)  # after a 429: back where it was, not at the end
    assert [x.machine_id for x in q][:2] == ["m3", "m1"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.booleans(), st.floats(0, 100)), max_size=40))
def test_order_is_total_and_stable(specs):
    q = JobQueue()
    jobs = [job(f"m{m}", Priority.INTERACTIVE if i else Priority.BULK, created=c) for m, i, c in specs]
    for j in jobs:
        q.push(j)
    got = list(q)
    keys = [(0 if j.priority is Priority.INTERACTIVE else 1, j.created_at) for j in got]
    assert keys == sorted(keys)
    # among equal keys, arrival order is kept
    for x, y in zip(got, got[1:]):
        if (x.priority, x.created_at) == (y.priority, y.created_at):
            assert jobs.index(x) < jobs.index(y)


async def test_dispatch_respects_rate_sessions_and_machines():
    s = BudgetSettings(rate_calls=3, rate_window_s=0.3, max_sessions=4)
    budget = Budget(s)
    q = JobQueue()
    sent: list[tuple[float, str]] = []

    async def submit(j, ticket):
        sent.append((time.monotonic(), j.machine_id))
        budget.confirm_call(ticket)
        await asyncio.sleep(0.05)
        budget.release(j.id, j.machine_id)  # action finished quickly

    d = Dispatcher(q, budget, submit)
    jobs = [job(f"m{i % 5}", created=i) for i in range(15)]
    for j in jobs:
        q.push(j)
    task = asyncio.create_task(d.run())
    t0 = time.monotonic()
    while len(sent) < 15 and time.monotonic() - t0 < 10:
        await asyncio.sleep(0.01)
    await d.stop()
    task.cancel()
    assert len(sent) == 15
    times = [t for t, _ in sent]
    for t in times:
        assert sum(1 for u in times if t - 0.3 < u <= t) <= 3
    # oldest first, per machine
    order = [m for _, m in sent]
    assert order[:5] == ["m0", "m1", "m2", "m3", "m4"]
    # 15 calls at 3 per 0.3 s take at least 4 windows
    assert times[-1] - times[0] >= 4 * 0.3 - 0.05


async def test_pause_holds_the_queue():
    budget = Budget(BudgetSettings(rate_calls=10, rate_window_s=1))
    q = JobQueue()
    sent = []

    async def submit(j, ticket):
        sent.append(j.id)

    d = Dispatcher(q, budget, submit)
    d.pause()
    q.push(job("m1"))
    task = asyncio.create_task(d.run())
    await asyncio.sleep(0.1)
    assert sent == []
    d.resume()
    await asyncio.sleep(0.1)
    assert len(sent) == 1
    await d.stop()
    task.cancel()
