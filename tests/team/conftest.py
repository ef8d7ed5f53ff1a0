"""The team store's tests run against a real ``redis-server`` (Debian's package), started on a free loopback
port in a temporary folder and stopped afterwards. Without the binary they skip, saying why."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.team.redis_server import REDIS_SERVER, RedisServer

pytest.importorskip("redis", reason="the team extra (redis) is not installed: pip install lrtui[team]")


def _need_binary() -> None:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server); .ci/run installs it")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    _need_binary()
    srv = RedisServer(tmp_path_factory.mktemp("redis"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A server of the test's own, which the test may stop and start again."""
    _need_binary()
    srv = RedisServer(tmp_path)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def tenant() -> str:
    """A fresh tenant id per test, so tests sharing the server never see each other's keys."""
    return str(uuid.uuid4())
