"""Builds what a session runs on: auth, client, journal, engine and inventory, or the in-process demo tenant.

The one place that wires the simulator into a runtime. Importing this module is cheap (the app's first frame
must not wait for httpx, SQLite or the simulator): everything heavy is imported when a runtime is built.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl

    import httpx

    from lrtui.api.auth import BearerAuth
    from lrtui.api.records import RequestRecord
    from lrtui.engine.budget import Budget
    from lrtui.engine.journal import Journal
    from lrtui.engine.team.coordinator import TeamCoordinator
    from lrtui.runtime import DeviceCodePrompt, Runtime, RuntimeFactory
    from lrtui.settings import Settings
    from lrtui.sim import SimConfig, Simulator

DEMO_API_URL = "http://api.demo.localhost"
DEMO_BLOB_URL = "http://blob.demo.localhost"
DEMO_TOKEN = "demo-token"  # noqa: S105 (the in-process demo tenant's documented bearer, not a secret)
_SIM_DEFAULT_BLOB_URL = "http://blob.localhost"

#: Asks for a client secret (the text says for which profile); returns it, or raises ``AuthError``.
SecretPrompt = Callable[[str], str]


def resolve_api_url(settings: Settings) -> str:
    """The API base URL of the active profile (``api_url``, else its cloud and region)."""
    from lrtui.api.clouds import resolve_base_url

    p = settings.profile
    return resolve_base_url(p.cloud, p.region, p.api_url)


def build_auth(
    settings: Settings,
    *,
    on_device_code: DeviceCodePrompt | None = None,
    secret_prompt: SecretPrompt | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> BearerAuth:
    """The bearer ``httpx.Auth`` for the active profile (msal is imported only by the providers that need it).
    Sign-in verifies TLS with ``ssl_context`` (default: one built from the settings, as the API client's is)."""
    from lrtui.api.auth import make_auth

    p, secrets = settings.profile, settings.secrets
    ctx = ssl_context if ssl_context is not None else settings.tls_settings().ssl_context()
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
        client_secret=secrets.client_secret,
        access_token=secrets.access_token,
        cert_passphrase=secrets.cert_passphrase,
        token_cache=settings.token_cache_settings(),
        ssl_context=ctx,
    )


def demo_simulator(settings: Settings, sim_config: SimConfig | None = None) -> Simulator:
    """The demo tenant: ``sim_config``, or the settings' demo seed, size and time scale; result links on
    ``DEMO_BLOB_URL`` unless the config names its own blob host."""
    from lrtui.sim import SimConfig, Simulator

    d = settings.demo_tenant
    cfg = sim_config or SimConfig(seed=d.seed, machines=d.machines, time_scale=d.time_scale)
    if cfg.blob_base_url in ("", _SIM_DEFAULT_BLOB_URL):
        cfg = dataclasses.replace(cfg, blob_base_url=DEMO_BLOB_URL)
    return Simulator(cfg)


@dataclass
class _Connection:
    """Where the client connects and where the session keeps its journal and evidence."""

    base_url: str
    auth: httpx.Auth
    journal_path: Path
    data_dir: Path
    transport: httpx.AsyncBaseTransport | None = None
    blob_transport: httpx.AsyncBaseTransport | None = None
    ssl_context: ssl.SSLContext | None = None  #: verifies the API and result links (and sign-in)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


def _demo_connection(
    settings: Settings, simulator: Simulator, journal_path: Path | None, data_dir: Path | None
) -> _Connection:
    """The in-process demo tenant (no port is opened). Its evidence goes under ``<data>/demo`` and each session
    keeps its own journal under ``<state>/demo`` (kept after the app ends, never resumed: the next session's
    tenant is a new one)."""
    import os
    import time
    import uuid

    import httpx

    from lrtui.api.auth import BearerAuth, StaticToken
    from lrtui.settings import writable_dir

    if journal_path is None:
        folder = writable_dir(demo_journal_dir(settings), "the demo journal", settings.paths.home)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        journal_path = folder / f"journal-{stamp}-{os.getpid()}-{uuid.uuid4().hex[:6]}.sqlite3"
    return _Connection(
        base_url=DEMO_API_URL,
        auth=BearerAuth(StaticToken(DEMO_TOKEN)),
        journal_path=journal_path,
        data_dir=data_dir or settings.paths.data_dir() / "demo",
        transport=httpx.ASGITransport(app=simulator.api_app),
        blob_transport=httpx.ASGITransport(app=simulator.blob_app),
    )


