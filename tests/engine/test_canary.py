"""Canary runs and the failure limit, on the engine with the simulator (in-process): the canary is spread over
platforms and groups, a failing canary pauses its batch and holds the rest (no call spent for them), a passing
one lets the rest go, the limit pauses mid-run, a restart keeps the pause, and resume continues the batch."""

from __future__ import annotations

import asyncio
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrtui.api.models import Machine
from lrtui.engine.batch_notes import load_notes
from lrtui.engine.canary import (
    MIN_FINISHED,
    CanaryPlan,
    Candidate,
    canary_passed,
    choose_canaries,
    count_as,
    over_limit,
    parse_fraction,
)
from lrtui.engine.jobs import BatchChanged, JobState, Outcome, summarize
from lrtui.engine.journal import Journal

from .conftest import inproc_client, make_sim, scaled_settings, usable
from .helpers import wire_engine
from .test_engine_inproc import sequence

BITLOCKER = ("RunScript", "Get-BitLockerStatus.ps1")  # exit 5 on every server: a canary that fails there
PROCESSES = ("RunScript", "Get-Processes.ps1")


def servers(sim, n: int) -> list[Machine]:
    out = [
        Machine.model_validate(r.wire)
        for r in sim.state.machines
        if r.server
        and r.family == "windows"
        and r.supported
        and not r.agent_too_old
        and sim.group_of(r).remediation_level
        and r.wire.get("healthStatus") == "Active"
        and r.online_at <= sim.now()
    ]
    assert len(out) >= n, f"the demo tenant has only {len(out)} usable servers"
    return out[:n]


def posts(sim) -> int:
    return sim.state.lr_post_count


async def until(cond, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        assert loop.time() < end, "timed out"
        await asyncio.sleep(0.02)


# ---------------------------------------------------------------- the rules


@pytest.mark.parametrize(
    ("outcome", "verdict"),
    [
        (Outcome.SUCCEEDED, "ok"),
        (Outcome.SCRIPT_FAILED, "failed"),
        (Outcome.COMMAND_FAILED, "failed"),
        (Outcome.TIMED_OUT, "failed"),
        (Outcome.BLOCKED, "failed"),
        (Outcome.NOT_ALLOWED, "failed"),
        (Outcome.API_ERROR, "failed"),
        (Outcome.CANCELLED, "ignored"),
        (Outcome.REFUSED, "ignored"),
        (None, "ignored"),
    ],
)
def test_what_counts_as_a_failure(outcome, verdict) -> None:
    assert count_as(outcome) == verdict


@given(st.integers(0, 50), st.integers(0, 50), st.floats(0, 1))
def test_the_canary_passes_exactly_at_or_under_the_threshold(failed, ok, limit) -> None:
    counted = failed + ok
    assert canary_passed(failed, counted, limit) == (counted > 0 and failed / counted <= limit + 1e-9)


@given(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40), st.floats(0, 1))
def test_the_limit_never_pauses_at_or_under_it_and_waits_for_enough_jobs(failed, ok, rest, limit) -> None:
    finished, total = failed + ok, failed + ok + rest
    paused = over_limit(failed, finished, total, limit)
    if finished == 0 or failed / finished <= limit:
        assert not paused
    elif finished >= min(MIN_FINISHED, total):
        assert paused


def test_fractions_and_percents() -> None:
    assert parse_fraction("10%") == pytest.approx(0.1)
    assert parse_fraction("0.25") == 0.25 and parse_fraction("0") == 0.0
    for bad, said in (("ten", "not a share"), ("10", "out of range"), ("-1%", "out of range"), ("nan", "range")):
        with pytest.raises(ValueError, match=said):
            parse_fraction(bad)
    with pytest.raises(ValueError):
        CanaryPlan(2, canary_max_failures=1.5)


def test_canaries_are_spread_over_platforms_and_groups_online_first() -> None:
    cands = [Candidate(f"w{i}", "Windows11", "Servers" if i % 2 else "Desk", online=i != 0) for i in range(10)]
    cands += [Candidate("l0", "Linux", "Desk", online=False), Candidate("l1", "Linux", "Desk", online=True)]
    chosen = choose_canaries(cands, 3)
    assert chosen == choose_canaries(cands, 3)  # deterministic
    strata = {(c.platform, c.group) for c in cands if c.machine_id in chosen}
    assert len(strata) == 3  # one of each
    assert "w0" not in chosen and "l0" not in chosen  # online machines first
    assert len(choose_canaries(cands, 12)) == 12 and choose_canaries(cands, 0) == []


# ---------------------------------------------------------------- the engine


