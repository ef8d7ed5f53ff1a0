"""One TLS trust for httpx and msal: the OS trust store, a CA file, and what a verify failure tells the user.

The helpers at the top (a self-signed CA made with ``cryptography``, a small https server on loopback) are also
used by ``tests/cli/test_proxy.py``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from lrtui.api.errors import ConfigError
from lrtui.api.tls import CA_HINT, TlsSettings, make_ssl_context, msal_http_client, tls_hint
from lrtui.settings import Profile, Settings, load_settings

# ------------------------------------------------------------------ helpers (shared with tests/cli/test_proxy.py)


def self_signed(folder: Path, name: str = "ca") -> tuple[Path, Path]:
    """A self-signed CA certificate for 127.0.0.1 and localhost: (cert.pem, key.pem) in ``folder``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"lrtui test {name}")])
    now = dt.datetime.now(dt.UTC)
    san = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / f"{name}-cert.pem", folder / f"{name}-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@dataclass
class HttpsStub:
    """What the loopback https server saw; ``base`` is its URL."""

    base: str = ""
    requests: list[tuple[str, str, str]] = field(default_factory=list)  #: (method, path, authorization)


def _handler(stub: HttpsStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

        def _json(self, status: int, obj: object) -> None:
            raw = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            stub.requests.append(("GET", self.path, self.headers.get("Authorization", "")))
            if self.path.startswith("/api/machines"):
                return self._json(200, {"value": []})
            if self.path.endswith("/v2.0/.well-known/openid-configuration"):  # an Entra authority, for msal
                b = f"{stub.base}/{self.path.strip('/').split('/')[0]}"
                return self._json(200, {
                    "token_endpoint": f"{b}/oauth2/v2.0/token", "authorization_endpoint": f"{b}/oauth2/v2.0/authorize",
                    "device_authorization_endpoint": f"{b}/oauth2/v2.0/devicecode", "issuer": f"{b}/v2.0",
                })  # fmt: skip
            self._json(404, {"error": {"code": "NotFound", "message": "not here"}})

        def do_POST(self) -> None:
            n = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(n).decode()).items()}
            stub.requests.append(("POST", self.path, ""))
            if self.path.endswith("/oauth2/v2.0/token") and form.get("client_secret") == "s3cret":
                return self._json(200, {"token_type": "Bearer", "expires_in": 3599, "access_token": "stub-token"})
            self._json(401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret"})

    return Handler


@contextmanager
def https_server(cert: Path, key: Path) -> Iterator[HttpsStub]:
    """An https server on a free loopback port with ``cert``: the API's /api/machines and an Entra authority."""
    stub = HttpsStub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    stub.base = f"https://127.0.0.1:{server.server_address[1]}"
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """The server's CA (``cert``, ``key``) and an unrelated CA (``other``) nobody signs with."""
    folder = tmp_path_factory.mktemp("pki")
    cert, key = self_signed(folder, "server")
    other, _ = self_signed(folder, "other")
    return cert, key, other


@pytest.fixture(scope="module")
def server(pki):
    with https_server(pki[0], pki[1]) as stub:
        yield stub


@pytest.fixture(autouse=True)
def _no_tls_environment(monkeypatch):
    for var in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_DIR"):
        monkeypatch.delenv(var, raising=False)
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


# ------------------------------------------------------------------ the context


def test_the_os_trust_store_is_used_when_truststore_is_installed():
    truststore = pytest.importorskip("truststore")
    assert isinstance(make_ssl_context(None, use_truststore=True), truststore.SSLContext)
    plain = make_ssl_context(None, use_truststore=False)
    assert not isinstance(plain, truststore.SSLContext)
    assert plain.verify_mode == ssl.CERT_REQUIRED and plain.check_hostname


@pytest.mark.parametrize("use_truststore", [True, False])
async def test_the_ca_file_is_trusted_and_nothing_else_new(pki, server, use_truststore):
    cert, _, other = pki
    url = f"{server.base}/api/machines"
    async with httpx.AsyncClient(verify=make_ssl_context(cert, use_truststore=use_truststore)) as c:
        assert (await c.get(url)).json() == {"value": []}
    async with httpx.AsyncClient(verify=make_ssl_context(other, use_truststore=use_truststore)) as c:
        with pytest.raises(httpx.ConnectError) as ei:
            await c.get(url)
    assert tls_hint(ei.value) == CA_HINT


def test_a_ca_file_that_cannot_be_used_is_named(tmp_path):
    with pytest.raises(ConfigError) as ei:
        make_ssl_context(tmp_path / "nope.pem", use_truststore=False, source="SSL_CERT_FILE")
    assert str(tmp_path / "nope.pem") in ei.value.message and "(SSL_CERT_FILE)" in ei.value.message
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    with pytest.raises(ConfigError) as ei:
        make_ssl_context(junk, use_truststore=False, source="ca_bundle of profile p")
    assert "cannot be used" in ei.value.message and "PEM" in ei.value.hint


def test_msal_session_verifies_with_the_context_whatever_requests_is_told(pki, server, monkeypatch):
    """msal talks through requests: verify=False and REQUESTS_CA_BUNDLE (read by requests when trust_env is on)
    cannot loosen or replace the one context."""
    import requests

    cert, _, other = pki
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other))
    good = msal_http_client(make_ssl_context(cert, use_truststore=False))
    assert good.trust_env  # HTTPS_PROXY and NO_PROXY keep working for sign-in
    assert good.get(f"{server.base}/api/machines", timeout=10).json() == {"value": []}
    bad = msal_http_client(make_ssl_context(other, use_truststore=False))
    bad.verify = False
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    with pytest.raises(requests.exceptions.SSLError) as ei:
        bad.get(f"{server.base}/api/machines", timeout=10)
    assert tls_hint(ei.value) == CA_HINT


