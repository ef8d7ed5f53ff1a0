"""The typed sections of the settings: what the config file holds, and what only the environment sets.

File-backed (``config.toml``): ``Profile`` with its ``Budgets`` and ``TeamSettings``, and ``UiSettings``.
Environment-only: ``Pacing`` (engine knobs), ``DemoSettings`` (the demo tenant), ``Secrets`` (never printed,
never written to disk).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from lrtui.settings.validate import section

AuthKind = Literal["client_secret", "certificate", "device_code", "managed_identity", "azure_cli", "token"]
AUTH_KINDS: tuple[str, ...] = get_args(AuthKind)
TokenCacheMode = Literal["auto", "plain", "memory"]
GeneralBudget = Literal["per-endpoint", "shared"]  #: ``[profiles.NAME.budgets] general_budget``
#: ``[ui] glyphs``: "auto" picks "console" on the Linux console (TERM=linux) or at 16 colours, else "unicode"
GlyphMode = Literal["auto", "unicode", "console"]
GLYPH_MODES: tuple[str, ...] = get_args(GlyphMode)
DEMO_PROFILE = "demo"


@dataclass
class Budgets:
    """The service's documented limits for one app registration (``[profiles.NAME.budgets]``)."""

    rate_calls: int = field(default=10, metadata={"ge": 1})  #: runliveresponse calls per rolling window
    rate_window_s: float = field(default=60.0, metadata={"gt": 0})
    max_sessions: int = field(default=25, metadata={"ge": 1})  #: concurrent live response sessions
    general_per_minute: int = field(default=100, metadata={"ge": 1})
    general_per_hour: int = field(default=1500, metadata={"ge": 1})
    #: "per-endpoint": each API its own general_per_minute/hour (as documented); "shared": one for all of them
    general_budget: GeneralBudget = "per-endpoint"


@dataclass
class TeamSettings:
    """``[profiles.NAME.team]``: budgets shared by a team (issue 13). The password never comes from the file."""

    redis_url: str | None = None  #: redis:// or rediss:// (TLS); no password here: LRTUI_REDIS_PASSWORD
    ttl_s: float = field(default=30.0, metadata={"gt": 0})  #: a hold's lease; a killed process frees it within this
    #: the share of each limit this process plans with locally while the store is unreachable
    fallback_share: float = field(default=0.5, metadata={"gt": 0})


@dataclass
class UiSettings:
    """``[ui]``: how the app looks and asks."""

    theme: str = "lrtui-dark"
    keymap: dict[str, str] = field(default_factory=dict)  #: binding id -> keys, e.g. run-sequence
    bulk_confirm_threshold: int = field(default=20, metadata={"ge": 1})
    compact: bool = False
    glyphs: GlyphMode = "auto"  #: symbols and borders a Linux console font can show ("console") or not

    def model_dump(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Profile:
    """One tenant and how to sign in to it (``[profiles.NAME]``)."""

    name: str = "default"
    tenant_id: str | None = None
    client_id: str | None = None
    auth: AuthKind = "client_secret"
    cloud: str = "commercial"
    region: str | None = None
    api_url: str | None = None
    scope: str | None = None
    cert_path: str | None = None
    cert_thumbprint: str | None = None
    managed_identity_client_id: str | None = None
    ca_bundle: str | None = None  #: a PEM file of extra CAs (a TLS-inspecting proxy's), added to the OS trust
    analyst: str | None = None
    case_id: str | None = None
    comment_prefix: str = ""
    budgets: Budgets = section(Budgets)
    team: TeamSettings = section(TeamSettings)

    @property
    def tenant_label(self) -> str:
        return self.tenant_id or "(tenant not set)"

    def default_comment(self) -> str:
        """The prefix a new sequence's comment starts with (analyst and case id when set)."""
        if self.comment_prefix:
            return self.comment_prefix
        parts = [f"analyst={self.analyst}" if self.analyst else "", f"case={self.case_id}" if self.case_id else ""]
        text = " ".join(p for p in parts if p)
        return f"{text}: " if text else ""

    def model_dump(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def demo_profile() -> Profile:
    """The built-in demo tenant's profile (no sign-in: the simulator runs in-process)."""
    return Profile(
        name=DEMO_PROFILE,
        tenant_id="demo.contoso.example",
        auth="token",
        comment_prefix="analyst=demo case=WORKSHOP-1: ",
    )


@dataclass(frozen=True)
class Pacing:
    """Engine knobs set only from the environment (``LRTUI_POLL_FAST_S`` ...). Defaults are the engine's."""

    general_window_s: float = 60.0  #: length of the general "minute"; the hour is 60 of them
    poll_share: float = 0.5  #: share of the general budget the poller may spend
    poll_fast_s: float = 1.0  #: the shortest poll interval (the budget's windows decide how much longer)
    poll_slow_s: float = 60.0  #: poll interval when every followed action waits for an offline device
    poll_chunk: int = 40  #: action ids per list call
    retry_after_default_s: float = 60.0  #: back-off when a 429 carries no usable Retry-After
    reconcile_grace_s: float = 120.0  #: how long a just-POSTed action may stay invisible in the list


@dataclass(frozen=True)
class DemoSettings:
    """The in-process demo tenant (``LRTUI_DEMO_SEED``, ``LRTUI_DEMO_MACHINES``, ``LRTUI_DEMO_TIME_SCALE``)."""

    seed: int = 7
    machines: int = 500
    time_scale: float = 0.02


@dataclass(frozen=True)
class CaEnv:
    """The standard TLS variables lrtui honours: ``SSL_CERT_FILE``, ``REQUESTS_CA_BUNDLE``, ``LRTUI_TRUSTSTORE``."""

    ssl_cert_file: str | None = None
    requests_ca_bundle: str | None = None
    truststore: bool = True  #: LRTUI_TRUSTSTORE=0 turns the OS trust store off (certifi's CAs instead)


@dataclass(frozen=True)
class Secrets:
    """Credentials from the environment only. Never printed (``repr`` hides them) and never written to disk."""

    client_secret: str | None = field(default=None, repr=False)  #: LRTUI_CLIENT_SECRET
    access_token: str | None = field(default=None, repr=False)  #: LRTUI_ACCESS_TOKEN
    cert_passphrase: str | None = field(default=None, repr=False)  #: LRTUI_CERT_PASSPHRASE
    redis_password: str | None = field(default=None, repr=False)  #: LRTUI_REDIS_PASSWORD (team budgets)
