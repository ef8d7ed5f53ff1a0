"""Auth: BearerAuth refresh rules, and the real msal flows against a local https identity-provider stub."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ipaddress
import json
import os
import ssl
import stat
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from lrtui.api import errors as E
from lrtui.api.auth import (
    AccessToken,
    AzureCli,
    BearerAuth,
    Certificate,
    ClientSecret,
    DeviceCode,
    StaticToken,
    TokenProvider,
    make_auth,
)
from lrtui.api.token_cache import TokenCacheSettings, TokenCacheStore, describe_cache

from .conftest import MID

TENANT = "11111111-aaaa-bbbb-cccc-222222222222"
CLIENT = "33333333-dddd-eeee-ffff-444444444444"


def cache_settings(mode="auto") -> TokenCacheSettings:
    """What the settings layer gives the API: the cache folder under LRTUI_HOME, and LRTUI_TOKEN_CACHE's mode."""
    return TokenCacheSettings(Path(os.environ["LRTUI_HOME"]) / "cache", mode)


def plain_cache(profile: str) -> TokenCacheStore:
    return TokenCacheStore(profile, cache_settings("plain"))


# ------------------------------------------------------------------ BearerAuth with a fake provider


class CountingProvider(TokenProvider):
    def __init__(self, clock, ttl=3600.0):
        self.calls: list[bool] = []
        self.clock = clock
        self.ttl = ttl

    async def get_token(self, *, force_refresh=False):
        self.calls.append(force_refresh)
        return AccessToken(f"tok{len(self.calls)}", self.clock() + self.ttl)


def make_api(valid: set[str], seen: list[str]):
    def handler(req):
        tok = req.headers.get("authorization", "")
        seen.append(tok)
        if tok.removeprefix("Bearer ") in valid:
            return httpx.Response(200, json={"id": MID})
        return httpx.Response(401, json={"error": {"code": "Unauthorized", "message": "expired"}})

    return handler


async def test_token_cached_and_refreshed_before_expiry():
    now = [1000.0]
    prov = CountingProvider(lambda: now[0])
    auth = BearerAuth(prov, clock=lambda: now[0])
    seen: list[str] = []
    async with httpx.AsyncClient(auth=auth, transport=httpx.MockTransport(make_api({"tok1", "tok2"}, seen))) as c:
        await c.get("https://h/api/machines/x")
        await c.get("https://h/api/machines/x")
        assert prov.calls == [False]
        now[0] += 3600 - 301  # still more than 5 minutes left
        await c.get("https://h/api/machines/x")
        assert prov.calls == [False]
        now[0] += 2  # now within 5 minutes of expiry: refreshed before use
        await c.get("https://h/api/machines/x")
        assert prov.calls == [False, True]
    assert seen == ["Bearer tok1", "Bearer tok1", "Bearer tok1", "Bearer tok2"]


async def test_401_refreshes_once_and_retries_once():
    now = [0.0]
    prov = CountingProvider(lambda: now[0])
    seen: list[str] = []
    async with httpx.AsyncClient(
        auth=BearerAuth(prov, clock=lambda: now[0]), transport=httpx.MockTransport(make_api({"tok2"}, seen))
    ) as c:
        r = await c.get("https://h/api/machines/x")
    assert r.status_code == 200
    assert seen == ["Bearer tok1", "Bearer tok2"]
    assert prov.calls == [False, True]


async def test_persistent_401_gives_unauthorized_after_one_retry(h):
    now = [0.0]
    prov = CountingProvider(lambda: now[0])
    seen: list[str] = []
    c = h.client(make_api(set(), seen), auth=BearerAuth(prov, clock=lambda: now[0]))
    with pytest.raises(E.Unauthorized) as ei:
        await c.machines.get(MID)
    assert seen == ["Bearer tok1", "Bearer tok2"]
    assert prov.calls == [False, True]
    assert "lrtui login" in ei.value.hint


async def test_401_on_post_is_replayed_with_the_same_body():
    now = [0.0]
    prov = CountingProvider(lambda: now[0])
    bodies = []

    def handler(req):
        bodies.append(req.content)
        if req.headers["authorization"] == "Bearer tok2":
            return httpx.Response(201, json={"id": "x"})
        return httpx.Response(401)

    async with httpx.AsyncClient(
        auth=BearerAuth(prov, clock=lambda: now[0]), transport=httpx.MockTransport(handler)
    ) as c:
        r = await c.post("https://h/api/machines/m/runliveresponse", json={"Comment": "c", "Commands": []})
    assert r.status_code == 201
    assert bodies == [b'{"Comment":"c","Commands":[]}'] * 2


