"""Corporate networks: HTTPS_PROXY / NO_PROXY and a TLS-inspecting proxy's CA, for API calls and sign-in.

A real CONNECT proxy (asyncio, loopback, counts its tunnels) in front of a real https server whose certificate
only the test's CA file vouches for. The runtime is built by ``lrtui.cli.compose`` from the settings, as the
CLI and the TUI build it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from lrtui.api.auth import ClientSecret, StaticToken, make_provider
from lrtui.api.client import MdeClient
from lrtui.api.errors import AuthError, ConnectionFailed
from lrtui.api.tls import CA_HINT, tls_hint
from lrtui.api.token_cache import TokenCacheSettings, TokenCacheStore
from lrtui.cli.compose import build_runtime
from lrtui.settings import load_settings

from ..unit.test_tls import https_server, self_signed

PROXY_VARS = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
)


class ConnectProxy:
    """An HTTP CONNECT proxy on 127.0.0.1 that records each tunnel's target (``host:port``)."""

    def __init__(self) -> None:
        self.tunnels: list[str] = []
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
        if method != "CONNECT":
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            writer.close()
            return
        host, port = target.rsplit(":", 1)
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        self.tunnels.append(target)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        self._ready.set()
        self._loop.run_forever()
        server.close()
        tasks = asyncio.all_tasks(self._loop)
        for t in tasks:
            t.cancel()
        self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        self._loop.close()

    @contextmanager
    def running(self) -> Iterator[ConnectProxy]:
        self._thread.start()
        self._ready.wait(10)
        try:
            yield self
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)


@pytest.fixture(scope="module")
def corp(tmp_path_factory):
    """(CA file, https server) where only the CA file vouches for the server."""
    cert, key = self_signed(tmp_path_factory.mktemp("corp-ca"), "corp")
    with https_server(cert, key) as stub:
        yield cert, stub


@pytest.fixture
def proxy(monkeypatch):
    for var in (*PROXY_VARS, "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    with ConnectProxy().running() as p:
        monkeypatch.setenv("HTTPS_PROXY", p.url)
        yield p


async def _list_machines(api_url: str) -> int:
    settings = load_settings(api_url=api_url)
    rt = await build_runtime(settings, start=False)
    try:
        return len(await rt.client.machines.list())
    finally:
        await rt.aclose()


@pytest.mark.parametrize("ca_var", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "LRTUI_CA_BUNDLE"])
async def test_api_calls_go_through_the_proxy_and_trust_the_ca_file(corp, proxy, monkeypatch, ca_var):
    cert, stub = corp
    monkeypatch.setenv("LRTUI_ACCESS_TOKEN", "corp-token")
    monkeypatch.setenv(ca_var, str(cert))
    before = len(stub.requests)
    assert await _list_machines(stub.base) == 0
    port = stub.base.rsplit(":", 1)[1]
    assert proxy.tunnels == [f"127.0.0.1:{port}"]
    assert [(m, path.split("?")[0], a) for m, path, a in stub.requests[before:]] == [
        ("GET", "/api/machines", "Bearer corp-token")
    ]


async def test_no_proxy_hosts_connect_directly(corp, proxy, monkeypatch):
    cert, stub = corp
    monkeypatch.setenv("LRTUI_ACCESS_TOKEN", "corp-token")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert await _list_machines(stub.base) == 0
    assert proxy.tunnels == []


async def test_without_the_ca_the_error_names_what_fixes_it(corp, proxy, monkeypatch):
    """The context from the settings (certifi only, no CA file) refuses the server behind the proxy; the
    failure's hint is the one that fixes it, at once: a failed verification is not retried like a network blip
    (the default read deadline would otherwise keep retrying for minutes)."""
    _, stub = corp
    monkeypatch.setenv("LRTUI_TRUSTSTORE", "0")  # certifi's CAs only: the test's CA is in no store
    ctx = load_settings(demo=True).tls_settings().ssl_context()
    async with MdeClient(stub.base, auth=StaticToken("corp-token"), ssl_context=ctx) as client:
        with pytest.raises(ConnectionFailed) as ei:
            await asyncio.wait_for(client.machines.list(), 20)
    assert proxy.tunnels == [f"127.0.0.1:{stub.base.rsplit(':', 1)[1]}"]  # one attempt, no retry
    assert tls_hint(ei.value) == CA_HINT


def _signin(stub, ssl_context):
    return make_provider(
        "client_secret",
        cache=TokenCacheStore("corp", TokenCacheSettings(load_settings().paths.cache_dir(), "memory")),
        tenant_id="corp-tenant",
        client_id="33333333-dddd-eeee-ffff-444444444444",
        authority=f"{stub.base}/corp-tenant",
        instance_discovery=False,
        client_secret="s3cret",
        ssl_context=ssl_context,
    )


async def test_sign_in_goes_through_the_proxy_and_trusts_the_same_ca(corp, proxy, monkeypatch, tmp_path):
    cert, stub = corp
    other, _ = self_signed(tmp_path, "unrelated")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other))  # lower precedence; requests must not swap it in
    ctx = load_settings(demo=True).tls_settings().ssl_context()
    tok = await _signin(stub, ctx).get_token()
    assert tok.token == "stub-token" and tok.source == "identity_provider"
    assert len(proxy.tunnels) >= 1 and all(t.endswith(stub.base.rsplit(":", 1)[1]) for t in proxy.tunnels)

    monkeypatch.delenv("SSL_CERT_FILE")
    monkeypatch.setenv("LRTUI_TRUSTSTORE", "0")
    bad = load_settings(demo=True).tls_settings().ssl_context()  # REQUESTS_CA_BUNDLE: the unrelated CA
    with pytest.raises(AuthError) as ei:
        await _signin(stub, bad).get_token()
    assert ei.value.message == (
        f"Cannot reach the sign-in authority (host {stub.base.removeprefix('https://')}): "
        "the certificate could not be verified."
    )
    assert ei.value.hint == CA_HINT


def test_sign_in_gets_the_same_trust_as_the_api(corp, monkeypatch):
    """compose hands sign-in the context built from the settings (here: LRTUI_CA_BUNDLE, no OS store)."""
    from lrtui.cli.compose import build_auth

    cert, _ = corp
    monkeypatch.setenv("LRTUI_TRUSTSTORE", "0")
    monkeypatch.setenv("LRTUI_CA_BUNDLE", str(cert))
    monkeypatch.setenv("LRTUI_TENANT_ID", "corp-tenant")
    monkeypatch.setenv("LRTUI_CLIENT_ID", "33333333-dddd-eeee-ffff-444444444444")
    monkeypatch.setenv("LRTUI_CLIENT_SECRET", "s3cret")
    monkeypatch.setenv("LRTUI_AUTH", "client_secret")
    settings = load_settings(api_url="https://127.0.0.1:1")
    provider = build_auth(settings).provider
    assert isinstance(provider, ClientSecret) and provider.ssl_context is not None
    subjects = [dict(x[0] for x in c["subject"]).get("commonName") for c in provider.ssl_context.get_ca_certs()]
    assert "lrtui test corp" in subjects
