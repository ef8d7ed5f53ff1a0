"""An API answer's body read with a size cap, on the wire and once decoded.

The body is streamed with a counter and refused past ``limit`` bytes (``ResponseTooLarge``) before it is
held whole; ``Content-Encoding: gzip``/``deflate`` is decoded here, in bounded steps, under the same cap (a
1 MB gzip bomb stops at the cap instead of taking gigabytes). Anything else than identity, gzip or deflate is
refused: the API client asks only for those.
"""

from __future__ import annotations

from typing import TypeVar

import httpx

from lrtui.api import errors as E
from lrtui.api.download.link import content_length, raw_chunks
from lrtui.api.inflate import Encoding, InflateError, Inflater
from lrtui.api.redact import redact_url

#: what the API client accepts (and all this module decodes)
ACCEPT_ENCODING = "gzip, deflate"
_STEP = 1 << 16
ErrT = TypeVar("ErrT", bound=E.UnexpectedResponse)
_ENCODINGS: dict[str, Encoding] = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}


def _encoding(resp: httpx.Response) -> Encoding | None:
    codings = [c.strip().lower() for c in resp.headers.get("content-encoding", "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if len(codings) == 1 and codings[0] in _ENCODINGS:
        return _ENCODINGS[codings[0]]
    raise _unexpected(resp, f"is encoded as {', '.join(codings)[:60]!r}, which lrtui did not ask for")


def _unexpected(resp: httpx.Response, what: str) -> E.UnexpectedResponse:
    return _error(E.UnexpectedResponse, resp, what)


def _error(cls: type[ErrT], resp: httpx.Response, what: str) -> ErrT:
    req = resp.request
    path = httpx.URL(str(req.url)).path
    return cls(
        f"The answer to {req.method} {path} {what}.",
        status=resp.status_code,
        method=req.method,
        url=redact_url(str(req.url)),
    )


def _too_large(resp: httpx.Response, limit: int, where: str) -> E.ResponseTooLarge:
    return _error(E.ResponseTooLarge, resp, f"is larger than {limit:,} bytes {where}; stopped reading it")


async def read_body(resp: httpx.Response, limit: int) -> bytes:
    """The whole (decoded) body of a streamed answer, at most ``limit`` bytes on the wire and decoded."""
    announced = content_length(resp)
    if announced is not None and announced > limit:
        raise _too_large(resp, limit, "(announced)")
    preloaded = resp.is_stream_consumed  # an answer built in memory (a test double): already decoded
    encoding = None if preloaded else _encoding(resp)
    inflater = Inflater(encoding) if encoding is not None else None
    out = bytearray()
    wire = 0
    async for chunk in raw_chunks(resp, _STEP):
        wire += len(chunk)
        if wire > limit:
            raise _too_large(resp, limit, "on the wire")
        if inflater is None:
            out += chunk
            continue
        try:
            for piece in inflater.feed(chunk, _STEP):
                out += piece
                if len(out) > limit:
                    raise _too_large(resp, limit, "once decompressed")
        except InflateError as e:
            raise _unexpected(resp, f"has a corrupt {encoding} encoding ({e})") from None
    if inflater is not None:
        try:
            inflater.finish()
        except InflateError as e:
            raise _unexpected(resp, f"has a corrupt {encoding} encoding ({e})") from None
    return bytes(out)
