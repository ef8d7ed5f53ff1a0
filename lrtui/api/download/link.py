"""A result link and one GET of it: the URL checked (https only, loopback excepted; no user info), the call
recorded once with the URL redacted, a non-200 made a typed error, and the body read raw (undecoded)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

import httpx

from lrtui.api import errors as E
from lrtui.api.clouds import is_loopback_host
from lrtui.api.errors_map import error_from_response
from lrtui.api.redact import redact_url, url_origin

#: how much of an error body is read
ERROR_BODY_LIMIT = 64 * 1024
#: result downloads: the default grace and minimum throughput of ``Deadline`` (``RetryPolicy`` overrides)
DOWNLOAD_GRACE_S = 60.0
DOWNLOAD_MIN_BYTES_PER_S = float(32 << 10)

#: record(method, redacted_url, status, elapsed_ms, error)
RecordFn = Callable[[str, str, int | None, float, str | None], None]


def check_download_url(url: str) -> httpx.URL:
    """The parsed URL, or ``UnsafeDownload`` when it is not https (outside loopback) or carries user info."""
    try:
        u = httpx.URL(url)
    except Exception:  # httpx.InvalidURL and friends
        raise E.UnsafeDownload("The result link is not a valid URL.") from None
    host = u.host
    if not host:
        raise E.UnsafeDownload("The result link has no host.")
    if u.userinfo:
        raise E.UnsafeDownload(
            f"The result link for {url_origin(str(u.copy_with(userinfo=None)))} carries user credentials; refusing it."
        )
    if u.scheme == "https":
        return u
    if u.scheme == "http" and is_loopback_host(host):
        return u
    raise E.UnsafeDownload(
        f"Refusing to download a result over {u.scheme or 'an unknown scheme'} from {host}: only https is allowed "
        "(plain http only on loopback).",
        hint="The service returns https links; a plain http link suggests a proxy rewrote it.",
    )


class BlobCall:
    """One GET of a result link: the URL checked first, recorded once (redacted), a non-200 made a typed error."""

    def __init__(self, url: str, record: RecordFn | None) -> None:
        self.target = check_download_url(url)
        self.url = url
        self.safe = redact_url(url)
        self.record = record
        self.t0 = time.monotonic()
        self.status: int | None = None
        self._recorded = False

    def rec(self, error: str | None) -> None:
        """Record the call (once, whatever happens after)."""
        if self.record is not None and not self._recorded:
            self._recorded = True
            self.record("GET", self.safe, self.status, (time.monotonic() - self.t0) * 1000.0, error)

    @contextlib.asynccontextmanager
    async def open(self, client: httpx.AsyncClient) -> AsyncIterator[httpx.Response]:
        """The streamed 200 answer; any other status is recorded and raised as a typed error."""
        async with client.stream("GET", self.target, headers={"Accept-Encoding": "identity"}) as resp:
            self.status = resp.status_code
            if self.status != 200:
                body = await read_capped(resp, ERROR_BODY_LIMIT)
                err = error_from_response(self.status, body, resp.headers, "GET", self.url, blob=True)
                self.rec(err.code)
                raise err
            yield resp


async def raw_chunks(
    resp: httpx.Response, chunk: int, progress: Callable[[int], None] | None = None
) -> AsyncIterator[bytes]:
    """Wire bytes of the body, undecoded; ``progress`` is told the bytes received so far after each chunk. A
    response built with its content preloaded (``httpx.Response(content=...)``, as fakes do) has no stream left
    to read raw: its bytes are sliced instead."""
    received = 0
    if resp.is_stream_consumed:
        data = resp.content
        for i in range(0, len(data), chunk):
            yield data[i : i + chunk]
        return
    async for data in resp.aiter_raw(chunk):
        received += len(data)
        if progress is not None:
            progress(received)
        yield data


class Deadline:
    """A download's total deadline that moves with its progress: ``grace_s`` plus the bytes received so far at
    ``min_bytes_per_s``. A body that drips slower than that (or stalls) misses it, whatever its size."""

    def __init__(self, grace_s: float, min_bytes_per_s: float) -> None:
        self.grace_s = grace_s
        self.min_bytes_per_s = max(min_bytes_per_s, 1.0)
        self._timeout: asyncio.Timeout | None = None
        self._start = 0.0

    @contextlib.asynccontextmanager
    async def guard(self) -> AsyncIterator[Deadline]:
        """Raises ``RequestDeadlineExceeded`` (a ``TransportError``) when the deadline passes inside."""
        loop = asyncio.get_running_loop()
        self._start = loop.time()
        try:
            async with asyncio.timeout_at(self._start + self.grace_s) as t:
                self._timeout = t
                yield self
        except TimeoutError:
            raise E.RequestDeadlineExceeded(
                f"The result download was slower than {self.min_bytes_per_s:,.0f} bytes/s after a "
                f"{self.grace_s:g} s grace (stalled or dripping); stopped it.",
                hint="Result links stay valid for 30 minutes; lrtui can ask for a new link and try again.",
            ) from None

    def progress(self, received: int) -> None:
        """Move the deadline: ``received`` bytes have arrived."""
        if self._timeout is not None:
            self._timeout.reschedule(self._start + self.grace_s + received / self.min_bytes_per_s)


async def read_capped(resp: httpx.Response, limit: int) -> bytes:
    """At most ``limit`` bytes of the body (an error answer's); a transport failure ends it quietly."""
    buf = bytearray()
    try:
        async for data in raw_chunks(resp, 1 << 16):
            buf += data
            if len(buf) >= limit:
                break
    except httpx.HTTPError:
        pass
    return bytes(buf[:limit])


def content_length(resp: httpx.Response) -> int | None:
    """The announced length in wire bytes (what ``aiter_raw`` yields), or None."""
    v = resp.headers.get("content-length")
    try:
        n = int(v) if v is not None else None
    except ValueError:
        return None
    return n if n is not None and n >= 0 else None
