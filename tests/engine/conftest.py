"""Engine tests run against the real simulator (in-process via ASGITransport, or over loopback) and the real
client. Durations are scaled (``time_scale``) and so are the budget windows; nothing sleeps real minutes."""

from __future__ import annotations

import httpx
import pytest

from lrtui.api.client import MdeClient
from lrtui.api.models import Machine
from lrtui.engine.budget import BudgetSettings
from lrtui.engine.journal import Journal

from .helpers import wire_engine

SCALE = 0.01


def scaled_settings(scale: float = SCALE, **kw) -> BudgetSettings:
    base = dict(
        rate_window_s=60.0 * scale,
        general_window_s=60.0 * scale,
        poll_fast_s=max(0.02, 5.0 * scale),
        poll_slow_s=max(0.1, 60.0 * scale),
        reconcile_grace_s=1.0,
        retry_after_default_s=1.0,
        expected_action_s=120.0 * scale,
    )
    base.update(kw)
    return BudgetSettings(**base)


def make_sim(**kw):
    from lrtui.sim.config import SimConfig
    from lrtui.sim.simulator import Simulator

    cfg = dict(seed=7, machines=120, time_scale=SCALE, scale_rate_window=True)
    cfg.update(kw)
    return Simulator(SimConfig(**cfg))


def demo_auth():
    from lrtui.api.auth import BearerAuth, StaticToken

    return BearerAuth(StaticToken("demo-token"))


def inproc_client(sim, **kw) -> MdeClient:
    return MdeClient(
        "http://api.localhost",
        auth=demo_auth(),
        transport=httpx.ASGITransport(app=sim.api_app),
        blob_transport=httpx.ASGITransport(app=sim.blob_app),
        **kw,
    )


def loopback_client(api_url: str, **kw) -> MdeClient:
    return MdeClient(api_url, auth=demo_auth(), **kw)


def usable(sim, n: int, *, family: str = "windows", online: bool = True) -> list[Machine]:
    """``n`` machines of the demo tenant that can run live response (supported, automation level)."""
    out = []
    for rec in sim.state.machines:
        group = sim.group_of(rec)
        if not rec.supported or not group.remediation_level or rec.family != family or rec.agent_too_old:
            continue
        if rec.server and not sim.config.live_response_servers:
            continue
        is_on = rec.wire.get("healthStatus") == "Active" and rec.online_at <= sim.now()
        if is_on != online:
            continue
        if not online and rec.online_at != float("inf"):
            continue
        out.append(Machine.model_validate(rec.wire))
        if len(out) == n:
            break
    assert len(out) == n, f"the demo tenant has only {len(out)} such machines"
    return out


def lr_actions_per_machine(sim) -> dict[str, int]:
    counts: dict[str, int] = {}
    for a in sim.state.actions.values():
        if a.type == "LiveResponse" and "lrtui-job:" in (a.comment or ""):
            mid = a.machine.id
            counts[mid] = counts.get(mid, 0) + 1
    return counts


@pytest.fixture
def journal(tmp_path):
    j = Journal(tmp_path / "journal.sqlite3").open()
    yield j
    j.close()


@pytest.fixture
async def engine_factory(tmp_path, journal):
    made = []

    async def factory(sim, settings=None, **kw):
        eng = wire_engine(
            lambda **ckw: inproc_client(sim, **ckw),
            journal,
            settings or scaled_settings(),
            data_dir=tmp_path / "data",
            **kw,
        )
        await eng.start()
        made.append((eng, eng.client))
        return eng

    yield factory
    for eng, client in made:
        await eng.stop()
        await client.aclose()
