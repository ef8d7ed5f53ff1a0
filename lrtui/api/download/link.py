"""A result link and one GET of it: the URL checked (https only, loopback excepted; no user info), the call
recorded once with the URL redacted, a non-200 made a typed error, and the body read raw (undecoded)."""

from __future__ import annotations

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


async def raw_chunks(resp: httpx.Response, chunk: int) -> AsyncIterator[bytes]:
    """Wire bytes of the body, undecoded. A response built with its content preloaded (``httpx.Response(
    content=...)``, as fakes do) has no stream left to read raw: its bytes are sliced instead."""
    if resp.is_stream_consumed:
        data = resp.content
        for i in range(0, len(data), chunk):
            yield data[i : i + chunk]
        return
    async for data in resp.aiter_raw(chunk):
        yield data


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
