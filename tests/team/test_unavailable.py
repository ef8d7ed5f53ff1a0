"""Redis going away: every call raises TeamStoreUnavailable promptly (a stopped server, a frozen one, a wrong
password), and the store works again once the server is back (its scripts loaded again after NOSCRIPT)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from lrtui.engine.team import Hold, Holder, TeamStoreUnavailable
from lrtui.engine.team.store import TeamStore
from tests.team.helpers import APP, connect
from tests.team.redis_server import RedisServer


async def test_a_stopped_server_raises_promptly_and_a_restarted_one_works(own_redis: RedisServer) -> None:
    store = await connect(own_redis.url, "t1", "alice", timeout=0.5)
    try:
        assert isinstance(await store.acquire_session("j", "m1"), Hold)
        own_redis.stop()
        for call in (store.try_rate, store.usage, lambda: store.acquire_session("j", "m2")):
            started = time.monotonic()
            with pytest.raises(TeamStoreUnavailable, match="unavailable"):
                await asyncio.wait_for(call(), 5)
            assert time.monotonic() - started < 1.5
        own_redis.start()  # same port, empty: the scripts are gone (NOSCRIPT, then loaded again)
        assert await asyncio.wait_for(store.try_rate(), 5) == 0
        assert isinstance(await store.acquire_session("j", "m2"), Hold)
    finally:
        await store.aclose()


async def test_a_frozen_server_is_unavailable_within_the_timeout(own_redis: RedisServer) -> None:
    store = await connect(own_redis.url, "t1", "alice", timeout=0.4)
    assert own_redis.proc is not None
    pid = own_redis.proc.pid
    try:
        os.kill(pid, signal.SIGSTOP)
        started = time.monotonic()
        with pytest.raises(TeamStoreUnavailable, match=r"no answer within 0\.4 s"):
            await asyncio.wait_for(store.try_rate(), 5)
        assert time.monotonic() - started < 1.2
    finally:
        os.kill(pid, signal.SIGCONT)
        await store.aclose()


async def test_flushed_scripts_are_loaded_again_on_noscript(redis_server: RedisServer, tenant: str) -> None:
    import redis.asyncio as aredis

    store = await connect(redis_server.url, tenant, "alice")
    admin = aredis.Redis.from_url(redis_server.url)
    try:
        await admin.script_flush()
        assert await store.try_rate() == 0
        assert isinstance(await store.acquire_session("j", "m1"), Hold)
    finally:
        await admin.aclose()
        await store.aclose()


def test_this_process_is_labelled_user_at_host() -> None:
    import getpass
    import socket

    h = Holder.this_process("IR-7")
    assert h.label == f"{getpass.getuser()}@{socket.gethostname()}" and h.comment_prefix == "IR-7"
    assert len(h.id) == 32 and h.id != Holder.this_process().id


async def test_nothing_listening_is_unavailable_at_connect(tmp_path: Path) -> None:
    from tests.team.redis_server import free_port

    with pytest.raises(TeamStoreUnavailable):
        await connect(f"redis://127.0.0.1:{free_port()}/0", "t1", "alice", timeout=0.5)


@pytest.fixture
def locked_redis(tmp_path: Path) -> object:
    from tests.team.redis_server import REDIS_SERVER

    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    srv = RedisServer(tmp_path, "--requirepass", "s3cret-team-pw")
    srv.start()
    yield srv
    srv.stop()


async def test_the_password_comes_from_the_caller_and_never_shows(locked_redis: RedisServer) -> None:
    holder = Holder.this_process("IR-1")
    kw = {"tenant_id": "t1", "app_id": APP, "holder": holder, "op_timeout_s": 1.0}
    with pytest.raises(TeamStoreUnavailable) as bad:
        await TeamStore.connect(locked_redis.url, password="wrong-pw", **kw)  # type: ignore[arg-type]
    assert "wrong-pw" not in str(bad.value)
    store = await TeamStore.connect(locked_redis.url, password="s3cret-team-pw", **kw)  # type: ignore[arg-type]
    try:
        assert await store.try_rate() == 0
    finally:
        await store.aclose()


async def test_a_url_of_another_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="redis:// or rediss://"):
        await TeamStore.connect(
            "http://127.0.0.1:6379", password=None, tenant_id="t", app_id="a", holder=Holder("h", "l")
        )