async def test_the_canary_is_chosen_across_platforms_and_groups(engine_factory) -> None:
    sim = make_sim()
    eng = await engine_factory(sim)
    ms = list({m.id: m for m in usable(sim, 8) + servers(sim, 4)}.values())
    strata = {(m.os_platform, m.rbac_group_name) for m in ms}
    jobs = await eng.submit(sequence(PROCESSES), ms, canary=CanaryPlan(3))
    state = eng.batches.state(jobs[0].batch_id)
    assert state.phase == "canary" and len(state.canary) == 3 and state.held == len(ms) - 3
    chosen = {(m.os_platform, m.rbac_group_name) for m in ms if m.id in state.canary}
    assert len(chosen) == min(3, len(strata))
    await eng.wait_idle(timeout=60)


async def test_a_failing_canary_pauses_the_batch_and_spends_nothing_on_the_rest(engine_factory) -> None:
    sim = make_sim()
    eng = await engine_factory(sim)
    seen: list[BatchChanged] = []
    eng.subscribe(lambda e: seen.append(e) if isinstance(e, BatchChanged) else None)
    before = posts(sim)
    jobs = await eng.submit(sequence(BITLOCKER), servers(sim, 6), canary=CanaryPlan(2))
    bid = jobs[0].batch_id
    await until(lambda: eng.batches.settled(bid))
    state = eng.batches.state(bid)
    assert state.phase == "paused" and state.held == 4
    assert state.reason.startswith("canary: 2 of 2 failed: script_failed on ")
    assert posts(sim) - before == 2  # only the canaries were sent
    held = [j for j in jobs if j.machine_id not in state.canary]
    assert all(j.state is JobState.PAUSED and j.action_id is None and j.attempts == 0 for j in held)
    assert seen[-1].state.phase == "paused"
    assert summarize(jobs) == {"script_failed": 2, "paused": 4}  # held, not "queued": no budget will send them
    await asyncio.sleep(0.3)
    assert posts(sim) - before == 2  # and nothing later either


async def test_a_passing_canary_lets_the_rest_go_after_it(engine_factory) -> None:
    sim = make_sim()
    eng = await engine_factory(sim)
    before = posts(sim)
    jobs = await eng.submit(sequence(PROCESSES), usable(sim, 6), canary=CanaryPlan(2))
    await eng.wait_idle(timeout=60)
    state = eng.batches.state(jobs[0].batch_id)
    assert state.phase == "done" and state.finished == 6 and state.failed == 0
    assert all(j.outcome is Outcome.SUCCEEDED for j in jobs) and posts(sim) - before == 6
    canaries = [j for j in jobs if j.machine_id in state.canary]
    rest = [j for j in jobs if j.machine_id not in state.canary]
    assert max(j.finished_at or 0 for j in canaries) <= min(j.submitted_at or 0 for j in rest)


async def test_the_failure_limit_pauses_mid_run(engine_factory) -> None:
    sim = make_sim()
    eng = await engine_factory(sim, scaled_settings(max_sessions=2))
    before = posts(sim)
    plan = CanaryPlan(1, canary_max_failures=1.0, max_failures=0.1)  # the canary passes whatever happens
    jobs = await eng.submit(sequence(BITLOCKER), servers(sim, 12), canary=plan)
    bid = jobs[0].batch_id
    await until(lambda: eng.batches.settled(bid))
    state = eng.batches.state(bid)
    assert state.phase == "paused" and state.reason.startswith("failures: ")
    assert "over the 10% limit" in state.reason and state.held > 0
    assert posts(sim) - before == 12 - state.held


async def test_a_restart_keeps_the_pause_and_resume_continues_the_batch(tmp_path, journal: Journal) -> None:
    sim = make_sim()
    first = wire_engine(lambda **kw: inproc_client(sim, **kw), journal, scaled_settings(), data_dir=tmp_path / "d")
    await first.start()
    jobs = await first.submit(sequence(BITLOCKER), servers(sim, 6), canary=CanaryPlan(2))
    bid = jobs[0].batch_id
    await until(lambda: first.batches.settled(bid))
    await first.stop()
    await first.client.aclose()
    assert load_notes(journal)[bid].phase == "paused"
    before = posts(sim)

    second = wire_engine(lambda **kw: inproc_client(sim, **kw), journal, scaled_settings(), data_dir=tmp_path / "d")
    try:
        await second.start()
        await asyncio.sleep(0.3)
        state = second.batches.state(bid)
        assert state.phase == "paused" and state.held == 4 and state.reason.startswith("canary: 2 of 2 failed")
        assert posts(sim) == before and len(second.queue) == 0  # nothing submitted after the restart
        state = second.batches.resume(bid)
        assert state.phase == "running" and state.held == 0
        await second.wait_idle(timeout=60)
        assert posts(sim) - before == 4
        assert second.batches.state(bid).phase == "done"
        assert journal.verify().ok
    finally:
        await second.stop()
        await second.client.aclose()


