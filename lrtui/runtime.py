"""Builds what a session runs on: auth, client, journal, engine and inventory (and the demo simulator).

The TUI imports this module only after its first frame; the headless commands import it directly.
No Textual here.
"""

from __future__ import annotations

import collections
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrtui import paths
from lrtui.config import Settings
from lrtui.engine.jobs import RequestRecord

DEMO_API_URL = "http://api.demo.localhost"
DEMO_BLOB_URL = "http://blob.demo.localhost"
DEMO_TOKEN = "demo-token"
REQUEST_LOG_SIZE = 2000

DeviceCodePrompt = Callable[[str, str, str], None]


@dataclass
class Runtime:
    settings: Settings
    profile_name: str
    tenant_label: str
    demo: bool
    client: Any  # lrtui.api.client.MdeClient
    engine: Any  # lrtui.engine.engine.Engine
    inventory: Any  # lrtui.engine.inventory.Inventory
    journal: Any  # lrtui.engine.journal.Journal
    data_dir: Path
    request_log: collections.deque[RequestRecord] = field(
        default_factory=lambda: collections.deque(maxlen=REQUEST_LOG_SIZE)
    )
    simulator: Any = None
    _tmp: Any = None
    _started: bool = False

    async def start(self) -> None:
        if not self._started:
            await self.engine.start()
            self._started = True

    async def aclose(self) -> None:
        try:
            if self._started:
                await self.engine.stop()
        finally:
            try:
                await self.client.aclose()
            finally:
                self.journal.close()
                if self._tmp is not None:
                    self._tmp.cleanup()


def resolve_api_url(settings: Settings) -> str:
    from lrtui.api.clouds import resolve_base_url

    p = settings.profile
    return resolve_base_url(p.cloud, p.region, p.api_url)


def build_auth(
    settings: Settings,
    *,
    on_device_code: DeviceCodePrompt | None = None,
    secret_prompt: Callable[[str], str] | None = None,
):
    """The httpx.Auth for the active profile (msal is imported only by the providers that need it)."""
    from lrtui.api.auth import make_auth

    p = settings.profile
    return make_auth(
        p.auth,
        tenant_id=p.tenant_id,
        client_id=p.client_id,
        cloud=p.cloud,
        profile_name=p.name,
        cert_path=p.cert_path,
        cert_thumbprint=p.cert_thumbprint,
        scope=p.scope,
        managed_identity_client_id=p.managed_identity_client_id,
        on_prompt=on_device_code,
        secret_prompt=secret_prompt,
    )


def _budget_settings(settings: Settings):
    from lrtui.engine.engine import BudgetSettings

    b = settings.profile.budgets
    base = BudgetSettings(
        rate_calls=b.rate_calls,
        rate_window_s=b.rate_window_s,
        max_sessions=b.max_sessions,
        general_per_minute=b.general_per_minute,
        general_per_hour=b.general_per_hour,
        bulk_confirm_threshold=settings.ui.bulk_confirm_threshold,
    )
    # the profile's five are already env-overridden by lrtui.config; from_env adds the engine-only knobs
    return BudgetSettings.from_env(base)


async def build_runtime(
    settings: Settings,
    *,
    demo: bool | None = None,
    on_device_code: DeviceCodePrompt | None = None,
    secret_prompt: Callable[[str], str] | None = None,
    sim_config: Any = None,
    journal_path: Path | None = None,
    data_dir: Path | None = None,
    start: bool = True,
    load_inventory: bool = False,
) -> Runtime:
    """Everything a session needs. In demo mode the simulator runs in-process (no port is opened)."""
    import httpx

    from lrtui.api.client import MdeClient
    from lrtui.engine.engine import Engine
    from lrtui.engine.inventory import Inventory
    from lrtui.engine.journal import Journal

    demo = settings.demo if demo is None else demo
    log: collections.deque[RequestRecord] = collections.deque(maxlen=REQUEST_LOG_SIZE)
    simulator = None
    tmp = None
    if demo:
        from lrtui.sim import SimConfig, Simulator

        cfg = sim_config or SimConfig(**demo_sim_kwargs())
        if getattr(cfg, "blob_base_url", None) in (None, "", "http://blob.localhost"):
            cfg.blob_base_url = DEMO_BLOB_URL
        simulator = Simulator(cfg)
        transport = httpx.ASGITransport(app=simulator.api_app)
        blob_transport = httpx.ASGITransport(app=simulator.blob_app)
        from lrtui.api.auth import StaticToken

        auth = StaticToken(DEMO_TOKEN)
        base_url = DEMO_API_URL
        if journal_path is None:
            # The demo tenant lives only as long as this process: so does its journal.
            tmp = tempfile.TemporaryDirectory(prefix="lrtui-demo-")
            journal_path = Path(tmp.name) / "journal.sqlite3"
        data_dir = data_dir or paths.data_dir() / "demo"
    else:
        transport = blob_transport = None
        auth = build_auth(settings, on_device_code=on_device_code, secret_prompt=secret_prompt)
        base_url = resolve_api_url(settings)
        journal_path = journal_path or paths.journal_file(settings.profile.name)
        data_dir = data_dir or paths.data_dir()

    client = MdeClient(base_url, auth=auth, transport=transport, blob_transport=blob_transport, on_request=log.append)
    journal = Journal(journal_path)
    journal.open()  # a few ms: creates the 0600 file and opens SQLite in WAL mode
    engine = Engine(client, journal, _budget_settings(settings), data_dir=data_dir)
    inventory = Inventory()
    rt = Runtime(
        settings=settings,
        profile_name=settings.profile.name,
        tenant_label=settings.profile.tenant_label,
        demo=demo,
        client=client,
        engine=engine,
        inventory=inventory,
        journal=journal,
        data_dir=data_dir,
        request_log=log,
        simulator=simulator,
        _tmp=tmp,
    )
    if start:
        await rt.start()
    if load_inventory:
        await inventory.load(client)
    return rt


def demo_sim_kwargs() -> dict[str, Any]:
    """The demo tenant's defaults: a seeded tenant whose sessions finish in seconds."""
    return {
        "seed": int(os.environ.get("LRTUI_DEMO_SEED", "7")),
        "machines": int(os.environ.get("LRTUI_DEMO_MACHINES", "500")),
        "time_scale": float(os.environ.get("LRTUI_DEMO_TIME_SCALE", "0.02")),
    }
