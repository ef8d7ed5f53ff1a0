"""Real engines wired to a real team store, as ``lrtui.cli.compose`` wires them: the budget, the coordinator (its
general gate fed to the client), the journal and the engine; against the simulator over loopback."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from lrtui.api.auth import BearerAuth, StaticToken
from lrtui.api.client import MdeClient
from lrtui.api.models import CommandType, Machine
from lrtui.api.records import RequestHub
from lrtui.api.sequence import Sequence, make_command
from lrtui.engine.budget import Budget, BudgetSettings
from lrtui.engine.engine import Engine
from lrtui.engine.jobs import EngineNotice, Event
from lrtui.engine.journal import Journal
from lrtui.engine.team import Holder
from lrtui.engine.team.coordinator import TeamCoordinator, fallback_share, team_limits
from lrtui.engine.team.store import TeamStore
from tests.team.helpers import APP

SCALE = 0.01
SCRIPT = "team-test.ps1"


def settings(**kw: float) -> BudgetSettings:
    base: dict[str, float] = dict(
        rate_window_s=60.0 * SCALE,
        general_window_s=60.0 * SCALE,
        poll_fast_s=0.02,
        poll_slow_s=0.6,
        reconcile_grace_s=1.0,
        retry_after_default_s=1.0,
        expected_action_s=120.0 * SCALE,
    )
    base.update(kw)
    return BudgetSettings(**base)  # type: ignore[arg-type]


def sequence(comment: str) -> Sequence:
    return Sequence(comment=comment).add(make_command(CommandType.RUN_SCRIPT, SCRIPT))


async def upload_script(api_url: str, service_s: float) -> None:
    client = MdeClient(api_url, auth=BearerAuth(StaticToken("demo-token")))
    try:
        body = f"# sim: duration={service_s:g}\nWrite-Output done\n".encode()
        await client.library.upload(SCRIPT, body, description="team test: runs a fixed time", override=True)
    finally:
        await client.aclose()


@dataclass
class TeamEngine:
    engine: Engine
    team: TeamCoordinator
    notices: list[str] = field(default_factory=list)

    def on_event(self, event: Event) -> None:
        if isinstance(event, EngineNotice):
            self.notices.append(event.message)


@contextlib.asynccontextmanager
async def team_engine(
    api_url: str, redis_url: str, tenant: str, name: str, folder: Path, *, ttl_s: float = 3.0
) -> AsyncIterator[TeamEngine]:
    s = settings()
    budget = Budget(s)
    limits = team_limits(s)
    holder = Holder(f"{name}-proc", f"{name}@jump", f"IR-{name}: ")
    store = TeamStore.build(
        redis_url, password=None, tenant_id=tenant, app_id=APP, holder=holder, ttl_s=ttl_s, limits=limits,
        op_timeout_s=0.3,
    )  # fmt: skip
    team = TeamCoordinator(store, fallback_share(limits, s, 0.5), budget, ttl_s=ttl_s, usage_every_s=0.2, step_s=0.01)
    requests = RequestHub()
    client = MdeClient(
        api_url, auth=BearerAuth(StaticToken("demo-token")), on_request=requests, general_gate=team.general_gate
    )
    journal = Journal(folder / f"{name}.sqlite3").open()
    engine = Engine(client, journal, budget, requests=requests, data_dir=folder / name, team=team)
    te = TeamEngine(engine, team)
    engine.subscribe(te.on_event)
    await engine.start()
    try:
        yield te
    finally:
        await engine.stop()
        await client.aclose()
        await store.aclose()
        journal.close()


def usable(sim: object, n: int) -> list[Machine]:
    from tests.engine.conftest import usable as engine_usable

    return engine_usable(sim, n)
