"""Following a batch that may stop on its own: a canary or a failure limit pauses it and holds its remaining
jobs until the analyst says (``lrtui resume --batch``). ``follow`` would wait for them forever; these helpers
stop once every unfinished job is held, and say what to do next."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from lrtui.api.text import clean_line
from lrtui.cli.follow import ProgressFn, follow
from lrtui.engine.batch_state import BatchState
from lrtui.engine.canary import CanaryPlan
from lrtui.engine.jobs import BatchChanged, Event, Job, JobChanged, JobState

if TYPE_CHECKING:
    from lrtui.engine.engine import Engine


def waits_on_analyst(engine: Engine, jobs: list[Job]) -> bool:
    """Some job is held by its batch and every other one is final: nothing moves until someone resumes."""
    held = [j for j in jobs if engine.batches.is_held(j)]
    return bool(held) and all(j.state is JobState.DONE or engine.batches.is_held(j) for j in jobs)


async def follow_unless_held(
    engine: Engine, jobs: list[Job], progress: ProgressFn | None, *, deadline_s: float | None
) -> bool:
    """``follow``, returning early (True) when the remaining jobs are all held by a paused batch; False only
    when ``deadline_s`` passed first."""
    stop = asyncio.Event()

    def check(event: Event | None) -> None:
        # only a final job or a batch's new state can leave nothing but held jobs (one pass over the jobs each)
        final = isinstance(event, JobChanged) and event.job.state is JobState.DONE
        if (event is None or final or isinstance(event, BatchChanged)) and waits_on_analyst(engine, jobs):
            stop.set()

    unsubscribe = engine.subscribe(check)
    check(None)
    task = asyncio.ensure_future(follow(engine, jobs, progress, deadline_s=deadline_s))
    waiter = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        unsubscribe()
        waiter.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return True if task.cancelled() else task.result()


def plan_of(canary: int | None, canary_max: float | None, max_failures: float | None) -> CanaryPlan | None:
    """The engine's plan from the options (None when neither a canary nor a limit was asked for)."""
    if canary is None and max_failures is None:
        return None
    return CanaryPlan(canary or 0, canary_max_failures=canary_max or 0.0, max_failures=max_failures)


def paused_message(command: str, state: BatchState) -> str:
    """What ``lrtui run``/``resume`` print when a batch is paused: why, and the three ways on."""
    bid = state.batch_id[:8]
    resume = f"lrtui resume --batch {bid}"
    return (
        f"lrtui {command}: batch {bid} paused: {clean_line(state.reason)}; {state.held} job(s) held, nothing was sent"
        f" for them. Continue with `{resume}`, retry its failed jobs with `{resume} --retry-failed`, or cancel it"
        f" with `{resume} --cancel`.\n"
    )