def _tenant_connection(
    settings: Settings,
    on_device_code: DeviceCodePrompt | None,
    secret_prompt: SecretPrompt | None,
    journal_path: Path | None,
    data_dir: Path | None,
) -> _Connection:
    """The active profile's tenant: one TLS context (OS trust store, the profile's or the environment's CA file)
    for the API, its result links and sign-in; the journal's folder checked before anything opens it."""
    from lrtui.settings import writable_dir

    ctx = settings.tls_settings().ssl_context()
    journal_path = journal_path or settings.paths.journal_file(settings.profile.name)
    writable_dir(journal_path.parent, "the journal", settings.paths.home)
    return _Connection(
        base_url=resolve_api_url(settings),
        auth=build_auth(settings, on_device_code=on_device_code, secret_prompt=secret_prompt, ssl_context=ctx),
        journal_path=journal_path,
        data_dir=data_dir or settings.paths.data_dir(),
        ssl_context=ctx,
    )


def demo_journal_dir(settings: Settings) -> Path:
    """Where each demo session keeps its journal (``journal-<time>-<pid>-<id>.sqlite3``)."""
    return settings.paths.state_dir() / "demo"


def demo_journals(settings: Settings) -> list[Journal]:
    """The journals the demo's sessions kept, newest first, opened read-only (``lrtui batches``, ``stack`` and
    ``table`` with ``--demo`` read the batches of earlier ``lrtui run --demo`` and app sessions; nothing is
    created). A file that cannot be read is skipped and named in the first journal's ``problems``."""
    from lrtui.engine.journal import Journal, JournalError

    folder = demo_journal_dir(settings)
    paths = sorted(folder.glob("journal-*.sqlite3"), reverse=True) if folder.is_dir() else []
    out: list[Journal] = []
    problems: list[str] = []
    for path in paths:
        try:
            out.append(Journal(path, read_only=True).open())
        except JournalError as e:
            problems.append(f"{path}: {e.user_message()}; skipped")
    if out:
        out[0].problems.extend(problems)
    return out


@contextlib.asynccontextmanager
async def reading_journals(settings: Settings) -> AsyncIterator[list[Journal]]:
    """The journals a reading command looks at, opened off the event loop and closed afterwards: the profile's
    (``open_journal``), or with ``--demo`` every kept demo session's (``demo_journals``, newest first)."""
    import asyncio

    journals = await asyncio.to_thread(lambda: demo_journals(settings) if settings.demo else [open_journal(settings)])
    try:
        yield journals
    finally:
        for journal in journals:
            journal.close()


def open_journal(settings: Settings) -> Journal:
    """The active profile's journal, opened for reading and writing notes, with nothing else: no auth, no client,
    no engine (``lrtui batches``, ``stack``, ``table`` read a journal offline, without signing in). The folder is
    checked as ``build_runtime`` checks it."""
    from lrtui.engine.journal import Journal
    from lrtui.settings import writable_dir

    path = settings.paths.journal_file(settings.profile.name)
    writable_dir(path.parent, "the journal", settings.paths.home)
    return Journal(path).open()


def team_coordinator(settings: Settings, budget: Budget, echo: Callable[[str], None] | None) -> TeamCoordinator:
    """The team's shared budgets for the profile's ``[team] redis_url`` (password only from
    ``LRTUI_REDIS_PASSWORD``). No call is made here: the engine's first team tick finds out whether the store
    answers (if not: a notice, and local budgets at the fallback share). ``redis`` is imported only here."""
    from lrtui.api.errors import ConfigError

    try:
        from lrtui.engine.team.store import TeamStore
    except ImportError:
        raise ConfigError(
            f"Profile {settings.profile.name!r} shares its budgets through Redis ([team] redis_url), but the redis "
            "package is not installed.",
            hint="Install the team extra: pip install 'lrtui[team]' (or remove redis_url to keep budgets local).",
        ) from None
    from lrtui.engine.team import Holder
    from lrtui.engine.team.coordinator import TeamCoordinator, fallback_share, team_limits

    p, t, s = settings.profile, settings.profile.team, budget.settings
    limits = team_limits(s)
    try:
        store = TeamStore.build(
            t.redis_url or "",
            password=settings.secrets.redis_password,
            tenant_id=p.tenant_id or "",
            app_id=p.client_id or "",
            holder=Holder.this_process(p.default_comment()),
            ttl_s=t.ttl_s,
            limits=limits,
            op_timeout_s=min(2.0, max(0.2, s.rate_window_s / 30)),
        )
        fallback = fallback_share(limits, s, t.fallback_share)
    except ValueError as e:
        raise ConfigError(
            f"Profile {p.name!r}: the team store cannot be used: {e}.",
            hint="Set tenant_id and client_id (the budgets are keyed by them), redis_url to redis:// or rediss://, "
            "and fallback_share between 0 and 1.",
        ) from None
    step = max(0.01, min(0.25, s.rate_window_s / 240))
    busy_retry = min(t.ttl_s / 3, s.rate_window_s / 12)  # 5 s at the service's clock: a teammate's action is short
    return TeamCoordinator(store, fallback, budget, ttl_s=t.ttl_s, step_s=step, busy_retry_s=busy_retry, echo=echo)