async def test_cancel_drops_the_held_jobs_and_retry_failed_retries_the_canaries(engine_factory) -> None:
    sim = make_sim()
    eng = await engine_factory(sim)
    jobs = await eng.submit(sequence(BITLOCKER), servers(sim, 5), canary=CanaryPlan(2))
    bid = jobs[0].batch_id
    await until(lambda: eng.batches.settled(bid))
    again = await eng.batches.retry_failed(bid)
    assert sorted(j.machine_id for j in again) == sorted(eng.batches.state(bid).canary)
    await until(lambda: all(j.state is JobState.DONE for j in again))
    before = posts(sim)
    state = await eng.batches.cancel(bid)
    assert state.phase == "done" and state.held == 0
    held = [j for j in jobs if j.machine_id not in state.canary]
    assert all(j.outcome is Outcome.CANCELLED for j in held) and posts(sim) == before
    await eng.wait_idle(timeout=10)


async def test_a_restart_during_the_canary_keeps_the_rest_held_until_it_passes(tmp_path, journal: Journal) -> None:
    sim = make_sim()
    first = wire_engine(lambda **kw: inproc_client(sim, **kw), journal, scaled_settings(), data_dir=tmp_path / "d")
    await first.start()
    jobs = await first.submit(sequence(PROCESSES), usable(sim, 5), canary=CanaryPlan(2))
    bid = jobs[0].batch_id
    await first.stop()  # the canary's actions run on; the rest were never sent
    await first.client.aclose()

    second = wire_engine(lambda **kw: inproc_client(sim, **kw), journal, scaled_settings(), data_dir=tmp_path / "d")
    try:
        await second.start()
        state = second.batches.state(bid)
        assert state.phase == "canary" and state.held == 3 and len(second.queue) <= 2
        await second.wait_idle(timeout=60)
        assert second.batches.state(bid).phase == "done"
        done = {j.machine_id: j for j in journal.jobs_in_batch(bid)}
        canary_end = max(done[m].finished_at or 0 for m in state.canary)
        rest = [j for m, j in done.items() if m not in state.canary]
        assert all(j.outcome is Outcome.SUCCEEDED for j in done.values())
        assert all((j.submitted_at or 0) >= canary_end for j in rest)
    finally:
        await second.stop()
        await second.client.aclose()


async def test_cancelling_one_held_job_drops_it_without_a_call(engine_factory) -> None:
    sim = make_sim()
    eng = await engine_factory(sim)
    jobs = await eng.submit(sequence(PROCESSES), usable(sim, 4), canary=CanaryPlan(1))
    state = eng.batches.state(jobs[0].batch_id)
    held = next(j for j in jobs if j.machine_id not in state.canary)
    await eng.cancel(held.id)
    assert held.state is JobState.DONE and held.outcome is Outcome.CANCELLED and held.action_id is None
    assert eng.batches.state(held.batch_id).held == 2
    await eng.wait_idle(timeout=60)
    assert held.attempts == 0


async def test_after_a_resume_the_limit_counts_only_the_jobs_that_finish_from_then_on(engine_factory) -> None:
    sim = make_sim()
    eng = await engine_factory(sim, scaled_settings(max_sessions=1))
    jobs = await eng.submit(sequence(BITLOCKER), servers(sim, 12), canary=CanaryPlan(0, max_failures=0.1))
    bid = jobs[0].batch_id
    await until(lambda: eng.batches.settled(bid))
    first = eng.batches.state(bid)
    assert first.paused and first.reason.startswith("failures: 2 of 2 finished failed (100%, over the 10% limit)")
    eng.batches.resume(bid)
    await until(lambda: eng.batches.state(bid).paused and eng.batches.settled(bid))
    again = eng.batches.state(bid)
    m = re.match(r"failures: (\d+) of (\d+) finished failed", again.reason)
    assert m is not None and m.group(1) == m.group(2)
    # the failures from before the resume no longer count (one or two new ones pass 10% of the 9 or 10 left)
    assert int(m.group(1)) in (1, 2) and again.failed >= first.failed + int(m.group(1)) > int(m.group(1))


async def test_a_canary_that_finished_while_its_batch_was_paused_is_judged_on_resume(engine_factory) -> None:
    """Paused with the canary already sent, the canary finishes during the pause: no later event judges it, so
    ``resume`` must (it used to go back to "canary" with the rest held for ever)."""
    sim = make_sim()
    eng = await engine_factory(sim)
    jobs = await eng.submit(sequence(PROCESSES), usable(sim, 5), canary=CanaryPlan(2))
    bid = jobs[0].batch_id
    canary = [j for j in jobs if j.machine_id in eng.batches.state(bid).canary]
    await until(lambda: all(j.action_id is not None for j in canary))
    assert eng.batches.pause(bid).phase == "paused"
    await until(lambda: all(j.state is JobState.DONE for j in canary))
    state = eng.batches.resume(bid)
    assert state.phase == "running" and state.held == 0, state
    await eng.wait_idle(timeout=60)
    assert eng.batches.state(bid).phase == "done" and all(j.outcome is Outcome.SUCCEEDED for j in jobs)