async def test_concurrent_requests_share_one_refresh():
    now = [0.0]
    prov = CountingProvider(lambda: now[0])
    seen: list[str] = []
    async with httpx.AsyncClient(
        auth=BearerAuth(prov, clock=lambda: now[0]), transport=httpx.MockTransport(make_api({"tok1"}, seen))
    ) as c:
        await asyncio.gather(*(c.get("https://h/x") for _ in range(10)))
    assert prov.calls == [False]


def test_sync_flow_refused():
    auth = BearerAuth(StaticToken("t"))
    with pytest.raises(RuntimeError, match="AsyncClient only"):
        with httpx.Client(auth=auth, transport=httpx.MockTransport(lambda r: httpx.Response(200))) as c:
            c.get("https://h/")


async def test_static_token_from_env_and_jwt_expiry():
    payload = base64.urlsafe_b64encode(json.dumps({"exp": 1_900_000_000}).encode()).rstrip(b"=").decode()
    tok = await StaticToken(f"Bearer eyJhbGciOiJub25lIn0.{payload}.sig").get_token()
    assert tok.token == f"eyJhbGciOiJub25lIn0.{payload}.sig" and tok.expires_on == 1_900_000_000.0
    assert "eyJ" not in repr(tok)
    assert (await StaticToken("demo-token").get_token()).expires_on == float("inf")
    with pytest.raises(E.AuthError, match="LRTUI_ACCESS_TOKEN"):
        StaticToken()


def test_make_auth_kinds():
    tc = cache_settings()
    assert isinstance(make_auth("token", access_token="t", token_cache=tc).provider, StaticToken)
    kw = dict(tenant_id=TENANT, client_id=CLIENT, cloud="commercial", profile_name="p", token_cache=tc)
    assert isinstance(make_auth("client_secret", **kw).provider, ClientSecret)
    assert isinstance(make_auth("device-code", **kw, on_prompt=lambda *a: None).provider, DeviceCode)
    assert isinstance(make_auth("certificate", **kw, cert_path="/x.pem", cert_thumbprint="AB").provider, Certificate)
    assert isinstance(make_auth("az", tenant_id=TENANT, token_cache=tc).provider, AzureCli)
    assert make_auth("managed_identity", token_cache=tc).provider.describe() == "system-assigned managed identity"
    with pytest.raises(E.ConfigError, match="Unknown auth method"):
        make_auth("password", token_cache=tc)
    with pytest.raises(E.ConfigError, match="tenant_id"):
        make_auth("client_secret", client_id=CLIENT, token_cache=tc)
    # the profile's settings carry no secret: none is used unless the caller passes one (from the environment)
    auth = make_auth("client_secret", tenant_id=TENANT, client_id=CLIENT, token_cache=tc)
    assert auth.provider._secret is None
    gov = make_auth("client_secret", **{**kw, "cloud": "gcc-high"}).provider
    assert gov.scope == "https://securitycenter.onmicrosoft.us/windowsatpservice/.default"
    assert gov.authority == f"https://login.microsoftonline.us/{TENANT}"


async def test_client_secret_needs_env_or_prompt(monkeypatch):
    monkeypatch.setattr(sys, "stdin", None)
    prov = ClientSecret(tenant_id=TENANT, client_id=CLIENT, cache=plain_cache("p"))
    with pytest.raises(E.AuthError, match="set LRTUI_CLIENT_SECRET"):
        prov._get_secret()
    prov = ClientSecret(secret="envsecret", tenant_id=TENANT, client_id=CLIENT, cache=plain_cache("p"))
    assert prov._get_secret() == "envsecret"
    asked = []
    prov2 = ClientSecret(
        tenant_id=TENANT, client_id=CLIENT, cache=plain_cache("p"), prompt=lambda text: asked.append(text) or "typed"
    )
    assert prov2._get_secret() == "typed" and asked == [f"Client secret for app {CLIENT}: "]
    assert "typed" not in repr(prov2)


# ------------------------------------------------------------------ token cache


