"""The rolling windows shared by two stores: never more than N calls in any window, each endpoint its own
per-minute and per-hour windows, waits that say when to ask again."""

from __future__ import annotations

import asyncio
import time

import pytest

from lrtui.engine.team import TeamLimits
from tests.team.helpers import two_stores
from tests.team.redis_server import RedisServer


def _max_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(sum(1 for u in times[i:] if u < t + window) for i, t in enumerate(times))


async def test_two_stores_never_exceed_the_rate_window(redis_server: RedisServer, tenant: str) -> None:
    window = 0.5
    limits = TeamLimits(rate_calls=5, rate_window_s=window)
    granted: list[float] = []

    async def hammer(store: object, until: float) -> None:
        from lrtui.engine.team.store import TeamStore

        assert isinstance(store, TeamStore)
        while time.monotonic() < until:
            wait = await store.try_rate()
            if wait == 0:
                granted.append(time.monotonic())
            else:
                assert 0 < wait <= window
                await asyncio.sleep(min(wait, 0.05))

    async with two_stores(redis_server.url, tenant, limits=limits) as (a, b):
        until = time.monotonic() + 1.6
        await asyncio.gather(hammer(a, until), hammer(b, until), hammer(a, until), hammer(b, until))
        usage = await a.usage()
    # client clocks see the grants up to a few ms apart from the server's: a window 20 ms shorter than the rule
    assert _max_in_any_window(granted, window - 0.02) <= 5
    assert len(granted) >= 10  # and the window is used, not starved
    assert usage.rate_used <= 5 and usage.rate_limit == 5


async def test_a_full_window_answers_the_wait_until_its_oldest_call_leaves(
    redis_server: RedisServer, tenant: str
) -> None:
    async with two_stores(redis_server.url, tenant, limits=TeamLimits(rate_calls=2, rate_window_s=0.4)) as (a, b):
        assert await a.try_rate() == 0
        assert await b.try_rate() == 0
        wait = await a.try_rate()
        assert 0.2 < wait <= 0.4
        await asyncio.sleep(wait + 0.01)
        assert await b.try_rate() == 0


async def test_each_endpoint_has_its_own_minute_and_hour_windows(redis_server: RedisServer, tenant: str) -> None:
    limits = TeamLimits(general_per_minute=3, general_per_hour=4, minute_s=0.3, hour_s=30)
    async with two_stores(redis_server.url, tenant, limits=limits) as (a, b):
        assert [await s.try_general("machines") for s in (a, b, a)] == [0, 0, 0]
        assert 0 < await b.try_general("machines") <= 0.3  # the minute window is full
        assert await a.try_general("library") == 0  # another endpoint is not affected
        await asyncio.sleep(0.32)
        assert await b.try_general("machines") == 0
        assert await a.try_general("machines") > 1  # now the hour window (4) is full


async def test_an_unknown_endpoint_is_a_clear_error(redis_server: RedisServer, tenant: str) -> None:
    async with two_stores(redis_server.url, tenant) as (a, _):
        with pytest.raises(ValueError, match="unknown endpoint key 'machine'"):
            await a.try_general("machine")
