from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from lrtui.engine.team import Holder, TeamLimits
from lrtui.engine.team.store import TeamStore

APP = "11111111-2222-3333-4444-555555555555"


async def connect(
    url: str, tenant: str, name: str, *, limits: TeamLimits | None = None, ttl_s: float = 30.0, timeout: float = 1.0
) -> TeamStore:
    holder = Holder(f"{name}-{id(object())}", f"{name}@jump", f"IR-{name}")
    return await TeamStore.connect(
        url,
        password=None,
        tenant_id=tenant,
        app_id=APP,
        holder=holder,
        ttl_s=ttl_s,
        limits=limits,
        op_timeout_s=timeout,
    )


@contextlib.asynccontextmanager
async def two_stores(
    url: str, tenant: str, *, limits: TeamLimits | None = None, ttl_s: float = 30.0
) -> AsyncIterator[tuple[TeamStore, TeamStore]]:
    a = await connect(url, tenant, "alice", limits=limits, ttl_s=ttl_s)
    b = await connect(url, tenant, "bob", limits=limits, ttl_s=ttl_s)
    try:
        yield a, b
    finally:
        await a.aclose()
        await b.aclose()
