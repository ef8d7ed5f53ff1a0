"""Bearer authentication for the MDE API: an ``httpx.Auth`` over pluggable token providers.

``BearerAuth`` caches the provider's token, refreshes it 5 minutes before expiry, and on a 401 refreshes once
and retries the request once. Providers: ``StaticToken`` (``LRTUI_ACCESS_TOKEN``), ``ClientSecret`` (secret
from ``LRTUI_CLIENT_SECRET`` or a prompt, never from the config file), ``Certificate`` (PEM + thumbprint),
``DeviceCode`` (the SSH-friendly delegated flow), ``ManagedIdentity`` and ``AzureCli``.

msal (and requests) are imported only inside provider methods, which run in worker threads
(``asyncio.to_thread``) under an ``asyncio.Lock``. Tokens and secrets are never logged or put in a repr.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, AsyncGenerator, Awaitable, Callable, Generator
from urllib.parse import urlsplit

import httpx

from lrtui.api.clouds import Cloud, get_cloud, scope_to_resource
from lrtui.api.errors import AuthError, ConfigError
from lrtui.api.redact import redact_text
from lrtui.api.token_cache import TokenCacheStore

#: Refresh this long before the token's expiry.
REFRESH_MARGIN_S = 300.0
ENV_TOKEN = "LRTUI_ACCESS_TOKEN"
ENV_SECRET = "LRTUI_CLIENT_SECRET"
ENV_CERT_PASSPHRASE = "LRTUI_CERT_PASSPHRASE"

#: on_prompt(verification_uri, user_code, message); may be sync or async
PromptFn = Callable[[str, str, str], "None | Awaitable[None]"]


@dataclass
class AccessToken:
    token: str = field(repr=False)
    expires_on: float  #: epoch seconds (``inf`` when unknown and not expiring)
    source: str = ""  #: e.g. msal's token_source: identity_provider / cache

    @property
    def expires_in(self) -> float:
        """Seconds of validity left (``inf`` when unknown)."""
        return self.expires_on - time.time()

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        return self.expires_on - seconds <= (time.time() if now is None else now)


# ---------------------------------------------------------------------------------------------- httpx.Auth


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer`` from a provider; refresh before expiry; one refresh and retry on 401."""

    requires_request_body = True  # the body is replayed when a 401 makes us retry

    def __init__(
        self,
        provider: "TokenProvider",
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


# ---------------------------------------------------------------------------------------------- providers


class TokenProvider:
    """Base: ``await get_token(force_refresh=...) -> AccessToken``."""

    name = "provider"

    async def get_token(self, *, force_refresh: bool = False) -> AccessToken:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:
        return self.name

    def describe_cache(self) -> str:
        return "No token cache (this sign-in method does not store tokens)."

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _jwt_exp(token: str) -> float | None:
    parts = token.split(".")
    if len(parts) < 2:
        return None
    try:
        pad = "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + pad))
        exp = claims.get("exp")
        return float(exp) if isinstance(exp, (int, float)) else None
    except Exception:
        return None


class StaticToken(TokenProvider):
    """A token given as is (``LRTUI_ACCESS_TOKEN``). It cannot be refreshed."""

    name = "token"

    def __init__(self, token: str | None = None) -> None:
        tok = token if token is not None else os.environ.get(ENV_TOKEN, "")
        tok = tok.strip()
        if tok.lower().startswith("bearer "):
            tok = tok[7:].strip()
        if not tok:
            raise AuthError(f"No access token: set {ENV_TOKEN}.")
        self._token = tok
        exp = _jwt_exp(tok)
        self._expires_on = exp if exp is not None else float("inf")

    async def get_token(self, *, force_refresh: bool = False) -> AccessToken:
        return AccessToken(self._token, self._expires_on, "static")

    def describe(self) -> str:
        return f"a fixed access token from {ENV_TOKEN}"


_AAD_HINTS = {
    "invalid_client": "The client secret or certificate is wrong or expired (or the app has none); check the app registration.",
    "unauthorized_client": "The app is not allowed this sign-in flow; for device code, enable 'Allow public client flows'.",
    "invalid_scope": "The scope is wrong for this cloud; set 'scope' in the profile.",
    "invalid_grant": "The sign-in expired or was revoked; run lrtui login again.",
    "authorization_pending": "The device code was not confirmed in time.",
    "expired_token": "The device code expired before it was confirmed; run lrtui login again.",
    "authorization_declined": "The sign-in was declined.",
}


def _msal_error(result: dict | None, what: str) -> AuthError:
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


class _MsalProvider(TokenProvider):
    """Shared msal plumbing: lazy app construction off the loop, cache persistence, error translation."""

    def __init__(
        self,
        *,
        tenant_id: str | None,
        client_id: str | None,
        cloud: str | Cloud | None = "commercial",
        scope: str | None = None,
        authority: str | None = None,
        profile_name: str = "default",
        cache: TokenCacheStore | None = None,
        http_client: Any = None,
        instance_discovery: bool | None = None,
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
        self.cache = cache if cache is not None else TokenCacheStore(profile_name)
        self.http_client = http_client
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
                f"Cannot reach the sign-in authority (host {self.authority_host}): TLS verification failed.",
                hint="A TLS-inspecting proxy needs its CA in REQUESTS_CA_BUNDLE.",
            ) from e
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as e:
            raise AuthError(
                f"Cannot reach the sign-in authority (host {self.authority_host}).",
                hint="Check the network, proxy settings (HTTPS_PROXY) and the cloud in the profile.",
            ) from e
        except requests.exceptions.RequestException as e:
            raise AuthError(f"Talking to the sign-in authority (host {self.authority_host}) failed: {type(e).__name__}.") from e
        except ValueError as e:  # msal: "Unable to get authority configuration", a bad key, ...
            text = redact_text(str(e))[:200]
            if "authority" in text.lower() or "tenant" in text.lower():
                raise AuthError(f"The sign-in authority {self.authority} was refused: {text}") from e
            raise AuthError(f"Setting up the {self.name} sign-in failed: {text}") from e

    def _to_token(self, result: dict | None, what: str) -> AccessToken:
        if result and "access_token" in result:
            try:
                expires_in = float(result.get("expires_in", 3600))
            except (TypeError, ValueError):
                expires_in = 3600.0
            return AccessToken(result["access_token"], time.time() + expires_in, str(result.get("token_source", "")))
        raise _msal_error(result, what)

    def _acquire_sync(self, force_refresh: bool) -> AccessToken:  # pragma: no cover - abstract
        raise NotImplementedError

    async def get_token(self, *, force_refresh: bool = False) -> AccessToken:
        async with self._lock:
            return await asyncio.to_thread(self._acquire_sync, force_refresh)


class ClientSecret(_MsalProvider):
    """App-only client credentials with a secret from ``LRTUI_CLIENT_SECRET`` or a prompt."""

    name = "client_secret"

    def __init__(self, *, secret: str | None = None, prompt: Callable[[str], str] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self._secret = secret
        self._prompt = prompt

    def describe(self) -> str:
        return f"client secret for app {self.client_id} in tenant {self.tenant_id}"

    def _get_secret(self) -> str:
        if self._secret:
            return self._secret
        env = os.environ.get(ENV_SECRET, "")
        if env:
            return env
        prompt = self._prompt
        if prompt is None and sys.stdin is not None and sys.stdin.isatty():
            import getpass

            prompt = getpass.getpass
        if prompt is None:
            raise AuthError(
                f"No client secret: set {ENV_SECRET} (it is never read from the config file).",
            )
        secret = prompt(f"Client secret for app {self.client_id}: ")
        if not secret:
            raise AuthError("No client secret was entered.")
        self._secret = secret
        return secret

    def _construct(self) -> Any:
        import msal

        return msal.ConfidentialClientApplication(self.client_id, client_credential=self._get_secret(), **self._app_kwargs())

    def _acquire_sync(self, force_refresh: bool) -> AccessToken:
        app = self._ensure_app()
        if force_refresh:
            app.remove_tokens_for_client()
        result = self._guard(app.acquire_token_for_client, scopes=[self.scope])
        self.cache.save()
        return self._to_token(result, "Client-secret sign-in")


class Certificate(_MsalProvider):
    """App-only client credentials with a certificate: a PEM holding the private key (and the certificate)."""

    name = "certificate"

    def __init__(self, *, cert_path: str | Path | None, cert_thumbprint: str | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        if not cert_path:
            raise ConfigError("The certificate sign-in needs cert_path (a PEM file with the private key).")
        self.cert_path = Path(cert_path).expanduser()
        self.cert_thumbprint = cert_thumbprint.replace(":", "").replace(" ", "").upper() if cert_thumbprint else None

    def describe(self) -> str:
        return f"certificate {self.cert_path} for app {self.client_id} in tenant {self.tenant_id}"

    def _credential(self) -> dict[str, Any]:
        try:
            pem = self.cert_path.read_bytes()
        except OSError as e:
            raise AuthError(f"Cannot read the certificate file {self.cert_path}: {e.strerror or e}.") from None
        if b"PRIVATE KEY" not in pem:
            raise AuthError(f"{self.cert_path} holds no PEM private key.")
        thumb = self.cert_thumbprint or _pem_thumbprint(pem)
        if not thumb:
            raise AuthError(
                f"No thumbprint for {self.cert_path}.", hint="Set cert_thumbprint, or put the certificate in the PEM too."
            )
        cred: dict[str, Any] = {"private_key": pem.decode("ascii", "replace"), "thumbprint": thumb}
        passphrase = os.environ.get(ENV_CERT_PASSPHRASE)
        if passphrase:
            cred["passphrase"] = passphrase
        return cred

    def _construct(self) -> Any:
        import msal

        return msal.ConfidentialClientApplication(self.client_id, client_credential=self._credential(), **self._app_kwargs())

    def _acquire_sync(self, force_refresh: bool) -> AccessToken:
        app = self._ensure_app()
        if force_refresh:
            app.remove_tokens_for_client()
        result = self._guard(app.acquire_token_for_client, scopes=[self.scope])
        self.cache.save()
        return self._to_token(result, "Certificate sign-in")


def _pem_thumbprint(pem: bytes) -> str | None:
    """SHA-1 thumbprint (hex, upper case) of the first certificate in a PEM, or None."""
    if b"BEGIN CERTIFICATE" not in pem:
        return None
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes

        start = pem.index(b"-----BEGIN CERTIFICATE-----")
        cert = x509.load_pem_x509_certificate(pem[start:])
        return cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - the thumbprint Entra uses
    except Exception:
        return None


class DeviceCode(_MsalProvider):
    """Delegated sign-in with a device code; later tokens come silently from the cached refresh token."""

    name = "device_code"

    def __init__(self, *, on_prompt: PromptFn | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.on_prompt = on_prompt
        self._flow: dict | None = None
        self.account: str | None = None

    def describe(self) -> str:
        who = f" as {self.account}" if self.account else ""
        return f"device code sign-in{who} (app {self.client_id}, tenant {self.tenant_id})"

    def _construct(self) -> Any:
        import msal

        return msal.PublicClientApplication(self.client_id, **self._app_kwargs())

    def _silent(self, force_refresh: bool) -> AccessToken | None:
        app = self._ensure_app()
        accounts = self._guard(app.get_accounts)
        for acc in accounts:
            result = self._guard(app.acquire_token_silent, [self.scope], account=acc, force_refresh=force_refresh)
            if result and "access_token" in result:
                self.account = acc.get("username") or self.account
                self.cache.save()
                return self._to_token(result, "Silent sign-in")
        return None

    def cancel(self) -> None:
        """Abort a device-code wait in progress (msal polls until ``expires_at``)."""
        if self._flow is not None:
            self._flow["expires_at"] = 0

    async def get_token(self, *, force_refresh: bool = False, interactive: bool = True) -> AccessToken:
        async with self._lock:
            tok = await asyncio.to_thread(self._silent, force_refresh)
            if tok is not None:
                return tok
            if not interactive or self.on_prompt is None:
                raise AuthError("Not signed in (or the sign-in expired).", hint="Run lrtui login for this profile.")
            app = await asyncio.to_thread(self._ensure_app)
            flow = await asyncio.to_thread(self._guard, app.initiate_device_flow, scopes=[self.scope])
            if "user_code" not in flow:
                raise _msal_error(flow, "Starting the device-code sign-in")
            self._flow = flow
            try:
                shown = self.on_prompt(flow.get("verification_uri", ""), flow["user_code"], flow.get("message", ""))
                if inspect.isawaitable(shown):
                    await shown
                result = await asyncio.to_thread(self._guard, app.acquire_token_by_device_flow, flow)
            except asyncio.CancelledError:
                flow["expires_at"] = 0  # the worker thread stops at its next poll
                raise
            finally:
                self._flow = None
            if flow.get("expires_at", 1) == 0 and "access_token" not in (result or {}):
                raise AuthError("The device-code sign-in was cancelled.")
            claims = (result or {}).get("id_token_claims") or {}
            self.account = claims.get("preferred_username") or self.account
            await asyncio.to_thread(self.cache.save)
            return self._to_token(result, "Device-code sign-in")

    async def login(self) -> AccessToken:
        """Sign in now (``lrtui login``): silently when a cached account works, else with a device code."""
        return await self.get_token()


class ManagedIdentity(TokenProvider):
    """A managed identity (Azure VM, App Service, Arc...), system- or user-assigned."""

    name = "managed_identity"

    def __init__(
        self,
        *,
        client_id: str | None = None,
        resource_id: str | None = None,
        object_id: str | None = None,
        cloud: str | Cloud | None = "commercial",
        scope: str | None = None,
        http_client: Any = None,
    ) -> None:
        self.client_id, self.resource_id, self.object_id = client_id, resource_id, object_id
        self.cloud = get_cloud(cloud)
        self.resource = scope_to_resource(scope or self.cloud.scope)
        self.http_client = http_client
        self._client: Any = None
        self._lock = asyncio.Lock()

    def describe(self) -> str:
        which = "user-assigned" if (self.client_id or self.resource_id or self.object_id) else "system-assigned"
        return f"{which} managed identity"

    def _acquire_sync(self) -> AccessToken:
        import msal
        import requests

        if self._client is None:
            if self.client_id or self.resource_id or self.object_id:
                mi: Any = msal.UserAssignedManagedIdentity(
                    client_id=self.client_id, resource_id=self.resource_id, object_id=self.object_id
                )
            else:
                mi = msal.SystemAssignedManagedIdentity()
            self._client = msal.ManagedIdentityClient(
                mi, http_client=self.http_client or requests.Session(), token_cache=msal.TokenCache()
            )
        try:
            result = self._client.acquire_token_for_client(resource=self.resource)
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as e:
            raise AuthError(
                "Cannot reach the managed identity endpoint.", hint="Managed identity works only on an Azure host with one assigned."
            ) from e
        except Exception as e:
            if type(e).__name__ == "ManagedIdentityError":
                raise AuthError(f"Managed identity sign-in failed: {redact_text(str(e))[:300]}") from e
            raise
        if result and "access_token" in result:
            expires_in = float(result.get("expires_in", 3600) or 3600)
            return AccessToken(result["access_token"], time.time() + expires_in, str(result.get("token_source", "")))
        raise _msal_error(result, "Managed identity sign-in")

    async def get_token(self, *, force_refresh: bool = False) -> AccessToken:
        async with self._lock:
            if force_refresh:
                self._client = None  # a fresh client has an empty cache
            return await asyncio.to_thread(self._acquire_sync)


class AzureCli(TokenProvider):
    """``az account get-access-token`` (the user signed in with ``az login``)."""

    name = "azure_cli"

    def __init__(
        self,
        *,
        tenant_id: str | None = None,
        cloud: str | Cloud | None = "commercial",
        scope: str | None = None,
        az: str | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        self.tenant_id = tenant_id
        self.cloud = get_cloud(cloud)
        self.resource = scope_to_resource(scope or self.cloud.scope)
        self.az = az
        self.timeout_s = timeout_s
        self._lock = asyncio.Lock()

    def describe(self) -> str:
        return "Azure CLI (az login)"

    async def get_token(self, *, force_refresh: bool = False) -> AccessToken:
        async with self._lock:
            exe = self.az or shutil.which("az") or shutil.which("az.cmd")
            if not exe:
                raise AuthError("The Azure CLI (az) was not found.", hint="Install it and run az login, or pick another auth method.")
            args = [exe, "account", "get-access-token", "--resource", self.resource, "-o", "json"]
            if self.tenant_id:
                args += ["--tenant", self.tenant_id]
            try:
                proc = await asyncio.create_subprocess_exec(
                    *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
                )
            except OSError as e:
                raise AuthError(f"Cannot run the Azure CLI: {e.strerror or e}.") from None
            try:
                out, err = await asyncio.wait_for(proc.communicate(), self.timeout_s)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()
                raise AuthError(f"az account get-access-token did not answer within {self.timeout_s:.0f} s.") from None
            if proc.returncode != 0:
                lines = [ln for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()]
                first = redact_text(lines[0])[:300] if lines else f"exit code {proc.returncode}"
                raise AuthError(f"az account get-access-token failed: {first}", hint="Run az login (with the right tenant).")
            try:
                data = json.loads(out.decode("utf-8-sig"))
                token = data["accessToken"]
            except (ValueError, KeyError, TypeError):
                raise AuthError("az account get-access-token printed no token.") from None
            return AccessToken(token, _az_expiry(data, token), "azure_cli")


def _az_expiry(data: dict, token: str) -> float:
    v = data.get("expires_on")
    if isinstance(v, (int, float)) or (isinstance(v, str) and v.isdigit()):
        return float(v)
    s = data.get("expiresOn")
    if isinstance(s, str):
        try:
            return datetime.fromisoformat(s.strip()).timestamp()  # local time, as az prints it
        except ValueError:
            pass
    exp = _jwt_exp(token)
    return exp if exp is not None else time.time() + 300.0


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