def test_token_cache_file_mode_0600(tmp_path):
    store = plain_cache("p1")
    cache = store.load()
    assert store.kind == "plain"
    cache.add({"client_id": CLIENT, "scope": ["s/.default"], "token_endpoint": "https://login.microsoftonline.com/t/oauth2/v2.0/token",
               "response": {"access_token": "AT", "expires_in": 3600, "token_type": "Bearer"}})  # fmt: skip
    store.save()
    mode = stat.S_IMODE(store.path.stat().st_mode)
    assert mode == 0o600, oct(mode)
    assert store.path == Path(os.environ["LRTUI_HOME"]) / "cache" / "tokens-p1.bin"
    assert "AT" in store.path.read_text()
    assert store.describe() == f"Tokens are cached at {store.path}: plain file, mode 0600."
    # reload from disk; a loosened file is tightened again
    os.chmod(store.path, 0o644)
    again = plain_cache("p1")
    again.load()
    assert stat.S_IMODE(again.path.stat().st_mode) == 0o600
    assert "AT" in again.load().serialize()


def test_describe_cache_says_which():
    text = describe_cache("p2", cache_settings())
    assert text.startswith("Tokens are cached at ")
    assert ("encrypted" in text) or ("plain file, mode 0600" in text)


# ------------------------------------------------------------------ msal against a local https stub


def _self_signed(tmp: Path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp / "cert.pem").write_bytes(cert_pem)
    (tmp / "key.pem").write_bytes(key_pem)
    (tmp / "both.pem").write_bytes(key_pem + cert_pem)
    thumb = cert.fingerprint(hashes.SHA1()).hex().upper()
    return tmp / "cert.pem", tmp / "key.pem", tmp / "both.pem", thumb


class Stub:
    def __init__(self):
        self.token_posts: list[dict] = []
        self.issued = 0
        self.base = ""