def test_tls_hint_is_silent_for_other_failures():
    assert tls_hint(ConnectionRefusedError(111, "Connection refused")) is None


# ------------------------------------------------------------------ settings: where the CA file comes from


def _settings(monkeypatch, profile: Profile, **env: str) -> TlsSettings:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return Settings(profile=profile).tls_settings()


def test_ca_bundle_then_ssl_cert_file_then_requests_ca_bundle(monkeypatch, tmp_path):
    a, b, c = (str(tmp_path / n) for n in "abc")
    t = _settings(monkeypatch, Profile(name="p", ca_bundle=a), SSL_CERT_FILE=b, REQUESTS_CA_BUNDLE=c)
    assert (t.ca_bundle, t.source) == (Path(a), "ca_bundle of profile p or LRTUI_CA_BUNDLE")
    t = _settings(monkeypatch, Profile(name="p"))
    assert (t.ca_bundle, t.source) == (Path(b), "SSL_CERT_FILE")
    monkeypatch.delenv("SSL_CERT_FILE")
    t = _settings(monkeypatch, Profile(name="p"))
    assert (t.ca_bundle, t.source, t.use_truststore) == (Path(c), "REQUESTS_CA_BUNDLE", True)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    assert _settings(monkeypatch, Profile(name="p"), LRTUI_TRUSTSTORE="0") == TlsSettings(use_truststore=False)


def test_the_profile_key_the_variable_and_a_missing_file(monkeypatch, tmp_path, pki):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[profiles.corp]\ntenant_id = "t"\nca_bundle = "{pki[0]}"\n')
    assert load_settings(config_path=cfg).tls_settings().ca_bundle == pki[0]
    monkeypatch.setenv("LRTUI_CA_BUNDLE", str(pki[2]))
    assert load_settings(config_path=cfg).tls_settings().ca_bundle == pki[2]
    monkeypatch.delenv("LRTUI_CA_BUNDLE")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "gone.pem"))
    cfg.write_text('[profiles.corp]\ntenant_id = "t"\n')
    with pytest.raises(ConfigError) as ei:
        load_settings(config_path=cfg)
    assert (
        ei.value.message == f"The CA file {tmp_path / 'gone.pem'} (REQUESTS_CA_BUNDLE) does not exist or is not a file."
    )
    assert load_settings(config_path=cfg, demo=True).demo  # the demo tenant needs no CA
