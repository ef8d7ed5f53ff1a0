"""A stand-in lrtui process for the two-process test: acquires a session on each machine given, prints
``held N`` and then renews its holds every third of the TTL until it is killed."""

from __future__ import annotations

import asyncio
import sys

from lrtui.engine.team import Hold, Holder
from lrtui.engine.team.store import TeamStore


async def main(url: str, tenant: str, name: str, ttl: float, machines: list[str]) -> None:
    holder = Holder(f"{name}-proc", f"{name}@jump", f"IR-{name}")
    store = await TeamStore.connect(url, password=None, tenant_id=tenant, app_id="app-1", holder=holder, ttl_s=ttl)
    holds = [h for m in machines if isinstance(h := await store.acquire_session("job", m), Hold)]
    print(f"held {len(holds)}", flush=True)
    while True:
        await asyncio.sleep(ttl / 3)
        await store.renew(holds)


if __name__ == "__main__":
    url, tenant, name, ttl, *machines = sys.argv[1:]
    asyncio.run(main(url, tenant, name, float(ttl), machines))
