"""Shared msal plumbing for the msal-backed providers, and the translation of Entra errors into ``AuthError``.

msal and requests are imported only inside methods, which run in worker threads.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from lrtui.api.clouds import Cloud, get_cloud
from lrtui.api.errors import AuthError, ConfigError
from lrtui.api.providers.base import AccessToken, TokenProvider
from lrtui.api.redact import redact_text
from lrtui.api.tls import CA_HINT, is_verify_failure, msal_http_client, tls_hint
from lrtui.api.token_cache import TokenCacheStore

_AAD_HINTS = {
    "invalid_client": "The client secret or certificate is wrong or expired (or the app has none); check the app registration.",
    "unauthorized_client": "The app is not allowed this sign-in flow; for device code, enable 'Allow public client flows'.",
    "invalid_scope": "The scope is wrong for this cloud; set 'scope' in the profile.",
    "invalid_grant": "The sign-in expired or was revoked; run lrtui login again.",
    "authorization_pending": "The device code was not confirmed in time.",
    "expired_token": "The device code expired before it was confirmed; run lrtui login again.",
    "authorization_declined": "The sign-in was declined.",
}


def _tls_failure(e: BaseException) -> str:
    return "the certificate could not be verified" if is_verify_failure(e) else "the TLS handshake failed"


def msal_error(result: dict[str, Any] | None, what: str) -> AuthError:
    """The ``AuthError`` for an msal error answer, with a hint for the Entra errors people meet."""
    result = result or {}
    err = str(result.get("error") or "unknown_error")
    desc = str(result.get("error_description") or "").strip().splitlines()
    first = redact_text(desc[0])[:300] if desc else ""
    hint = _AAD_HINTS.get(err)
    if "AADSTS700016" in first:
        hint = "The client id is not known in this tenant; check client_id and tenant_id."
    elif "AADSTS90002" in first:
        hint = "The tenant was not found; check tenant_id and the cloud."
    elif "AADSTS7000215" in first:
        hint = "The client secret is wrong; use the secret's value, not its id."
    return AuthError(f"{what} failed: {err}{': ' + first if first else ''}", hint=hint)


class MsalProvider(TokenProvider):
    """Shared msal plumbing: lazy app construction off the loop, cache persistence, error translation."""

    def __init__(
        self,
        *,
        tenant_id: str | None,
        client_id: str | None,
        cloud: str | Cloud | None = "commercial",
        scope: str | None = None,
        authority: str | None = None,
        cache: TokenCacheStore,
        http_client: Any = None,
        instance_discovery: bool | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if not tenant_id:
            raise ConfigError(f"The {self.name} sign-in needs tenant_id in the profile.")
        if not client_id:
            raise ConfigError(f"The {self.name} sign-in needs client_id in the profile.")
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.cloud = get_cloud(cloud)
        self.scope = scope or self.cloud.scope
        self.authority = authority.rstrip("/") if authority else self.cloud.authority_url(tenant_id)
        self.cache = cache
        self.http_client = http_client
        #: verifies sign-in when no http_client is given (msal's requests session is built from it)
        self.ssl_context = ssl_context
        self.instance_discovery = instance_discovery
        self._app: Any = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(tenant_id={self.tenant_id!r}, client_id={self.client_id!r}, cloud={self.cloud.name!r})"

    @property
    def authority_host(self) -> str:
        return urlsplit(self.authority).netloc or self.authority

    def describe_cache(self) -> str:
        return self.cache.describe()

    # run in a worker thread ------------------------------------------------------------------------

    def _app_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {"authority": self.authority, "token_cache": self.cache.load()}
        if self.http_client is None and self.ssl_context is not None:
            self.http_client = msal_http_client(self.ssl_context)
        if self.http_client is not None:
            kw["http_client"] = self.http_client
        if self.instance_discovery is not None:
            kw["instance_discovery"] = self.instance_discovery
        return kw

    def _construct(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _ensure_app(self) -> Any:
        if self._app is None:
            self._app = self._guard(self._construct)
        return self._app

    def _guard(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """Call into msal; network failures become one AuthError naming the authority host."""
        import requests

        try:
            return fn(*args, **kw)
        except requests.exceptions.SSLError as e:
            raise AuthError(
                f"Cannot reach the sign-in authority (host {self.authority_host}): {_tls_failure(e)}.",
                hint=tls_hint(e) or CA_HINT,
            ) from e
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as e:
            raise AuthError(
                f"Cannot reach the sign-in authority (host {self.authority_host}).",
                hint=tls_hint(e)
                or "Check the network, the proxy (HTTPS_PROXY, NO_PROXY) and the cloud in the profile.",
            ) from e
        except requests.exceptions.RequestException as e:
            raise AuthError(
                f"Talking to the sign-in authority (host {self.authority_host}) failed: {type(e).__name__}."
            ) from e
        except ValueError as e:  # msal: "Unable to get authority configuration", a bad key, ...
            text = redact_text(str(e))[:200]
            if "authority" in text.lower() or "tenant" in text.lower():
                raise AuthError(f"The sign-in authority {self.authority} was refused: {text}") from e
            raise AuthError(f"Setting up the {self.name} sign-in failed: {text}") from e

    def _to_token(self, result: dict[str, Any] | None, what: str) -> AccessToken:
        if result and "access_token" in result:
            try:
                expires_in = float(result.get("expires_in", 3600))
            except (TypeError, ValueError):
                expires_in = 3600.0
            return AccessToken(result["access_token"], time.time() + expires_in, str(result.get("token_source", "")))
        raise msal_error(result, what)

    def _acquire_sync(self, force_refresh: bool) -> AccessToken:  # pragma: no cover - abstract
        raise NotImplementedError

    async def get_token(self, *, force_refresh: bool = False) -> AccessToken:
        async with self._lock:
            return await asyncio.to_thread(self._acquire_sync, force_refresh)
