"""A small result body in memory (a RunScript JSON), gunzipped when it is gzip, capped."""

from __future__ import annotations

import zlib

import httpx

from lrtui.api import errors as E
from lrtui.api.download.link import BlobCall, RecordFn, raw_chunks
from lrtui.api.download.sink import GZIP_MAGIC, ZIP_MAGIC, Compression
from lrtui.api.redact import url_origin


async def fetch_bytes(
    client: httpx.AsyncClient,
    url: str,
    *,
    limit: int = 64 << 20,
    record: RecordFn | None = None,
) -> tuple[bytes, Compression]:
    """A small result body in memory (a RunScript JSON), gunzipped when it is gzip, capped at ``limit``."""
    call = BlobCall(url, record)
    try:
        async with call.open(client) as resp:
            buf = bytearray()
            async for data in raw_chunks(resp, 1 << 16):
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
    return _gunzip(raw, limit), "gzip"


def _gunzip(raw: bytes, limit: int) -> bytes:
    """Every gzip member of ``raw`` inflated, refused past ``limit`` bytes."""
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
    return bytes(out)
