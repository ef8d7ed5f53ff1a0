"""The counts ``BatchControl`` keeps one job at a time (``batch_counts.BatchTally``) equal a from-scratch recount
after every step of random runs on the real engine (in-process simulator, dispatcher paused so the test decides
each outcome): jobs finishing with any outcome, retries of the failed ones, pauses, resumes, cancels of the batch
and of one job, and restarts (a new engine picking the batch up from the journal)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lrtui.engine.batch_counts import (
    CANARY_DONE,
    FAILED,
    FINISHED,
    GONE,
    OPEN,
    SINCE_FAILED,
    SINCE_FINISHED,
    BatchTally,
)
from lrtui.engine.batch_notes import load_notes
from lrtui.engine.canary import CanaryPlan, count_as
from lrtui.engine.engine import Engine
from lrtui.engine.jobs import Job, JobState, Outcome
from lrtui.engine.journal import Journal

from .conftest import inproc_client, make_sim, scaled_settings, usable
from .helpers import job, wire_engine
from .test_engine_inproc import sequence

MACHINES = 7
OUTCOMES = (Outcome.SUCCEEDED, Outcome.SCRIPT_FAILED, Outcome.TIMED_OUT, Outcome.API_ERROR, Outcome.CANCELLED)
CONTROLS = ("retry", "pause", "resume", "cancel", "restart")

steps = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from(("finish", "finish", "finish", "drop")), st.integers(0, 20), st.sampled_from(OUTCOMES)
        ),
        st.tuples(st.sampled_from(CONTROLS), st.just(0), st.just(Outcome.SUCCEEDED)),
    ),
    max_size=24,
)
plans = st.builds(
    CanaryPlan,
    st.integers(0, 3),
    st.sampled_from((0.0, 0.5, 1.0)),
    st.sampled_from((None, 0.0, 0.2, 0.5)),
)


class Run:
    """One engine at a time over one journal; ``restart`` stops it and picks the batch up in a new one."""

    def __init__(self, sim, folder: Path) -> None:
        self.sim, self.folder = sim, folder
        self.journal = Journal(folder / "journal.sqlite3").open()
        self.engine: Engine | None = None

    async def start(self) -> Engine:
        eng = wire_engine(
            lambda **kw: inproc_client(self.sim, **kw), self.journal, scaled_settings(), data_dir=self.folder / "d"
        )
        eng.dispatcher.pause()  # nothing is sent: every outcome is the test's
        await eng.start()
        self.engine = eng
        return eng

    async def stop(self) -> None:
        if self.engine is not None:
            await self.engine.stop()
            await self.engine.client.aclose()
            self.engine = None


async def play(eng: Engine, run: Run, bid: str, step: tuple[str, int, Outcome]) -> Engine:
    name, index, outcome = step
    control = eng.batches
    if name == "finish":  # a queued job runs to an outcome (as the dispatcher and the flow would end it)
        queued = [j for j in eng.jobs if j.batch_id == bid and j.id in eng.queue]
        if queued:
            j = queued[index % len(queued)]
            eng.queue.remove(j.id)
            eng.queue.renumber()
            eng.flow.finish(j, outcome)
    elif name == "drop":  # the analyst cancels one unfinished job (held: dropped; queued: dropped)
        open_ = [j for j in control.latest(bid) if j.state is not JobState.DONE]
        if open_:
            await eng.cancel(open_[index % len(open_)].id)
    elif name == "retry":
        await control.retry_failed(bid)
    elif name == "pause":
        control.pause(bid)
    elif name == "resume":
        control.resume(bid)
    elif name == "cancel":
        await control.cancel(bid)
    else:
        await run.stop()
        eng = await run.start()
    return eng


def recount_matches(eng: Engine, bid: str) -> None:
    """The state, ``settled``, ``is_held`` and every count of the tally, against a recount from the jobs."""
    control = eng.batches
    state = control.state(bid)
    tally = control.tally(bid)
    assert tally is not None
    note = load_notes(eng.journal)[bid]
    jobs = {j.id: j for j in eng.journal.jobs_in_batch(bid)}
    jobs.update({j.id: j for j in eng.jobs if j.batch_id == bid})  # the live jobs over the journal's copies
    latest: dict[str, Job] = {}
    for j in sorted(jobs.values(), key=lambda j: j.created_at):
        latest[j.machine_id] = j
    final = [j for j in latest.values() if j.state is JobState.DONE]
    failed = [j for j in final if count_as(j.outcome) == "failed"]
    # held: PAUSED and out of the queue (the queue's own jobs are PAUSED too: the dispatcher is paused)
    held = {j.id for j in eng.jobs if j.batch_id == bid and j.state is JobState.PAUSED and j.id not in eng.queue}
    gone = [j for j in final if (j.finished_at or 0.0) < note.armed_at or count_as(j.outcome) == "ignored"]
    since = [j for j in final if j not in gone]
    canaries = {m for m in note.canary if m in latest}

    assert {j.id for j in control.latest(bid)} == {j.id for j in latest.values()}
    assert (state.total, state.finished, state.failed, state.held) == (len(latest), len(final), len(failed), len(held))
    assert set(tally.held) == held and all(control.is_held(j) == (j.id in held) for j in jobs.values())
    assert tally.count(OPEN) == sum(j.state is not JobState.DONE and j.id not in held for j in latest.values())
    assert control.settled(bid) == all(j.state is JobState.DONE or j.id in held for j in latest.values())
    assert (tally.count(FINISHED), tally.count(FAILED), tally.count(GONE)) == (len(final), len(failed), len(gone))
    assert tally.count(SINCE_FINISHED) == len(since)
    assert tally.count(SINCE_FAILED) == sum(count_as(j.outcome) == "failed" for j in since)
    assert tally.count(CANARY_DONE) == sum(latest[m].state is JobState.DONE for m in canaries)
    assert tally.canary_final() == (bool(canaries) and all(latest[m].state is JobState.DONE for m in canaries))


async def scenario(plan: CanaryPlan, script: list[tuple[str, int, Outcome]]) -> None:
    sim = make_sim()
    with tempfile.TemporaryDirectory() as d:
        run = Run(sim, Path(d))
        try:
            eng = await run.start()
            jobs = await eng.submit(sequence(("RunScript", "Get-Processes.ps1")), usable(sim, MACHINES), canary=plan)
            bid = jobs[0].batch_id
            recount_matches(eng, bid)
            for step in script:
                eng = await play(eng, run, bid, step)
                recount_matches(eng, bid)
        finally:
            await run.stop()
            run.journal.close()


FAIL, OK = Outcome.SCRIPT_FAILED, Outcome.SUCCEEDED


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans, steps)
@example(  # a failing canary pauses; retried, the batch restarts held, resumes and the limit counts from then
    CanaryPlan(2, max_failures=0.2),
    [("finish", 0, FAIL), ("finish", 0, FAIL), ("retry", 0, OK), ("restart", 0, OK), ("finish", 0, OK)]
    + [("finish", 0, OK), ("resume", 0, OK), ("finish", 1, FAIL), ("finish", 0, OK), ("drop", 0, OK)]
    + [("restart", 0, OK), ("finish", 0, FAIL), ("cancel", 0, OK)],
)
@example(  # the limit pauses mid-run; a restart, a resume, one job dropped and a cancel
    CanaryPlan(0, max_failures=0.0),
    [("finish", 2, OK), ("finish", 1, FAIL), ("restart", 0, OK), ("resume", 0, OK), ("drop", 1, OK)]
    + [("finish", 0, Outcome.CANCELLED), ("pause", 0, OK), ("restart", 0, OK), ("resume", 0, OK), ("cancel", 0, OK)],
)
def test_the_counts_kept_one_job_at_a_time_equal_a_recount(plan, script) -> None:
    asyncio.run(scenario(plan, script))


def test_the_latest_job_of_a_machine_is_the_newest_and_a_tie_goes_to_the_one_seen_last() -> None:
    first, later, other = job("m1", created=1.0), job("m1", created=2.0), job("m2", created=1.0)
    tied = job("m1", created=2.0)
    tally = BatchTally([later, first, other])
    assert tally.latest == {"m1": later, "m2": other} and tally.total == 2
    tally.put(tied)  # a retry made in the same instant replaces it
    assert tally.latest["m1"] is tied
    tally.put(later)  # a change to the older job does not bring it back
    assert tally.latest["m1"] is tied and tally.count(OPEN) == 2
    tied.state, tied.outcome, tied.finished_at = JobState.DONE, Outcome.TIMED_OUT, 5.0
    tally.put(tied)
    assert (tally.count(FINISHED), tally.count(FAILED), tally.count(OPEN)) == (1, 1, 1)
    tally.hold(other)
    assert tally.count(OPEN) == 0 and tally.release(other.id) is other and tally.count(OPEN) == 1
    tally.rearm(6.0)  # the limit counts from 6.0: the failure at 5.0 no longer counts
    assert (tally.count(GONE), tally.count(SINCE_FINISHED), tally.count(SINCE_FAILED)) == (1, 0, 0)
