"""Streamed download of a result link into a file: the file appears at ``dest`` only when complete.

The body is written as ``dest.part`` first and renamed; any failure removes the part file. Hashing, inflating
and writing happen inline on the event loop in bounded steps (the default), or in two worker threads
(``offload=True``). Memory stays flat: at most about two chunks are held at any time.
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx

from lrtui.api import errors as E
from lrtui.api.download.link import (
    DOWNLOAD_GRACE_S,
    DOWNLOAD_MIN_BYTES_PER_S,
    BlobCall,
    Deadline,
    RecordFn,
    content_length,
    raw_chunks,
)
from lrtui.api.download.sink import Compression, Sink
from lrtui.api.redact import url_origin

AUTO = "auto"
#: chunks queued for the writer thread at most (memory: about this many chunks)
PIPELINE_DEPTH = 3
#: "auto" offloads to threads when the announced size is at least this (small results stay inline: cheaper)
OFFLOAD_MIN_BYTES = 8 << 20


@dataclass
class DownloadResult:
    path: Path
    size: int  #: bytes stored at ``path`` (after decompression)
    received_size: int  #: bytes received on the wire
    sha256: str  #: of the stored bytes
    sha256_received: str  #: of the received bytes
    compression: Compression


def part_path(dest: Path) -> Path:
    """Where ``dest`` is written until it is complete."""
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
    offload: bool | Literal["auto"] = "auto",
    deadline: Deadline | None = None,
) -> DownloadResult:
    """Stream ``url`` into ``dest`` (see the module doc). ``client`` must be the auth-less result client.

    ``offload``: ``True`` moves hashing, inflating and writing to a worker thread; ``False``/``"auto"`` does
    them inline in bounded steps (the default; see ``_use_threads``). ``deadline``: the whole download's
    deadline, moving with its progress (default: ``Deadline(DOWNLOAD_GRACE_S, DOWNLOAD_MIN_BYTES_PER_S)``)."""
    if offload not in (True, False, AUTO):
        raise ValueError("offload must be True, False or 'auto'")
    call = BlobCall(url, record)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    part = part_path(dest)
    limit = deadline or Deadline(DOWNLOAD_GRACE_S, DOWNLOAD_MIN_BYTES_PER_S)
    try:
        async with limit.guard(), call.open(client) as resp:
            announced = content_length(resp)
            if max_received is not None and announced is not None and announced > max_received:
                call.rec("DownloadTooLarge")
                raise E.DownloadTooLarge(
                    f"The result is {announced:,} bytes, more than the {max_received:,}-byte download cap."
                )
            sink = Sink(part, max_received, max_decompressed)
            await _stream(resp, sink, _Feed(chunk, _use_threads(offload, announced), announced, limit.progress))
            await asyncio.to_thread(os.replace, part, dest)
    except E.LrtuiError as e:
        _unlink(part)
        call.rec(e.code if isinstance(e, E.ApiCallError) and e.code else type(e).__name__)
        raise
    except httpx.HTTPError as e:
        call.rec(type(e).__name__)
        _unlink(part)
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


def _use_threads(offload: bool | Literal["auto"], announced: int | None) -> bool:
    # Default: each chunk is hashed, inflated (in bounded steps) and written inline, and the loop runs other
    # tasks between steps; measured cheaper in CPU than a thread hand-off, which matters on small machines.
    # offload=True: one worker thread does it, in order, while the loop reads the socket; at most
    # PIPELINE_DEPTH chunks wait. Either way memory stays flat.
    if offload == AUTO:
        # threads pay off only with spare cores: on 2 cores (measured) the hand-off costs more CPU than it
        # hides, so small machines stay inline
        return (os.cpu_count() or 1) >= 4 and (announced is None or announced >= OFFLOAD_MIN_BYTES)
    return offload is True


def _unlink(part: Path) -> None:
    try:
        part.unlink()
    except FileNotFoundError:
        pass


@dataclass(frozen=True)
class _Feed:
    """How one body is fed to its sink: chunk size, inline or threads, the announced size, progress."""

    chunk: int
    threads: bool
    announced: int | None
    progress: Callable[[int], None]


async def _stream(resp: httpx.Response, sink: Sink, feed: _Feed) -> None:
    """Feed the whole body to ``sink`` and finish it; on any failure the part file is removed."""
    pipe = _ThreadPipeline(sink) if feed.threads else None
    announced = feed.announced
    try:
        if pipe is None:
            async for data in raw_chunks(resp, feed.chunk, feed.progress):
                for _ in sink.feed_steps(data):
                    await asyncio.sleep(0)
                await asyncio.sleep(0)
            # closing (and renaming over an old file) can flush to disk: never on the loop
            await asyncio.to_thread(sink.finish)
        else:
            await pipe.run(resp, feed.chunk, feed.progress)
        if announced is not None and sink.received != announced:
            raise E.CorruptDownload(f"The download ended after {sink.received:,} of {announced:,} bytes (truncated).")
    except BaseException:
        sink.failed = True  # queued feeds become no-ops
        if pipe is not None:
            await pipe.settle()
        sink.abort()
        raise
    finally:
        if pipe is not None:
            pipe.shutdown()


class _ThreadPipeline:
    """Two threads in parallel: one hashes the received bytes, one inflates, hashes and writes; both spend
    their time in C code that releases the GIL (hashlib, zlib, write)."""

    def __init__(self, sink: Sink) -> None:
        sink.hash_received = False
        self.sink = sink
        self.loop = asyncio.get_running_loop()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lrtui-dl")
        self.hpool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lrtui-dl-hash")
        self.inflight: deque[asyncio.Future[None]] = deque()

    async def run(self, resp: httpx.Response, chunk: int, progress: Callable[[int], None]) -> None:
        async for data in raw_chunks(resp, chunk, progress):
            while len(self.inflight) >= 2 * PIPELINE_DEPTH:
                await self.inflight.popleft()
            self.inflight.append(self.loop.run_in_executor(self.hpool, self.sink.h_recv.update, data))
            self.inflight.append(self.loop.run_in_executor(self.pool, self.sink.feed, data))
        while self.inflight:
            await self.inflight.popleft()
        await self.loop.run_in_executor(self.pool, self.sink.finish)

    async def settle(self) -> None:
        """Wait for the queued work after a failure; its errors are consumed (the first one is what is raised)."""
        if self.inflight:
            await asyncio.wait(list(self.inflight))
            for f in self.inflight:
                if not f.cancelled():
                    f.exception()

    def shutdown(self) -> None:
        for p in (self.pool, self.hpool):
            p.shutdown(wait=False)
