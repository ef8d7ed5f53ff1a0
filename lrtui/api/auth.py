"""Bearer authentication for the MDE API: an ``httpx.Auth`` over pluggable token providers.

``BearerAuth`` caches the provider's token, refreshes it 5 minutes before expiry, and on a 401 refreshes once
and retries the request once. Providers: ``StaticToken`` (``LRTUI_ACCESS_TOKEN``), ``ClientSecret`` (secret
from ``LRTUI_CLIENT_SECRET`` or a prompt, never from the config file), ``Certificate`` (PEM + thumbprint),
``DeviceCode`` (the SSH-friendly delegated flow), ``ManagedIdentity`` and ``AzureCli``.

The providers live in ``lrtui.api.providers`` (one module per sign-in method) and are re-exported here.
msal (and requests) are imported only inside provider methods, which run in worker threads
(``asyncio.to_thread``) under an ``asyncio.Lock``. Tokens and secrets are never logged or put in a repr.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Generator
from pathlib import Path
from typing import Any

import httpx

from lrtui.api.clouds import Cloud
from lrtui.api.errors import ConfigError
from lrtui.api.providers.app_credentials import (  # noqa: F401
    ENV_CERT_PASSPHRASE,
    ENV_SECRET,
    Certificate,
    ClientSecret,
    _pem_thumbprint,
)
from lrtui.api.providers.azure_cli import AzureCli, _az_expiry  # noqa: F401
from lrtui.api.providers.base import AccessToken, PromptFn, TokenProvider, _jwt_exp  # noqa: F401
from lrtui.api.providers.device_code import DeviceCode
from lrtui.api.providers.managed_identity import ManagedIdentity
from lrtui.api.providers.msal_base import _AAD_HINTS, _msal_error, _MsalProvider  # noqa: F401
from lrtui.api.providers.static_token import ENV_TOKEN, StaticToken  # noqa: F401
from lrtui.api.token_cache import TokenCacheStore

#: Refresh this long before the token's expiry.
REFRESH_MARGIN_S = 300.0


# ---------------------------------------------------------------------------------------------- httpx.Auth


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer`` from a provider; refresh before expiry; one refresh and retry on 401."""

    requires_request_body = True  # the body is replayed when a 401 makes us retry

    def __init__(
        self,
        provider: TokenProvider,
        *,
        refresh_margin_s: float = REFRESH_MARGIN_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.provider = provider
        self.refresh_margin_s = refresh_margin_s
        self._clock = clock
        self._lock = asyncio.Lock()
        self._cached: AccessToken | None = None
        self.refreshes = 0  #: tokens fetched so far (tests, diagnostics)
        #: called with (request, 401 response, elapsed_ms) before the refresh-and-retry (MdeClient logs it)
        self.on_refused: Callable[[httpx.Request, httpx.Response, float], None] | None = None

    def __repr__(self) -> str:
        return f"BearerAuth({self.provider!r})"

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("lrtui's BearerAuth works with httpx.AsyncClient only.")

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.token()
        request.headers["Authorization"] = f"Bearer {token}"
        t0 = time.monotonic()
        response = yield request
        if response.status_code == 401:
            if self.on_refused is not None:  # the request log sees this attempt too
                try:
                    self.on_refused(request, response, (time.monotonic() - t0) * 1000.0)
                except Exception:
                    pass
            fresh = await self.token(force=True, stale=token)
            request.headers["Authorization"] = f"Bearer {fresh}"
            yield request

    async def token(self, *, force: bool = False, stale: str | None = None) -> str:
        """The current token, fetched or refreshed as needed. ``force``: the server refused ``stale``."""
        async with self._lock:
            now = self._clock()
            cur = self._cached
            if force:
                if cur is not None and cur.token != stale and not cur.expires_within(self.refresh_margin_s, now):
                    return cur.token  # another request already refreshed it
                self._cached = await self.provider.get_token(force_refresh=True)
                self.refreshes += 1
            elif cur is None or cur.expires_within(self.refresh_margin_s, now):
                self._cached = await self.provider.get_token(force_refresh=cur is not None)
                self.refreshes += 1
            return self._cached.token

    async def get_token(self) -> AccessToken:
        """Sign in now if needed (``lrtui login``) and return the current token (never print ``.token``)."""
        await self.token()
        assert self._cached is not None
        return self._cached

    def describe_cache(self) -> str:
        return self.provider.describe_cache()

    def invalidate(self) -> None:
        self._cached = None


# ---------------------------------------------------------------------------------------------- factory

_KINDS = {
    "token": "token",
    "static": "token",
    "static_token": "token",
    "access_token": "token",
    "secret": "client_secret",
    "client_secret": "client_secret",
    "certificate": "certificate",
    "cert": "certificate",
    "device_code": "device_code",
    "device": "device_code",
    "devicecode": "device_code",
    "managed_identity": "managed_identity",
    "msi": "managed_identity",
    "azure_cli": "azure_cli",
    "az": "azure_cli",
    "cli": "azure_cli",
}
AUTH_KINDS = tuple(sorted(set(_KINDS.values())))


def normalize_kind(kind: str) -> str:
    k = (kind or "").strip().lower().replace("-", "_")
    try:
        return _KINDS[k]
    except KeyError:
        raise ConfigError(f"Unknown auth method {kind!r}.", hint=f"Use one of: {', '.join(AUTH_KINDS)}.") from None


def _from_settings(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return dict(obj)
    names = (
        "auth", "kind", "tenant_id", "client_id", "cloud", "profile_name", "name", "cert_path", "cert_thumbprint",
        "scope", "authority", "managed_identity_client_id",
    )  # fmt: skip
    return {n: getattr(obj, n) for n in names if getattr(obj, n, None) is not None}


def make_provider(
    kind: str,
    *,
    tenant_id: str | None = None,
    client_id: str | None = None,
    cloud: str | Cloud | None = "commercial",
    profile_name: str = "default",
    cert_path: str | Path | None = None,
    cert_thumbprint: str | None = None,
    on_prompt: PromptFn | None = None,
    scope: str | None = None,
    authority: str | None = None,
    managed_identity_client_id: str | None = None,
    token: str | None = None,
    secret_prompt: Callable[[str], str] | None = None,
    cache: TokenCacheStore | None = None,
    http_client: Any = None,
    instance_discovery: bool | None = None,
) -> TokenProvider:
    k = normalize_kind(kind)
    if k == "token":
        return StaticToken(token)
    if k == "managed_identity":
        return ManagedIdentity(client_id=managed_identity_client_id, cloud=cloud, scope=scope, http_client=http_client)
    if k == "azure_cli":
        return AzureCli(tenant_id=tenant_id, cloud=cloud, scope=scope)
    common = dict(
        tenant_id=tenant_id, client_id=client_id, cloud=cloud, scope=scope, authority=authority,
        profile_name=profile_name, cache=cache, http_client=http_client, instance_discovery=instance_discovery,
    )  # fmt: skip
    if k == "client_secret":
        return ClientSecret(prompt=secret_prompt, **common)
    if k == "certificate":
        return Certificate(cert_path=cert_path, cert_thumbprint=cert_thumbprint, **common)
    return DeviceCode(on_prompt=on_prompt, **common)


def make_auth(kind: Any, **kw: Any) -> BearerAuth:
    """``BearerAuth`` for an auth method name (``token``, ``client_secret``, ``certificate``, ``device_code``,
    ``managed_identity``, ``azure_cli``) and the profile's settings as keywords. ``kind`` may also be a settings
    object or dict with ``auth`` and those fields. No secret is ever taken from the settings."""
    refresh_margin_s = kw.pop("refresh_margin_s", REFRESH_MARGIN_S)
    if not isinstance(kind, str):
        settings = _from_settings(kind)
        settings.pop("secret", None)
        settings.pop("client_secret", None)
        kind = settings.pop("auth", None) or settings.pop("kind", None) or "token"
        settings.pop("kind", None)
        if "name" in settings and "profile_name" not in settings:
            settings["profile_name"] = settings.pop("name")
        settings.pop("name", None)
        settings.update(kw)
        kw = settings
    return BearerAuth(make_provider(kind, **kw), refresh_margin_s=refresh_margin_s)


def describe_cache(profile: str = "default") -> str:
    """Where ``lrtui login`` keeps this profile's tokens (encrypted or a 0600 file)."""
    return TokenCacheStore(profile).describe()
