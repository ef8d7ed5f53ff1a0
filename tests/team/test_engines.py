"""Real engines sharing one app registration's budgets through a real redis-server, against one simulator over
loopback (every clock scaled by 0.01): no 429, never two sessions on a machine, every job done once; Redis
stopped mid-run; a teammate's machine named in pre-flight."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from lrtui.engine.jobs import Job, JobState, Outcome
from lrtui.engine.reconcile import marker
from lrtui.engine.team import Hold
from lrtui.sim.config import SimConfig
from lrtui.sim.simulator import Simulator
from lrtui.sim.testing import running_simulator
from tests.team.engines import SCALE, sequence, team_engine, upload_script, usable
from tests.team.helpers import connect
from tests.team.redis_server import RedisServer

CFG = SimConfig(seed=3, machines=150, time_scale=SCALE, scale_rate_window=True)


def _done_once(sim: Simulator, jobs: list[Job]) -> None:
    """Every job succeeded, with exactly one action on the service."""
    assert all(j.outcome is Outcome.SUCCEEDED for j in jobs), [(j.machine_name, j.outcome, j.error_code) for j in jobs]
    comments = [a.comment or "" for a in sim.state.actions.values()]
    assert all(sum(marker(j.id) in c for c in comments) == 1 for j in jobs)


async def test_two_engines_30_machines_15_in_common_share_the_budgets(
    redis_server: RedisServer, tenant: str, tmp_path: Path
) -> None:
    with running_simulator(CFG) as (api_url, _blob, sim):
        await upload_script(api_url, 120)
        ms = usable(sim, 45)
        async with (
            team_engine(api_url, redis_server.url, tenant, "alice", tmp_path) as a,
            team_engine(api_url, redis_server.url, tenant, "bob", tmp_path) as b,
        ):
            ja, jb = await asyncio.gather(
                a.engine.submit(sequence("IR-a sweep"), ms[:30]), b.engine.submit(sequence("IR-b sweep"), ms[15:])
            )
            await asyncio.wait_for(asyncio.gather(a.engine.wait_idle(), b.engine.wait_idle()), 120)
            snap = a.engine.budget_snapshot()
        assert sim.state.throttled_count == 0, dict(sim.state.throttled_by_reason)
        # every POST created an action: no 429 and no ActiveRequestAlreadyExists (never two sessions on a machine)
        assert sim.state.lr_post_count == sim.state.lr_created_count == 60
        _done_once(sim, ja + jb)
        assert snap.team is not None and snap.team.sessions_limit == 25 and not snap.team_degraded


async def test_redis_stopped_mid_run_falls_back_to_half_and_loses_nothing(
    own_redis: RedisServer, tenant: str, tmp_path: Path
) -> None:
    with running_simulator(CFG) as (api_url, _blob, sim):
        await upload_script(api_url, 120)
        ms = usable(sim, 50)
        async with (
            team_engine(api_url, own_redis.url, tenant, "alice", tmp_path) as a,
            team_engine(api_url, own_redis.url, tenant, "bob", tmp_path) as b,
        ):
            ja, jb = await asyncio.gather(
                a.engine.submit(sequence("IR-a sweep"), ms[:25]), b.engine.submit(sequence("IR-b sweep"), ms[25:])
            )
            while sim.state.lr_created_count < 15:
                await asyncio.sleep(0.01)
            own_redis.stop()
            deadline = time.monotonic() + 10
            while not (a.team.degraded and b.team.degraded) and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            # half the calls; as many sessions as it held (teammates' unknown), at most half
            assert a.engine.budget.rate_calls == 5 and a.engine.budget.max_sessions <= 12
            assert a.engine.budget_snapshot().team_degraded
            await asyncio.sleep(1.0)  # a while on the local half budgets
            own_redis.start()  # back (empty): the holds are taken again, the caps lifted
            await asyncio.wait_for(asyncio.gather(a.engine.wait_idle(), b.engine.wait_idle()), 120)
            back = time.monotonic() + 10
            while (a.team.degraded or b.team.degraded) and time.monotonic() < back:
                await asyncio.sleep(0.02)
        for te in (a, b):
            gone = [n for n in te.notices if "budget store is unavailable" in n]
            assert len(gone) == 1, te.notices
            assert any("answers again" in n for n in te.notices), te.notices
            assert te.engine.budget.rate_calls == 10 and not te.team.degraded
        assert sim.state.throttled_count == 0, dict(sim.state.throttled_by_reason)
        assert sim.state.lr_post_count == sim.state.lr_created_count == 50
        _done_once(sim, ja + jb)


async def test_a_machine_a_teammate_holds_is_named_in_preflight_and_waits_for_it(
    redis_server: RedisServer, tenant: str, tmp_path: Path
) -> None:
    with running_simulator(CFG) as (api_url, _blob, sim):
        await upload_script(api_url, 60)
        m, other = usable(sim, 2)
        alice = await connect(redis_server.url, tenant, "alice")
        try:
            hold = await alice.acquire_session("alice-job", m.id)
            assert isinstance(hold, Hold)
            async with team_engine(api_url, redis_server.url, tenant, "bob", tmp_path) as b:
                issues = await b.engine.preflight(sequence("IR-b"), [m, other])
                (busy,) = [i for i in issues if i.kind == "busy"]
                assert busy.machine_id == m.id and busy.level == "warning"
                assert "alice@jump" in busy.message and 'comment "IR-alice"' in busy.message
                jobs = await b.engine.submit(sequence("IR-b"), [m, other])
                by = {j.machine_id: j for j in jobs}
                while by[other.id].state is not JobState.DONE:
                    await asyncio.sleep(0.02)
                assert by[m.id].state is JobState.QUEUED and by[m.id].action_id is None  # nothing sent
                assert any("alice@jump" in n and "IR-alice" in n for n in b.notices), b.notices
                await alice.release(hold)
                await asyncio.wait_for(b.engine.wait_idle(), 30)
            assert sim.state.lr_post_count == sim.state.lr_created_count == 2
            _done_once(sim, jobs)
        finally:
            await alice.aclose()


async def test_a_store_that_never_answers_means_local_half_budgets_from_the_start(tenant: str, tmp_path: Path) -> None:
    from tests.team.redis_server import free_port

    with running_simulator(CFG) as (api_url, _blob, sim):
        await upload_script(api_url, 30)
        ms = usable(sim, 12)
        url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
        async with team_engine(api_url, url, tenant, "alice", tmp_path) as a:
            jobs = await a.engine.submit(sequence("IR-a"), ms)
            await asyncio.wait_for(a.engine.wait_idle(), 60)
            assert a.team.degraded and a.engine.budget.rate_calls == 5
        assert [n for n in a.notices if "budget store is unavailable" in n] == [a.notices[0]]
        assert sim.state.throttled_count == 0
        _done_once(sim, jobs)
