"""A hostile service (issue 14): every answer is bounded work and a clear typed error, promptly; the token never
reaches another port.

One loopback uvicorn server for every case: the same ASGI app listens on two ports. The first plays the API
(``/api/...``, one path per hostile answer) and the result host (``/blob/...``); the second port is only
where a hostile ``@odata.nextLink`` points, and it records whatever reaches it.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from lrtui.api import errors as E
from lrtui.api.auth import BearerAuth, StaticToken
from lrtui.api.client import MdeClient
from lrtui.api.retry import RetryPolicy

TOKEN = "hostile-test-token"
MID = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
MIB = 1 << 20
#: a 1 GiB body, sent in 1 MiB chunks; the client must stop just past its cap
HUGE_BYTES = 1 << 30


def _bomb() -> bytes:
    """About 250 KiB of gzip that inflates to 256 MiB of JSON-looking spaces."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b" " * MIB
    return b"".join([*(c.compress(zeros) for _ in range(256)), c.flush()])


def _many_members(n: int) -> tuple[bytes, list[dict[str, str]]]:
    """A machines page gzip-encoded as ``n`` tiny members (a valid encoding; linear to decode)."""
    items = [{"id": f"{i:040x}", "computerDnsName": f"ws{i}"} for i in range(n // 4)]
    doc = json.dumps({"value": items}).encode()
    size = -(-len(doc) // n)
    return b"".join(gzip.compress(doc[i : i + size], mtime=0) for i in range(0, len(doc), size)), items


class Hostile:
    """The ASGI app; ``seen[port]`` holds the (path, authorization) of every request that reached ``port``."""

    def __init__(self) -> None:
        self.bomb = _bomb()
        self.members, self.member_items = _many_members(100_000)
        self.seen: dict[int, list[tuple[str, str]]] = {}
        self.other_port = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        port = scope["server"][1]
        self.seen.setdefault(port, []).append((scope["path"], headers.get("authorization", "")))
        path = scope["path"].lower()
        handler = ROUTES.get(path.rsplit("/", 1)[-1], Hostile.not_found)
        await handler(self, send)

    async def start(self, send: Any, status: int = 200, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        base = [(b"content-type", b"application/json; charset=utf-8")]
        await send({"type": "http.response.start", "status": status, "headers": base + (headers or [])})

    async def body(self, send: Any, data: bytes, more: bool = False) -> None:
        await send({"type": "http.response.body", "body": data, "more_body": more})

    async def not_found(self, send: Any) -> None:
        await self.start(send, 404)
        await self.body(send, b'{"error":{"code":"ResourceNotFound","message":"no such case"}}')

    async def huge(self, send: Any) -> None:
        await self.start(send)
        chunk = b" " * MIB
        for _ in range(HUGE_BYTES // MIB):
            await self.body(send, chunk, more=True)
        await self.body(send, b"")

    async def bomb_body(self, send: Any) -> None:
        await self.start(send, headers=[(b"content-encoding", b"gzip")])
        await self.body(send, self.bomb)

    async def many(self, send: Any) -> None:
        await self.start(send, headers=[(b"content-encoding", b"gzip")])
        await self.body(send, self.members)

    async def deep(self, send: Any) -> None:
        await self.start(send)
        await self.body(send, b'{"value":' + b"[" * 200_000 + b"]" * 200_000 + b"}")

    async def drip(self, send: Any) -> None:
        await self.start(send)
        for b in b'{"id":"':  # 7 bytes, one a second
            await self.body(send, bytes([b]), more=True)
            await asyncio.sleep(1.0)
        await self.body(send, b"")

    async def retry_huge(self, send: Any) -> None:
        await self.throttle(send, b"1000000000")

    async def retry_nan(self, send: Any) -> None:
        await self.throttle(send, b"NaN")

    async def throttle(self, send: Any, value: bytes) -> None:
        await self.start(send, 429, [(b"retry-after", value)])
        await self.body(send, b'{"error":{"code":"TooManyRequests","message":"Rate limit is exceeded."}}')

    async def next_port(self, send: Any) -> None:
        link = f"http://127.0.0.1:{self.other_port}/api/machines?$skiptoken=steal"
        await self.start(send)
        await self.body(send, json.dumps({"value": [{"id": MID}], "@odata.nextLink": link}).encode())


ROUTES = {
    "huge": Hostile.huge,
    "bomb": Hostile.bomb_body,
    "many": Hostile.many,
    "deep": Hostile.deep,
    "drip": Hostile.drip,
    "retry-huge": Hostile.retry_huge,
    "retry-nan": Hostile.retry_nan,
    "machines": Hostile.next_port,
    "blob-drip": Hostile.drip,
}


def _listen() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    return s


@pytest.fixture(scope="module")
def hostile() -> Iterator[tuple[str, Hostile]]:
    app = Hostile()
    api_sock, other_sock = _listen(), _listen()
    app.other_port = other_sock.getsockname()[1]
    config = uvicorn.Config(
        app, lifespan="off", log_level="critical", access_log=False, http="h11", ws="none", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  (a thread has no signals)
    t = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[api_sock, other_sock])), daemon=True)
    t.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "the hostile server did not start"
    try:
        yield f"http://127.0.0.1:{api_sock.getsockname()[1]}", app
    finally:
        server.should_exit = True
        t.join(10)
        api_sock.close()
        other_sock.close()


def client(url: str, **policy: Any) -> MdeClient:
    base: dict[str, Any] = dict(read_deadline_s=0.0, request_deadline_s=2.0)  # one attempt: the error itself
    base.update(policy)
    return MdeClient(url, auth=BearerAuth(StaticToken(TOKEN)), retry=RetryPolicy(**base))


async def timed_error(coro: Any) -> tuple[BaseException, float]:
    t0 = time.monotonic()
    with pytest.raises(E.LrtuiError) as ei:
        await coro
    return ei.value, time.monotonic() - t0


async def test_huge_body_stops_at_the_cap(hostile):
    url, _ = hostile
    async with client(url, request_deadline_s=30.0) as c:
        err, took = await timed_error(c.transport.send("GET", "/api/huge"))
    assert isinstance(err, E.ResponseTooLarge) and "larger than 33,554,432 bytes on the wire" in str(err)
    assert took < 15.0  # 32 MiB over loopback, not 1 GiB


async def test_gzip_bomb_stops_at_the_cap(hostile):
    url, _ = hostile
    async with client(url, request_deadline_s=30.0) as c:
        err, took = await timed_error(c.transport.send("GET", "/api/bomb"))
    assert isinstance(err, E.ResponseTooLarge) and "once decompressed" in str(err)
    assert took < 15.0


async def test_many_member_gzip_answer_decodes(hostile):
    url, app = hostile
    async with client(url, request_deadline_s=30.0) as c:
        resp = await c.transport.send("GET", "/api/many")
        data = c.transport.decode_json(resp)
    assert data["value"] == app.member_items


async def _deep(c: MdeClient) -> Any:
    return c.transport.decode_json(await c.transport.send("GET", "/api/deep"))


async def test_deep_nesting_is_a_clear_error(hostile):
    url, _ = hostile
    async with client(url) as c:
        err, took = await timed_error(_deep(c))
    assert isinstance(err, E.ResponseTooDeep) and "nested deeper than 64 levels" in err.user_message()
    assert took < 5.0


async def test_slow_drip_hits_the_request_deadline(hostile):
    url, _ = hostile
    async with client(url, request_deadline_s=1.5) as c:
        err, took = await timed_error(c.transport.send("GET", "/api/drip"))
    assert isinstance(err, E.RequestDeadlineExceeded) and "did not complete within 1.5 s" in str(err)
    assert took < 4.0  # not the 7 s the drip would take


async def test_slow_drip_download_hits_its_deadline(hostile):
    url, _ = hostile
    async with client(url, download_grace_s=1.0, download_min_bytes_per_s=1024.0) as c:
        err, took = await timed_error(c.results.fetch_script_result(f"{url}/blob/blob-drip?sig=secret"))
    assert isinstance(err, E.RequestDeadlineExceeded) and took < 4.0


async def test_retry_after_huge_pauses_instead_of_sleeping(hostile):
    url, _ = hostile
    async with client(url) as c:
        err, took = await timed_error(c.transport.send("GET", "/api/retry-huge"))
    assert isinstance(err, E.RetryAfterTooLong) and err.retry_after == 1e9
    assert "lrtui resume" in err.user_message() and took < 2.0


async def test_retry_after_nan_counts_as_missing(hostile):
    url, _ = hostile
    async with client(url, max_429_attempts=1) as c:
        err, took = await timed_error(c.transport.send("GET", "/api/retry-nan"))
    assert isinstance(err, E.RateLimited) and err.retry_after == 60.0  # the documented fallback, finite
    assert took < 2.0


async def test_next_link_to_another_port_gets_no_token(hostile):
    url, app = hostile
    async with client(url) as c:
        err, _ = await timed_error(c.machines.list())
    assert isinstance(err, E.UnsafeNextLink) and f":{app.other_port}" in str(err)
    await asyncio.sleep(0.1)
    assert app.seen.get(app.other_port, []) == []  # nothing, let alone the token, reached the other port
    api_port = int(url.rsplit(":", 1)[1])
    assert ("/api/machines", f"Bearer {TOKEN}") in app.seen[api_port]