@pytest.fixture(scope="module")
def idp(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("idp")
    cert, key, both, thumb = _self_signed(tmp)
    stub = Stub()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def _json(self, status, obj):
            raw = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self):
            tenant = self.path.strip("/").split("/")[0]
            if self.path.endswith("/v2.0/.well-known/openid-configuration"):
                b = f"{stub.base}/{tenant}"
                return self._json(200, {
                    "token_endpoint": f"{b}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{b}/oauth2/v2.0/authorize",
                    "device_authorization_endpoint": f"{b}/oauth2/v2.0/devicecode",
                    "issuer": f"{b}/v2.0",
                })  # fmt: skip
            self._json(404, {"error": "not_found"})

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(n).decode()).items()}
            if self.path.endswith("/oauth2/v2.0/devicecode"):
                return self._json(200, {
                    "device_code": "DEVCODE", "user_code": "ABCD-EFGH", "verification_uri": "https://microsoft.com/devicelogin",
                    "expires_in": 900, "interval": 1, "message": "To sign in, use a browser to open the page and enter ABCD-EFGH.",
                })  # fmt: skip
            if self.path.endswith("/oauth2/v2.0/token"):
                stub.token_posts.append(form)
                if form.get("grant_type") == "client_credentials":
                    ok = form.get("client_secret") == "s3cret" or (
                        form.get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                        and form.get("client_assertion", "").count(".") == 2
                    )
                    if not ok:
                        return self._json(
                            401,
                            {
                                "error": "invalid_client",
                                "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x",
                            },
                        )
                    stub.issued += 1
                    return self._json(
                        200, {"token_type": "Bearer", "expires_in": 3599, "access_token": f"stub-token-{stub.issued}"}
                    )
                return self._json(400, {"error": "authorization_pending", "error_description": "pending"})
            self._json(404, {"error": "not_found"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    stub.base = f"https://127.0.0.1:{server.server_address[1]}"
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    stub.cert, stub.both, stub.thumb = cert, both, thumb
    yield stub
    server.shutdown()
    server.server_close()


def _session(stub):
    import requests

    s = requests.Session()
    s.verify = str(stub.cert)
    s.trust_env = False  # otherwise REQUESTS_CA_BUNDLE silently overrides verify
    return s


def _kw(stub, tenant=TENANT, **extra):
    return dict(
        tenant_id=tenant,
        client_id=CLIENT,
        authority=f"{stub.base}/{tenant}",
        instance_discovery=False,
        http_client=_session(stub),
        cache=plain_cache("stub"),
        **extra,
    )


async def test_msal_client_secret_against_stub(idp):
    before = len(idp.token_posts)
    prov = ClientSecret(secret="s3cret", **_kw(idp))
    t1 = await prov.get_token()
    t2 = await prov.get_token()
    assert t1.source == "identity_provider" and t2.source == "cache"
    assert t1.token == t2.token and t1.token.startswith("stub-token-")
    assert 3500 < t1.expires_on - time.time() <= 3600
    (post,) = idp.token_posts[before:]
    assert post["grant_type"] == "client_credentials" and post["client_id"] == CLIENT
    assert post["scope"] == "https://api.securitycenter.microsoft.com/.default"
    t3 = await prov.get_token(force_refresh=True)
    assert t3.source == "identity_provider" and t3.token != t1.token
    path = prov.cache.path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "s3cret" not in path.read_text()  # the secret is never persisted


async def test_msal_bad_secret_is_an_auth_error(idp):
    prov = ClientSecret(secret="wrong", **_kw(idp))
    with pytest.raises(E.AuthError) as ei:
        await prov.get_token()
    assert ei.value.message.startswith("Client-secret sign-in failed: invalid_client: AADSTS7000215")
    assert "secret's value" in ei.value.hint


async def test_msal_certificate_against_stub(idp):
    prov = Certificate(cert_path=idp.both, cert_thumbprint=None, **_kw(idp, tenant="certtenant"))
    tok = await prov.get_token()
    assert tok.source == "identity_provider"
    post = idp.token_posts[-1]
    assert post["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    header = json.loads(base64.urlsafe_b64decode(post["client_assertion"].split(".")[0] + "=="))
    assert base64.urlsafe_b64decode(header["x5t"] + "==").hex().upper() == idp.thumb  # thumbprint from the PEM
    assert "client_secret" not in post


async def test_msal_unreachable_authority():
    import requests

    s = requests.Session()
    s.trust_env = False
    prov = ClientSecret(secret="x", tenant_id=TENANT, client_id=CLIENT, authority=f"https://127.0.0.1:9/{TENANT}",
                        instance_discovery=False, http_client=s, cache=plain_cache("off"))  # fmt: skip
    with pytest.raises(E.AuthError) as ei:
        await prov.get_token()
    assert ei.value.message.lower() == "cannot reach the sign-in authority (host 127.0.0.1:9)."


async def test_device_code_prompt_and_abort(idp):
    prompts = []
    prov = DeviceCode(on_prompt=lambda uri, code, msg: prompts.append((uri, code, msg)), **_kw(idp, tenant="dev"))
    task = asyncio.create_task(prov.get_token())
    for _ in range(200):
        if prompts:
            break
        await asyncio.sleep(0.02)
    assert prompts == [
        (
            "https://microsoft.com/devicelogin",
            "ABCD-EFGH",
            "To sign in, use a browser to open the page and enter ABCD-EFGH.",
        )
    ]
    t0 = time.monotonic()
    prov.cancel()  # sets flow["expires_at"] = 0
    with pytest.raises(E.AuthError, match="cancelled"):
        await asyncio.wait_for(task, 5)
    assert time.monotonic() - t0 < 3.0
    assert any(p.get("device_code") == "DEVCODE" for p in idp.token_posts)


async def test_device_code_task_cancel_stops_the_thread(idp):
    prompts = []
    prov = DeviceCode(on_prompt=lambda *a: prompts.append(a), **_kw(idp, tenant="dev2"))
    task = asyncio.create_task(prov.get_token())
    for _ in range(200):
        if prompts:
            break
        await asyncio.sleep(0.02)
    flow_holder = prov._flow
    assert flow_holder is not None
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert flow_holder["expires_at"] == 0


async def test_device_code_without_prompt_says_login(idp):
    prov = DeviceCode(on_prompt=None, **_kw(idp, tenant="dev3"))
    with pytest.raises(E.AuthError, match="Not signed in"):
        await prov.get_token()


# ------------------------------------------------------------------ Azure CLI


def _fake_az(tmp_path: Path, body: str, rc: int = 0, stderr: str = "") -> Path:
    az = tmp_path / "az"
    args_file = tmp_path / "args.txt"
    az.write_text(
        f"#!/bin/sh\necho \"$@\" > {args_file}\nprintf '%s' '{stderr}' >&2\nprintf '%s' '{body}'\nexit {rc}\n"
    )
    az.chmod(0o755)
    return az


async def test_azure_cli(tmp_path):
    az = _fake_az(tmp_path, json.dumps({"accessToken": "az-token", "expires_on": 1_900_000_000, "tokenType": "Bearer"}))
    prov = AzureCli(tenant_id=TENANT, az=str(az))
    tok = await prov.get_token()
    assert (tok.token, tok.expires_on) == ("az-token", 1_900_000_000.0)
    args = (tmp_path / "args.txt").read_text().split()
    assert args == [
        "account",
        "get-access-token",
        "--resource",
        "https://api.securitycenter.microsoft.com",
        "-o",
        "json",
        "--tenant",
        TENANT,
    ]


async def test_azure_cli_failure(tmp_path, monkeypatch):
    az = _fake_az(tmp_path, "", rc=1, stderr="ERROR: Please run az login to setup account.")
    with pytest.raises(E.AuthError) as ei:
        await AzureCli(az=str(az)).get_token()
    assert ei.value.message == "az account get-access-token failed: ERROR: Please run az login to setup account."
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(E.AuthError, match=r"The Azure CLI \(az\) was not found"):
        await AzureCli().get_token()


async def test_refused_attempt_is_in_the_request_log(h):
    now = [0.0]
    prov = CountingProvider(lambda: now[0])
    seen: list[str] = []
    c = h.client(make_api({"tok2"}, seen), auth=BearerAuth(prov, clock=lambda: now[0]))
    await c.machines.get(MID)
    assert [(r.status, r.error) for r in h.records] == [(401, "Unauthorized (token refreshed)"), (200, None)]
    assert all("tok" not in r.url for r in h.records)


# ------------------------------------------------------------------ managed identity (App Service endpoint)


@pytest.fixture
def msi_stub():
    calls = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            calls.append((self.path, self.headers.get("X-IDENTITY-HEADER")))
            raw = json.dumps({"access_token": f"mi-token-{len(calls)}", "expires_on": str(int(time.time()) + 3600),
                              "resource": "https://api.securitycenter.microsoft.com", "token_type": "Bearer"}).encode()  # fmt: skip
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/msi/token", calls
    server.shutdown()
    server.server_close()


async def test_managed_identity_app_service(msi_stub, monkeypatch):
    import requests

    from lrtui.api.auth import ManagedIdentity

    url, calls = msi_stub
    monkeypatch.setenv("IDENTITY_ENDPOINT", url)
    monkeypatch.setenv("IDENTITY_HEADER", "hdr-secret")
    s = requests.Session()
    s.trust_env = False
    prov = ManagedIdentity(client_id="55555555-0000-0000-0000-000000000000", http_client=s)
    tok = await prov.get_token()
    assert tok.token == "mi-token-1" and 3500 < tok.expires_on - time.time() <= 3600
    tok2 = await prov.get_token()
    assert tok2.token == "mi-token-1"  # from msal's cache
    ((path, header),) = calls
    assert header == "hdr-secret"
    assert "resource=https%3A%2F%2Fapi.securitycenter.microsoft.com" in path
    assert "client_id=55555555-0000-0000-0000-000000000000" in path
    assert (await prov.get_token(force_refresh=True)).token == "mi-token-2"


async def test_bare_provider_is_wrapped_and_get_token_for_login(h):
    seen: list[str] = []
    c = h.client(make_api({"demo-token"}, seen), auth=StaticToken("demo-token"))  # type: ignore[arg-type]
    assert isinstance(c.transport.auth, BearerAuth)
    await c.machines.get(MID)
    assert seen == ["Bearer demo-token"]
    tok = await c.transport.auth.get_token()
    assert tok.token == "demo-token" and tok.expires_in == float("inf")


async def test_certificate_file_problems(idp, tmp_path):
    with pytest.raises(E.AuthError, match="Cannot read the certificate file"):
        await Certificate(cert_path=tmp_path / "missing.pem", **_kw(idp, tenant="c1")).get_token()
    only_cert = tmp_path / "only-cert.pem"
    only_cert.write_bytes(idp.cert.read_bytes())
    with pytest.raises(E.AuthError, match="holds no PEM private key"):
        await Certificate(cert_path=only_cert, **_kw(idp, tenant="c2")).get_token()
    key_only = tmp_path / "key-only.pem"
    key_only.write_bytes(idp.both.read_bytes().split(b"-----BEGIN CERTIFICATE-----")[0])
    with pytest.raises(E.AuthError, match="No thumbprint"):
        await Certificate(cert_path=key_only, **_kw(idp, tenant="c3")).get_token()
