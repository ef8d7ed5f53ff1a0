"""Bearer authentication for the MDE API: an ``httpx.Auth`` over pluggable token providers.

``BearerAuth`` caches the provider's token, refreshes it 5 minutes before expiry, and on a 401 refreshes once
and retries the request once. Providers: ``StaticToken`` (a given token), ``ClientSecret`` (a given secret or a
prompt, never from the config file), ``Certificate`` (PEM + thumbprint), ``DeviceCode`` (the SSH-friendly
delegated flow), ``ManagedIdentity`` and ``AzureCli``. ``make_auth`` builds one from a profile's settings; the
values the settings layer reads from the environment (``LRTUI_ACCESS_TOKEN``, ``LRTUI_CLIENT_SECRET``,
``LRTUI_CERT_PASSPHRASE``, ``LRTUI_TOKEN_CACHE``) come in as arguments.

The providers live in ``lrtui.api.providers`` (one module per sign-in method).
msal (and requests) are imported only inside provider methods, which run in worker threads
(``asyncio.to_thread``) under an ``asyncio.Lock``. Tokens and secrets are never logged or put in a repr.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncGenerator, Callable, Generator
from pathlib import Path
from typing import Any

import httpx

from lrtui.api.clouds import Cloud
from lrtui.api.errors import ConfigError
from lrtui.api.providers import (
    AccessToken,
    AzureCli,
    Certificate,
    ClientSecret,
    DeviceCode,
    ManagedIdentity,
    PromptFn,
    StaticToken,
    TokenProvider,
)
from lrtui.api.token_cache import TokenCacheSettings, TokenCacheStore

__all__ = [
    "AUTH_KINDS", "REFRESH_MARGIN_S", "AccessToken", "AzureCli", "BearerAuth", "Certificate", "ClientSecret",
    "DeviceCode", "ManagedIdentity", "PromptFn", "RefusedFn", "StaticToken", "TokenProvider", "make_auth",
    "make_provider", "normalize_kind",
]  # fmt: skip

#: Refresh this long before the token's expiry.
REFRESH_MARGIN_S = 300.0


#: on_refused(request, 401 response, elapsed_ms): told before the refresh-and-retry (the request log)
RefusedFn = Callable[[httpx.Request, httpx.Response, float], None]

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
        on_refused: RefusedFn | None = None,
    ) -> None:
        self.provider = provider
        self.refresh_margin_s = refresh_margin_s
        self._clock = clock
        self._lock = asyncio.Lock()
        self._cached: AccessToken | None = None
        self.refreshes = 0  #: tokens fetched so far (tests, diagnostics)
        #: called with (request, 401 response, elapsed_ms) before the refresh-and-retry; the client's transport
        #: sets it when none was given (its request log)
        self.on_refused: RefusedFn | None = on_refused

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
                except Exception:  # noqa: S110 - the log must not break the retry
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
                cur = await self.provider.get_token(force_refresh=True)
            elif cur is None or cur.expires_within(self.refresh_margin_s, now):
                cur = await self.provider.get_token(force_refresh=cur is not None)
            else:
                return cur.token
            self._cached = cur
            self.refreshes += 1
            return cur.token

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


def make_provider(
    kind: str,
    *,
    cache: TokenCacheStore,
    tenant_id: str | None = None,
    client_id: str | None = None,
    cloud: str | Cloud | None = "commercial",
    cert_path: str | Path | None = None,
    cert_thumbprint: str | None = None,
    on_prompt: PromptFn | None = None,
    scope: str | None = None,
    authority: str | None = None,
    managed_identity_client_id: str | None = None,
    token: str | None = None,
    client_secret: str | None = None,
    cert_passphrase: str | None = None,
    secret_prompt: Callable[[str], str] | None = None,
    http_client: Any = None,
    instance_discovery: bool | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> TokenProvider:
    """The token provider for an auth method name (see ``make_auth``). ``ssl_context`` verifies sign-in
    connections (msal's requests session is built from it, off the event loop) unless ``http_client`` is given."""
    k = normalize_kind(kind)
    if k == "token":
        return StaticToken(token)
    if k == "managed_identity":
        return ManagedIdentity(
            client_id=managed_identity_client_id, cloud=cloud, scope=scope, http_client=http_client,
            ssl_context=ssl_context,
        )  # fmt: skip
    if k == "azure_cli":
        return AzureCli(tenant_id=tenant_id, cloud=cloud, scope=scope)
    common: dict[str, Any] = dict(
        tenant_id=tenant_id, client_id=client_id, cloud=cloud, scope=scope, authority=authority, cache=cache,
        http_client=http_client, instance_discovery=instance_discovery, ssl_context=ssl_context,
    )  # fmt: skip
    if k == "client_secret":
        return ClientSecret(secret=client_secret, prompt=secret_prompt, **common)
    if k == "certificate":
        return Certificate(cert_path=cert_path, cert_thumbprint=cert_thumbprint, passphrase=cert_passphrase, **common)
    return DeviceCode(on_prompt=on_prompt, **common)


def make_auth(
    kind: str,
    *,
    token_cache: TokenCacheSettings,
    tenant_id: str | None = None,
    client_id: str | None = None,
    cloud: str | Cloud | None = "commercial",
    profile_name: str = "default",
    cert_path: str | Path | None = None,
    cert_thumbprint: str | None = None,
    scope: str | None = None,
    managed_identity_client_id: str | None = None,
    on_prompt: PromptFn | None = None,
    secret_prompt: Callable[[str], str] | None = None,
    client_secret: str | None = None,
    access_token: str | None = None,
    cert_passphrase: str | None = None,
    authority: str | None = None,
    refresh_margin_s: float = REFRESH_MARGIN_S,
    ssl_context: ssl.SSLContext | None = None,
) -> BearerAuth:
    """``BearerAuth`` for an auth method name (``token``, ``client_secret``, ``certificate``, ``device_code``,
    ``managed_identity``, ``azure_cli``) and the profile's settings. ``client_secret``, ``access_token`` and
    ``cert_passphrase`` come from the environment (never from the config file); ``token_cache`` says where
    this profile's tokens are kept; ``ssl_context`` (``lrtui.api.tls.make_ssl_context``) verifies sign-in the
    way the API client does (the OS trust store, a proxy's CA)."""
    provider = make_provider(
        kind,
        cache=TokenCacheStore(profile_name, token_cache),
        tenant_id=tenant_id,
        client_id=client_id,
        cloud=cloud,
        cert_path=cert_path,
        cert_thumbprint=cert_thumbprint,
        on_prompt=on_prompt,
        scope=scope,
        authority=authority,
        managed_identity_client_id=managed_identity_client_id,
        token=access_token,
        client_secret=client_secret,
        cert_passphrase=cert_passphrase,
        secret_prompt=secret_prompt,
        ssl_context=ssl_context,
    )
    return BearerAuth(provider, refresh_margin_s=refresh_margin_s)
