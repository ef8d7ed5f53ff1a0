"""Sessions and machine locks across two processes' stores: never more than the session limit, never two
holds on one machine, leases that end when their holder stops renewing, presence that names the holder."""

from __future__ import annotations

import asyncio
import random
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from lrtui.engine.team import Busy, Hold, SessionsFull, TeamLimits
from tests.team.helpers import APP, connect, two_stores
from tests.team.redis_server import RedisServer

MAX = 4
LIMITS = TeamLimits(max_sessions=MAX)

# (which store, acquire or release, which machine)
_OPS = st.lists(st.tuples(st.integers(0, 1), st.booleans(), st.integers(0, 6)), min_size=1, max_size=40)


async def _check_model(url: str, ops: list[tuple[int, bool, int]]) -> None:
    """Every answer matches a plain model of the rules, and usage() agrees with it after each step."""
    async with two_stores(url, str(uuid.uuid4()), limits=LIMITS) as pair:
        held: dict[int, tuple[int, Hold]] = {}  # machine -> (store, hold)
        for who, acquire, m in ops:
            store = pair[who]
            if not acquire:
                if m in held and held[m][0] == who:
                    assert await store.release(held.pop(m)[1])
                continue
            answer = await store.acquire_session("job1", f"m{m}")
            if m in held:
                if held[m][0] == who:  # the same job again: its own hold back
                    assert answer == held[m][1]
                else:
                    assert isinstance(answer, Busy) and answer.holder_label == ("alice@jump", "bob@jump")[1 - who]
            elif len(held) >= MAX:
                assert isinstance(answer, SessionsFull) and answer.retry_after_s > 0
            else:
                assert isinstance(answer, Hold)
                held[m] = (who, answer)
            usage = await pair[0].usage()
            assert usage.sessions_used == len(held) <= MAX
            assert usage.sessions_mine == sum(1 for w, _ in held.values() if w == 0)
            assert sorted(h.machine_id for h in usage.machines) == sorted(f"m{k}" for k in held)


@settings(max_examples=40)
@given(ops=_OPS)
def test_sessions_follow_the_rules_for_any_sequence(
    redis_server: RedisServer, ops: list[tuple[int, bool, int]]
) -> None:
    asyncio.run(_check_model(redis_server.url, ops))


async def test_concurrent_acquisitions_never_exceed_the_limit_or_share_a_machine(
    redis_server: RedisServer, tenant: str
) -> None:
    async with two_stores(redis_server.url, tenant, limits=LIMITS) as (a, b):
        tries = [(s, f"job{j}", f"m{random.randrange(6)}") for j in range(60) for s in (a, b)]
        answers = await asyncio.gather(*(s.acquire_session(j, m) for s, j, m in tries))
        holds = [x for x in answers if isinstance(x, Hold)]
        assert 1 <= len(holds) <= MAX
        assert len({h.machine_id for h in holds}) == len(holds)
        assert (await a.usage()).sessions_used == len(holds)


async def test_the_same_job_acquiring_twice_gets_its_own_hold_back(redis_server: RedisServer, tenant: str) -> None:
    async with two_stores(redis_server.url, tenant, limits=LIMITS) as (a, _):
        first = await a.acquire_session("j", "m1")
        again = await a.acquire_session("j", "m1")
        other_job = await a.acquire_session("k", "m1")
        assert isinstance(first, Hold) and isinstance(again, Hold) and first.hold_id == again.hold_id
        assert isinstance(other_job, Busy) and other_job.mine
        assert (await a.usage()).sessions_used == 1


async def test_a_holder_that_stops_renewing_loses_its_holds_after_the_ttl(
    redis_server: RedisServer, tenant: str
) -> None:
    async with two_stores(redis_server.url, tenant, limits=LIMITS, ttl_s=0.4) as (a, b):
        kept = await b.acquire_session("j", "kept")
        dropped = await b.acquire_session("j", "dropped")
        assert isinstance(kept, Hold) and isinstance(dropped, Hold)
        for _ in range(6):  # renew only `kept` for ~0.6 s, longer than the TTL
            assert await b.renew([kept]) == []
            await asyncio.sleep(0.1)
        assert isinstance(await a.acquire_session("j", "kept"), Busy)
        assert isinstance(await a.acquire_session("j", "dropped"), Hold)
        assert await b.renew([kept, dropped]) == [dropped]
        assert not await b.release(dropped)
        await asyncio.sleep(0.5)
        assert await b.renew([kept]) == [kept]
        assert isinstance(await a.acquire_session("j", "kept"), Hold)


async def test_usage_names_the_holder_and_counts_this_process_share(redis_server: RedisServer, tenant: str) -> None:
    async with two_stores(redis_server.url, tenant) as (a, b):
        for m in ("m1", "m2", "m3"):
            assert isinstance(await a.acquire_session("j", m), Hold)
        assert isinstance(await b.acquire_session("j", "m4"), Hold)
        usage = await b.usage()
        assert usage.sessions_text() == "Sessions 4/25, 1 yours"
        m1 = usage.holder_of("m1")
        assert m1 is not None and (m1.holder_label, m1.comment_prefix, m1.mine) == ("alice@jump", "IR-alice", False)
        busy = await b.acquire_session("j2", "m2")
        assert busy == Busy("m2", "alice@jump", "IR-alice", mine=False)


async def test_a_teammates_label_is_cleaned_before_it_is_shown(redis_server: RedisServer, tenant: str) -> None:
    from lrtui.engine.team import Holder
    from lrtui.engine.team.store import TeamStore

    evil = Holder("x" * 32, "mallory\x1b]0;pwned\x07@host\u202e", "IR-\x1b[31mred")
    s = await TeamStore.connect(redis_server.url, password=None, tenant_id=tenant, app_id=APP, holder=evil)
    b = await connect(redis_server.url, tenant, "bob")
    try:
        assert isinstance(await s.acquire_session("j", "m1"), Hold)
        busy = await b.acquire_session("j", "m1")
        assert busy == Busy("m1", "mallory@host", "IR-red", mine=False)
    finally:
        await s.aclose()
        await b.aclose()


async def test_a_resumed_job_takes_over_its_own_hold_and_only_its_own(redis_server: RedisServer, tenant: str) -> None:
    lim = TeamLimits(max_sessions=1)
    async with two_stores(redis_server.url, tenant, limits=lim) as (killed, resumed):
        assert isinstance(await killed.acquire_session("job-7", "m1"), Hold)
        assert isinstance(await resumed.acquire_session("job-7", "m1"), Busy)  # not adopting: it waits
        assert isinstance(await resumed.acquire_session("job-8", "m1", adopt=True), Busy)  # another job's hold
        taken = await resumed.acquire_session("job-7", "m1", adopt=True)
        assert isinstance(taken, Hold)
        usage = await resumed.usage()
        assert usage.sessions_used == 1 and usage.sessions_mine == 1
        old = Hold(f"{killed.holder.id}:job-7:m1", "job-7", "m1", 1)
        assert await killed.renew([old]) == [old]  # the killed process's lease is gone (were it alive: it knows)
        # an adopted job's action exists: it is counted even when every slot is held
        assert isinstance(await resumed.acquire_session("job-9", "m2", adopt=True), Hold)
        assert isinstance(await killed.acquire_session("job-10", "m3"), SessionsFull)
