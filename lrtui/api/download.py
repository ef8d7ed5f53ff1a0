"""Streamed download of a live response result link.

The link is a SAS URL: the ``sig=`` value is the credential, so the request goes through an auth-less client
(never the API client), only over https (loopback excepted, for the simulator), and the URL is redacted in
every record and error. The body is read raw (``Accept-Encoding: identity``; no transparent decoding), its
first bytes decide the format (``1f 8b`` gzip is inflated while streaming, multi-member included; ``50 4b``
zip and anything else are kept as is), both the received and the stored bytes are hashed, output is capped,
and the file appears at ``dest`` only when complete (written as ``dest.part`` first). Memory stays flat:
at most about two chunks are held at any time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx

from lrtui.api import errors as E
from lrtui.api.clouds import is_loopback_host
from lrtui.api.errors_map import error_from_response
from lrtui.api.redact import redact_url, url_origin

Compression = Literal["gzip", "zip", "none"]
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK"
#: output produced per inflate step: bounds memory whatever the compression ratio
INFLATE_STEP = 1 << 20
AUTO = "auto"
#: chunks queued for the writer thread at most (memory: about this many chunks)
PIPELINE_DEPTH = 3
#: "auto" offloads to threads when the announced size is at least this (small results stay inline: cheaper)
OFFLOAD_MIN_BYTES = 8 << 20
#: how much of an error body is read
ERROR_BODY_LIMIT = 64 * 1024

#: record(method, redacted_url, status, elapsed_ms, error)
RecordFn = Callable[[str, str, "int | None", float, "str | None"], None]


@dataclass
class DownloadResult:
    path: Path
    size: int  #: bytes stored at ``path`` (after decompression)
    received_size: int  #: bytes received on the wire
    sha256: str  #: of the stored bytes
    sha256_received: str  #: of the received bytes
    compression: Compression


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


class _Sink:
    """Synchronous part of the download: hash, detect, inflate, cap and write. One instance per download."""

    def __init__(
        self, part: Path, max_received: int | None, max_decompressed: int | None, *, hash_received: bool = True
    ) -> None:
        self.part = part
        self.hash_received = hash_received  # False: the caller hashes the received bytes in parallel
        self.max_received = max_received
        self.max_decompressed = max_decompressed
        self.h_recv = hashlib.sha256()
        self.h_out = hashlib.sha256()
        self.received = 0
        self.written = 0
        self.compression: Compression | None = None
        self._head = b""
        self._inflater: zlib._Decompress | None = None
        self._members = 0
        self._trailer = False  # after a complete gzip member, only zero padding or another member may follow
        self.failed = False
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._f = os.fdopen(fd, "wb", buffering=1 << 16)

    # -------------------------------------------------------------- feeding

    def feed(self, data: bytes) -> None:
        for _ in self.feed_steps(data):
            pass

    def feed_steps(self, data: bytes) -> Iterator[None]:
        """``feed`` as bounded steps: yields after each INFLATE_STEP of output, so a caller on the event loop
        can let other tasks run between steps (a 1 MiB gzip chunk may inflate to far more)."""
        if not data or self.failed:
            return
        try:
            yield from self._feed(data)
        except BaseException:
            self.failed = True
            raise

    def _feed(self, data: bytes) -> Iterator[None]:
        self.received += len(data)
        if self.max_received is not None and self.received > self.max_received:
            raise E.DownloadTooLarge(
                f"The result is larger than the {self.max_received:,}-byte download cap; stopped and removed it."
            )
        if self.hash_received:
            self.h_recv.update(data)
        if self.compression is None:
            self._head += data
            if len(self._head) < 2:
                return
            data, self._head = self._head, b""
            self.compression = "gzip" if data[:2] == GZIP_MAGIC else "zip" if data[:2] == ZIP_MAGIC else "none"
        if self.compression == "gzip":
            yield from self._inflate(data)
        else:
            self._out(data)

    def _out(self, data: bytes) -> None:
        if not data:
            return
        if self.max_decompressed is not None and self.written + len(data) > self.max_decompressed:
            raise E.DecompressionLimit(
                f"The result expands past the {self.max_decompressed:,}-byte cap (a gzip bomb, or a file larger "
                "than allowed); stopped and removed the partial file.",
                hint="Raise the decompression cap in the profile if the file is expected to be that large.",
            )
        self.written += len(data)
        if self.compression == "gzip":  # otherwise stored == received: one hash serves both
            self.h_out.update(data)
        self._f.write(data)

    def _inflate(self, data: bytes) -> Iterator[None]:
        while data:
            if self._trailer:
                if data[:1] == b"\0":  # zero padding after a member (only then scan for it)
                    data = data.lstrip(b"\0")
                    if not data:
                        return
                self._trailer = False
                # another member may follow after padding; check its magic below
            if self._inflater is None:
                if self._members and data[:1] != GZIP_MAGIC[:1]:
                    raise E.CorruptDownload("The gzip result has trailing data that is not another gzip member.")
                self._inflater = zlib.decompressobj(wbits=31)
            d = self._inflater
            try:
                out = d.decompress(data, INFLATE_STEP)
                self._out(out)
                while not d.eof and not d.unconsumed_tail and len(out) == INFLATE_STEP:
                    yield
                    out = d.decompress(b"", INFLATE_STEP)  # pending output with no input left
                    self._out(out)
            except zlib.error as e:
                raise E.CorruptDownload(f"The gzip result is corrupt ({e}).") from None
            if d.eof:
                self._members += 1
                self._inflater = None
                self._trailer = True
                data = d.unused_data
            else:
                data = d.unconsumed_tail
            if data:
                yield

    # -------------------------------------------------------------- ending

    def finish(self) -> None:
        if self.compression is None:  # fewer than 2 bytes in total
            data, self._head = self._head, b""
            self.compression = "none"
            self._out(data)
        if self.compression == "gzip" and (self._inflater is not None or self._members == 0):
            raise E.CorruptDownload("The gzip result ended before its end marker (truncated download).")
        self._f.flush()
        self._f.close()

    def abort(self) -> None:
        try:
            self._f.close()
        except Exception:
            pass
        try:
            self.part.unlink()
        except FileNotFoundError:
            pass


class _BlobCall:
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
        if self.record is not None and not self._recorded:
            self._recorded = True
            self.record("GET", self.safe, self.status, (time.monotonic() - self.t0) * 1000.0, error)

    @contextlib.asynccontextmanager
    async def open(self, client: httpx.AsyncClient) -> AsyncIterator[httpx.Response]:
        async with client.stream("GET", self.target, headers={"Accept-Encoding": "identity"}) as resp:
            self.status = resp.status_code
            if self.status != 200:
                body = await _read_capped(resp, ERROR_BODY_LIMIT)
                err = error_from_response(self.status, body, resp.headers, "GET", self.url, blob=True)
                self.rec(err.code)
                raise err
            yield resp


def part_path(dest: Path) -> Path:
    return dest.with_suffix(dest.suffix + ".part")


async def download_to_file(
    client: httpx.AsyncClient,
    url: str,
    dest: Path,
    *,
    max_received: int | None = None,
    max_decompressed: int | None = None,
    chunk: int = 1 << 20,
    record: RecordFn | None = None,
    offload: bool | str = "auto",
) -> DownloadResult:
    """Stream ``url`` into ``dest`` (see the module doc). ``client`` must be the auth-less result client.

    ``offload``: ``True`` moves hashing, inflating and writing to a worker thread; ``False``/``"auto"`` does
    them inline in bounded steps (the default; see the comment below)."""
    if offload not in (True, False, AUTO):
        raise ValueError("offload must be True, False or 'auto'")
    call = _BlobCall(url, record)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    part = part_path(dest)
    try:
        async with call.open(client) as resp:
            announced = _content_length(resp)
            if max_received is not None and announced is not None and announced > max_received:
                call.rec("DownloadTooLarge")
                raise E.DownloadTooLarge(
                    f"The result is {announced:,} bytes, more than the {max_received:,}-byte download cap."
                )
            sink = _Sink(part, max_received, max_decompressed)
            # Default: each chunk is hashed, inflated (in bounded steps) and written inline, and the loop runs
            # other tasks between steps; measured cheaper in CPU than a thread hand-off, which matters on small
            # machines. offload=True: one worker thread does it, in order, while the loop reads the socket; at
            # most PIPELINE_DEPTH chunks wait. Either way memory stays flat.
            loop = asyncio.get_running_loop()
            if offload == AUTO:
                # threads pay off only with spare cores: on 2 cores (measured) the hand-off costs more CPU than
                # it hides, so small machines stay inline
                offload = (os.cpu_count() or 1) >= 4 and (announced is None or announced >= OFFLOAD_MIN_BYTES)
            pool = hpool = None
            if offload is True:
                # two threads in parallel: one hashes the received bytes, one inflates, hashes and writes; both
                # spend their time in C code that releases the GIL (hashlib, zlib, write)
                sink.hash_received = False
                pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lrtui-dl")
                hpool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lrtui-dl-hash")
            inflight: deque[asyncio.Future] = deque()
            try:
                async for data in _raw_chunks(resp, chunk):
                    if pool is None:
                        for _ in sink.feed_steps(data):
                            await asyncio.sleep(0)
                        await asyncio.sleep(0)
                        continue
                    while len(inflight) >= 2 * PIPELINE_DEPTH:
                        await inflight.popleft()
                    inflight.append(loop.run_in_executor(hpool, sink.h_recv.update, data))
                    inflight.append(loop.run_in_executor(pool, sink.feed, data))
                while inflight:
                    await inflight.popleft()
                # closing (and renaming over an old file) can flush to disk: never on the loop
                await (loop.run_in_executor(pool, sink.finish) if pool is not None else asyncio.to_thread(sink.finish))
                if announced is not None and sink.received != announced:
                    raise E.CorruptDownload(
                        f"The download ended after {sink.received:,} of {announced:,} bytes (truncated)."
                    )
            except BaseException:
                sink.failed = True  # queued feeds become no-ops
                if inflight:
                    await asyncio.wait(list(inflight))
                    for f in inflight:
                        if not f.cancelled():
                            f.exception()  # consumed; the first error is what we raise
                sink.abort()
                raise
            finally:
                for p in (pool, hpool):
                    if p is not None:
                        p.shutdown(wait=False)
            await asyncio.to_thread(os.replace, part, dest)
    except E.LrtuiError as e:
        call.rec(getattr(e, "code", "") or type(e).__name__)
        raise
    except httpx.HTTPError as e:
        call.rec(type(e).__name__)
        try:
            part.unlink()
        except FileNotFoundError:
            pass
        raise E.TransportError(
            f"Downloading the result from {url_origin(call.safe)} failed: {type(e).__name__}.",
            hint="The link stays valid for 30 minutes; lrtui can ask for a new one and try again.",
        ) from None
    call.rec(None)
    return DownloadResult(
        path=dest,
        size=sink.written,
        received_size=sink.received,
        sha256=sink.h_out.hexdigest() if sink.compression == "gzip" else sink.h_recv.hexdigest(),
        sha256_received=sink.h_recv.hexdigest(),
        compression=sink.compression or "none",
    )


async def fetch_bytes(
    client: httpx.AsyncClient,
    url: str,
    *,
    limit: int = 64 << 20,
    record: RecordFn | None = None,
) -> tuple[bytes, Compression]:
    """A small result body in memory (a RunScript JSON), gunzipped when it is gzip, capped at ``limit``."""
    call = _BlobCall(url, record)
    try:
        async with call.open(client) as resp:
            buf = bytearray()
            async for data in _raw_chunks(resp, 1 << 16):
                buf += data
                if len(buf) > limit:
                    call.rec("DownloadTooLarge")
                    raise E.DownloadTooLarge(f"The script result is larger than {limit:,} bytes.")
    except httpx.HTTPError as e:
        call.rec(type(e).__name__)
        raise E.TransportError(
            f"Fetching the script result from {url_origin(call.safe)} failed: {type(e).__name__}."
        ) from None
    call.rec(None)
    raw = bytes(buf)
    if raw[:2] != GZIP_MAGIC:
        return raw, ("zip" if raw[:2] == ZIP_MAGIC else "none")
    out = bytearray()
    data = raw
    try:
        while data:
            d = zlib.decompressobj(wbits=31)
            out += d.decompress(data, limit + 1 - len(out))
            if len(out) > limit or (d.unconsumed_tail and not d.eof):
                raise E.DecompressionLimit(f"The script result expands past {limit:,} bytes.")
            if not d.eof:
                raise E.CorruptDownload("The gzip script result is truncated.")
            data = d.unused_data.lstrip(b"\0")
    except zlib.error as e:
        raise E.CorruptDownload(f"The gzip script result is corrupt ({e}).") from None
    return bytes(out), "gzip"


async def _raw_chunks(resp: httpx.Response, chunk: int):
    """Wire bytes of the body, undecoded. A response built with its content preloaded (``httpx.Response(
    content=...)``, as fakes do) has no stream left to read raw: its bytes are sliced instead."""
    if resp.is_stream_consumed:
        data = resp.content
        for i in range(0, len(data), chunk):
            yield data[i : i + chunk]
        return
    async for data in resp.aiter_raw(chunk):
        yield data


async def _read_capped(resp: httpx.Response, limit: int) -> bytes:
    buf = bytearray()
    try:
        async for data in _raw_chunks(resp, 1 << 16):
            buf += data
            if len(buf) >= limit:
                break
    except httpx.HTTPError:
        pass
    return bytes(buf[:limit])


def _content_length(resp: httpx.Response) -> int | None:
    """The announced length in wire bytes (what ``aiter_raw`` yields), or None."""
    v = resp.headers.get("content-length")
    try:
        n = int(v) if v is not None else None
    except ValueError:
        return None
    return n if n is not None and n >= 0 else None
