"""Clouds (sign-in authority, API base, token scope) and base-URL resolution.

Facts from mde-api.md 1.3. The token resource stays fixed per cloud while the API host can vary (regional
hosts, the two commercial names); every value can be overridden from the profile.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit, urlunsplit

from lrtui.api.errors import ConfigError
from lrtui.api.text import clean_line

COMMERCIAL_SCOPE = "https://api.securitycenter.microsoft.com/.default"
#: The same service's other documented scope spelling (curl example in the docs; XSOAR uses this shape).
COMMERCIAL_ALT_SCOPE = "https://securitycenter.onmicrosoft.com/windowsatpservice/.default"
#: The WindowsDefenderATP first-party API (permissions live there).
WINDOWS_DEFENDER_ATP_APP_ID = "fc780465-2017-40d4-a0c5-307022471b92"


@dataclass(frozen=True)
class Cloud:
    name: str
    authority: str  #: sign-in host, without the tenant: ``https://login.microsoftonline.com``
    api_base: str  #: default API base URL (paths start with ``/api/...``)
    scope: str  #: default token scope (``.../.default``)
    regions: dict[str, str] = field(default_factory=dict)  #: region name -> API base
    portal: str = "https://security.microsoft.com"
    alt_scopes: tuple[str, ...] = ()
    notes: str = ""

    @property
    def resource(self) -> str:
        """The v1 "resource" (scope without ``/.default``), for managed identity and ``az``."""
        return scope_to_resource(self.scope)

    def authority_url(self, tenant_id: str) -> str:
        return f"{self.authority.rstrip('/')}/{tenant_id}"


def scope_to_resource(scope: str) -> str:
    return scope[: -len("/.default")] if scope.endswith("/.default") else scope


COMMERCIAL = Cloud(
    name="commercial",
    authority="https://login.microsoftonline.com",
    api_base="https://api.security.microsoft.com",
    scope=COMMERCIAL_SCOPE,
    regions={
        # current include (DOC)
        "us": "https://us.api.security.microsoft.com",
        "eu": "https://eu.api.security.microsoft.com",
        "uk": "https://uk.api.security.microsoft.com",
        "au": "https://au.api.security.microsoft.com",
        "swa": "https://swa.api.security.microsoft.com",
        # older include, 2021 (DOC)
        "api-us": "https://api-us.securitycenter.microsoft.com",
        "api-eu": "https://api-eu.securitycenter.microsoft.com",
        "api-uk": "https://api-uk.securitycenter.microsoft.com",
        "api-au": "https://api-au.securitycenter.microsoft.com",
        # the other commercial global hosts
        "securitycenter": "https://api.securitycenter.microsoft.com",
        "legacy": "https://api.securitycenter.windows.com",  # OBS, older docs
    },
    alt_scopes=(COMMERCIAL_ALT_SCOPE,),
    notes="UNCONFIRMED: that a token for api.securitycenter.microsoft.com is accepted on api.security.microsoft.com.",
)

GCC = Cloud(
    name="gcc",
    authority="https://login.microsoftonline.com",
    api_base="https://api-gcc.securitycenter.microsoft.us",
    # UNCONFIRMED officially: community scripts use this; XSOAR uses the windowsatpservice form below.
    scope="https://api-gcc.securitycenter.microsoft.us/.default",
    alt_scopes=(COMMERCIAL_ALT_SCOPE,),
    portal="https://security.microsoft.com",
    notes="Scope UNCONFIRMED; set scope in the profile if sign-in succeeds but calls get 401.",
)

GCC_HIGH = Cloud(
    name="gcc-high",
    authority="https://login.microsoftonline.us",
    api_base="https://api-gov.securitycenter.microsoft.us",
    # OBS (XSOAR); the community alternative https://api-gov.securitycenter.microsoft.us/.default is UNCONFIRMED.
    scope="https://securitycenter.onmicrosoft.us/windowsatpservice/.default",
    alt_scopes=("https://api-gov.securitycenter.microsoft.us/.default",),
    portal="https://security.microsoft.us",
    notes="Scope UNCONFIRMED (observed in XSOAR only).",
)

DOD = Cloud(
    name="dod",
    authority="https://login.microsoftonline.us",
    api_base="https://api-gov.securitycenter.microsoft.us",
    scope="https://securitycenter.onmicrosoft.us/windowsatpservice/.default",  # same as GCC High (OBS)
    alt_scopes=("https://api-gov.securitycenter.microsoft.us/.default",),
    portal="https://security.apps.mil",
    notes="Scope UNCONFIRMED (same as GCC High, observed in XSOAR only).",
)

CLOUDS: dict[str, Cloud] = {c.name: c for c in (COMMERCIAL, GCC, GCC_HIGH, DOD)}

ALIASES = {
    "public": "commercial",
    "global": "commercial",
    "worldwide": "commercial",
    "gcchigh": "gcc-high",
    "gcc_high": "gcc-high",
    "usgov": "gcc-high",
    "gov": "gcc-high",
    "dod": "dod",
}


def get_cloud(cloud: str | Cloud | None) -> Cloud:
    if isinstance(cloud, Cloud):
        return cloud
    key = (cloud or "commercial").strip().lower()
    key = ALIASES.get(key, key)
    try:
        return CLOUDS[key]
    except KeyError:
        raise ConfigError(f"Unknown cloud {cloud!r}.", hint=f"Use one of: {', '.join(CLOUDS)}.") from None


def is_loopback_host(host: str | None) -> bool:
    """127.0.0.0/8, ::1, ``localhost`` and ``*.localhost``."""
    if not host:
        return False
    h = host.strip("[]").lower().rstrip(".")
    if h == "localhost" or h.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def _split(url: str, raw: str) -> SplitResult:
    """``raw`` split, or a ``ConfigError`` naming what is wrong: a bad port, a broken IPv6 literal, a control
    character or space, a host name that cannot be encoded (what httpx refuses before each call, checked here
    with the standard library so no caller meets ``httpx.InvalidURL`` later; the transport maps one anyway)."""
    problem = ""
    try:
        p = urlsplit(raw)
        if p.port == 0:  # ValueError above for a port out of range or not a number
            problem = "port 0 is not a port"
        bad = next((i for i, ch in enumerate(raw) if not ch.isprintable() or ch.isspace()), None)
        if bad is not None:
            problem = f"a control character or space at position {bad}"
        elif p.hostname:
            p.hostname.encode("idna")
    except UnicodeError:
        problem = "the host name cannot be encoded (IDNA)"
    except ValueError as e:
        problem = str(e)
    if problem:
        raise ConfigError(
            f"{url[:200]!r} is not a valid API URL: {clean_line(problem)[:200].rstrip('.')}.",
            hint="Use https://host[:port], for example https://api.security.microsoft.com (a port is 1-65535).",
        )
    return p


def normalize_base_url(url: str) -> str:
    """``https://host[:port]`` (plus any path prefix other than a trailing ``/api``), no trailing slash.

    https is required unless the host is loopback (the simulator).
    """
    raw = url.strip()
    if "://" not in raw:
        raw = "https://" + raw
    p = _split(url, raw)
    if p.scheme not in ("https", "http") or not p.hostname:
        raise ConfigError(
            f"{url!r} is not an API URL.", hint="Use https://host, for example https://api.security.microsoft.com."
        )
    if p.scheme == "http" and not is_loopback_host(p.hostname):
        raise ConfigError(
            f"{url!r} uses plain http; the bearer token would travel unencrypted.",
            hint="Use https (plain http is allowed only for loopback, e.g. the simulator).",
        )
    if p.query or p.fragment:
        raise ConfigError(f"{url!r} has a query or fragment; give only the base URL.")
    path = p.path.rstrip("/")
    if path.lower().endswith("/api"):
        path = path[:-4]
    return urlunsplit((p.scheme, p.netloc, path, "", ""))


def resolve_base_url(
    cloud: str | Cloud | None = "commercial", region: str | None = None, api_url: str | None = None
) -> str:
    """The API base URL: ``api_url`` when given, else the cloud's regional host, else its default."""
    if api_url:
        return normalize_base_url(api_url)
    c = get_cloud(cloud)
    if region:
        r = region.strip().lower()
        if r in c.regions:
            return c.regions[r]
        if c.regions:
            raise ConfigError(
                f"Unknown region {region!r} for the {c.name} cloud.", hint=f"Use one of: {', '.join(c.regions)}."
            )
        raise ConfigError(f"The {c.name} cloud has no regional hosts; remove the region setting.")
    return c.api_base
