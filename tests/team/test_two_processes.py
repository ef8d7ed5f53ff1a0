"""Two real processes share one Redis; one is killed with -9: its holds free within the TTL, the survivor's
stay (it keeps renewing)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from lrtui.engine.team import Hold, Holder
from lrtui.engine.team.store import TeamStore
from tests.team.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[2]
TTL = 1.0


def _child(url: str, tenant: str, name: str, machines: list[str]) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "tests.team.holder_child", url, tenant, name, str(TTL), *machines]
    return subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True)


async def test_a_process_killed_with_9_frees_its_holds_within_the_ttl(redis_server: RedisServer, tenant: str) -> None:
    a = _child(redis_server.url, tenant, "alice", [f"a{i}" for i in range(5)])
    assert a.stdout is not None
    assert a.stdout.readline().strip() == "held 5"
    b = _child(redis_server.url, tenant, "bob", [f"b{i}" for i in range(5)] + ["a0"])  # a0 is alice's
    watcher = await TeamStore.connect(
        redis_server.url, password=None, tenant_id=tenant, app_id="app-1", holder=Holder("watcher", "w@h")
    )
    try:
        assert b.stdout is not None
        assert b.stdout.readline().strip() == "held 5"
        before = await watcher.usage()
        assert before.sessions_used == 10
        a.kill()  # SIGKILL: no release, no goodbye
        a.wait(5)
        killed_at = time.monotonic()
        while (await watcher.usage()).sessions_used > 5 and time.monotonic() - killed_at < TTL + 2:
            await asyncio.sleep(0.05)
        freed_after = time.monotonic() - killed_at
        after = await watcher.usage()
        assert freed_after <= TTL + 0.3
        assert sorted(h.holder_label for h in after.machines) == ["bob@jump"] * 5
        await asyncio.sleep(TTL * 1.5)  # the survivor renews: its holds outlive the TTL
        assert (await watcher.usage()).sessions_used == 5
        assert isinstance(await watcher.acquire_session("w", "a1"), Hold)
    finally:
        for p in (a, b):
            p.kill()
            p.wait(5)
        await watcher.aclose()