def _runtime(
    settings: Settings, conn: _Connection, *, demo: bool, team_echo: Callable[[str], None] | None = None
) -> Runtime:
    """Budget and request hub first, then the client (fed both), the journal, the engine and the inventory; the
    team's coordinator when the profile shares its budgets (never for the demo tenant)."""
    import time

    from lrtui.api.client import MdeClient
    from lrtui.api.records import RequestHub
    from lrtui.engine.budget import Budget
    from lrtui.engine.engine import Engine
    from lrtui.engine.inventory import Inventory
    from lrtui.engine.journal import Journal
    from lrtui.runtime import REQUEST_LOG_SIZE, Runtime

    budget = Budget(settings.budget_settings(), time.monotonic)
    team = None if demo or not settings.profile.team.redis_url else team_coordinator(settings, budget, team_echo)
    if team is not None:
        conn.closers.append(team.store.aclose)
    request_log: collections.deque[RequestRecord] = collections.deque(maxlen=REQUEST_LOG_SIZE)
    requests = RequestHub()
    requests.add(request_log.append)
    client = MdeClient(
        conn.base_url,
        auth=conn.auth,
        transport=conn.transport,
        blob_transport=conn.blob_transport,
        on_request=requests,
        general_gate=team.general_gate if team is not None else budget.general_gate,
        ssl_context=conn.ssl_context,
    )
    journal = Journal(conn.journal_path).open()  # a few ms: creates the 0600 file, opens SQLite in WAL mode
    engine = Engine(client, journal, budget, requests=requests, data_dir=conn.data_dir, team=team)
    return Runtime(
        settings=settings,
        profile_name=settings.profile.name,
        tenant_label=settings.profile.tenant_label,
        demo=demo,
        client=client,
        engine=engine,
        inventory=Inventory(),
        journal=journal,
        data_dir=conn.data_dir,
        request_log=request_log,
        closers=conn.closers,
    )


def _stderr_line(text: str) -> None:
    import sys

    print(f"lrtui: {text}", file=sys.stderr, flush=True)


async def build_runtime(
    settings: Settings,
    *,
    demo: bool | None = None,
    on_device_code: DeviceCodePrompt | None = None,
    secret_prompt: SecretPrompt | None = None,
    sim_config: SimConfig | None = None,
    simulator: Simulator | None = None,
    journal_path: Path | None = None,
    data_dir: Path | None = None,
    start: bool = True,
    load_inventory: bool = False,
    team_echo: Callable[[str], None] | None = _stderr_line,
) -> Runtime:
    """Everything a session needs. ``demo`` defaults to ``settings.demo``; in demo mode the simulator runs
    in-process: ``simulator`` as given (tests keep a handle on it), else one built from ``sim_config``.
    ``team_echo`` also gets the team store's notices (headless: stderr; the app shows them itself)."""
    demo = settings.demo if demo is None else demo
    if demo:
        sim = simulator or demo_simulator(settings, sim_config)
        conn = _demo_connection(settings, sim, journal_path, data_dir)
    else:
        conn = _tenant_connection(settings, on_device_code, secret_prompt, journal_path, data_dir)
    rt = _runtime(settings, conn, demo=demo, team_echo=team_echo)
    try:
        if start:
            await rt.start()
        if load_inventory:
            await rt.inventory.load(rt.client)
    except BaseException:
        await rt.aclose()
        raise
    return rt


def runtime_factory(
    settings: Settings, *, demo: bool | None, secret_prompt: SecretPrompt | None = None
) -> RuntimeFactory:
    """What the app calls after its first frame (with its device-code prompt) to get its runtime."""

    async def factory(on_device_code: DeviceCodePrompt | None) -> Runtime:
        return await build_runtime(
            settings, demo=demo, on_device_code=on_device_code, secret_prompt=secret_prompt, team_echo=None
        )

    return factory
