"""A small result body in memory (a RunScript JSON), gunzipped when it is gzip, capped."""

from __future__ import annotations

import httpx

from lrtui.api import errors as E
from lrtui.api.download.link import (
    DOWNLOAD_GRACE_S,
    DOWNLOAD_MIN_BYTES_PER_S,
    BlobCall,
    Deadline,
    RecordFn,
    raw_chunks,
)
from lrtui.api.download.sink import GZIP_MAGIC, ZIP_MAGIC, Compression
from lrtui.api.inflate import InflateError, inflate_all
from lrtui.api.redact import url_origin


async def fetch_bytes(
    client: httpx.AsyncClient,
    url: str,
    *,
    limit: int = 64 << 20,
    record: RecordFn | None = None,
    deadline: Deadline | None = None,
) -> tuple[bytes, Compression]:
    """A small result body in memory (a RunScript JSON), gunzipped when it is gzip, capped at ``limit`` bytes
    received and ``limit`` bytes inflated; ``deadline`` as for ``download_to_file``."""
    call = BlobCall(url, record)
    guard = deadline or Deadline(DOWNLOAD_GRACE_S, DOWNLOAD_MIN_BYTES_PER_S)
    try:
        async with guard.guard(), call.open(client) as resp:
            buf = bytearray()
            async for data in raw_chunks(resp, 1 << 16, guard.progress):
                buf += data
                if len(buf) > limit:
                    call.rec("DownloadTooLarge")
                    raise E.DownloadTooLarge(f"The script result is larger than {limit:,} bytes.")
    except E.RequestDeadlineExceeded:
        call.rec("RequestDeadlineExceeded")
        raise
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
    """Every gzip member of ``raw`` inflated (in linear time), refused past ``limit`` bytes."""
    try:
        return inflate_all(raw, "gzip", limit)
    except OverflowError:
        raise E.DecompressionLimit(f"The script result expands past {limit:,} bytes.") from None
    except InflateError as e:
        raise E.CorruptDownload(f"The gzip script result is corrupt or truncated ({e}).") from None
