"""The blob origin: signed, expiring result URLs like Azure Blob SAS links.

``GET /investigation-actions-data/<tenant>/CustomPlaybookCommandOutput/<name>?sv=..&st=..&se=..&sr=b&sp=r&sig=..``
The signature is an HMAC over the path and the expiry. RunScript results are the JSON document
``{"script_name","exit_code","script_output","script_errors"}``; GetFile results are gzip bytes served
as-is (``Content-Length``, no ``Content-Encoding``). Bench files stream without being held in memory.
A request carrying ``Authorization`` is served but counted in ``state.auth_leaks`` and logged.
"""

from __future__ import annotations

import email.utils
import hmac
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from lrtui.api.enums import CommandStatus, CommandType

from .asgi import Receive, Scope, Send, serve_asgi
from .clock import SimClock, iso7, parse_iso
from .ids import RequestIds
from .library import bench_stream, file_bytes, gzip_stream
from .lifecycle import SimAction, SimCommand
from .links import BlobLinks
from .state import TenantState

__all__ = ["BlobApp"]

log = logging.getLogger("lrtui.sim")
_PATH = re.compile(r"^/investigation-actions-data/([^/]+)/CustomPlaybookCommandOutput/([0-9a-f]{64})$")
_CACHE_MAX = 96 * 1024 * 1024
_AUTH_FAILED = (
    "Server failed to authenticate the request. Make sure the value of "
    "Authorization header is formed correctly including the signature."
)


def _xml_error(code: str, message: str, status: int, detail: str | None = None, rid: str = "") -> Response:
    extra = f"<AuthenticationErrorDetail>{detail}</AuthenticationErrorDetail>" if detail else ""
    body = (
        f'\ufeff<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code><Message>{message}\n'
        f"RequestId:{rid}\nTime:</Message>{extra}</Error>"
    ).encode()
    return Response(
        body,
        status_code=status,
        headers={"content-type": "application/xml", "x-ms-error-code": code, "x-ms-request-id": rid},
    )


class BlobApp:
    """The blob origin of one tenant: checks the link's signature and expiry, then serves the result."""

    def __init__(
        self,
        state: TenantState,
        lock: threading.RLock,
        links: BlobLinks,
        clock: SimClock,
        request_ids: RequestIds,
    ) -> None:
        self._state = state
        self._lock = lock
        self._links = links
        self._clock = clock
        self._request_ids = request_ids
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_size = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await serve_asgi(scope, receive, send, self._respond)

    async def _respond(self, request: Request) -> Response:
        return self.handle(request)

    def _refuse(self, code: str, message: str, status: int, detail: str | None = None) -> Response:
        with self._lock:
            self._state.blob_refused += 1
            rid = self._request_ids().strip("|.")
        return _xml_error(code, message, status, detail, rid)

    def handle(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return Response(b"", status_code=405, headers={"Allow": "GET, HEAD"})
        if "authorization" in request.headers:
            self._note_auth_leak(request.url.path)
        m = _PATH.match(request.url.path)
        if not m:
            return self._refuse("ResourceNotFound", "The specified resource does not exist.", 404)
        now = self._clock.now()
        refused = self._check_link(request.url.path, request.query_params, now)
        if refused is not None:
            return refused
        name = m.group(2)
        found = self._completed_command(name)
        if found is None:
            return self._refuse("BlobNotFound", "The specified blob does not exist.", 404)
        a, c = found
        headers = {
            "x-ms-blob-type": "BlockBlob",
            "x-ms-version": "2020-08-04",
            "Accept-Ranges": "bytes",
            "ETag": f'"0x8DC{name[:12].upper()}"',
            "Last-Modified": _http_date(c.end or now),
            "content-type": "application/octet-stream",
        }
        if c.type == CommandType.GET_FILE and c.recipe is not None and c.recipe.kind == "bench":
            length, chunks = bench_stream(c.recipe)
            return self._ranged(request, length, None, chunks, headers)
        data = self._content(name, a, c)
        return self._ranged(request, len(data), data, None, headers)

    def _note_auth_leak(self, path: str) -> None:
        with self._lock:
            self._state.auth_leaks += 1
            self._state.auth_leak_paths.append(path)
        log.warning(
            "CLIENT BUG: a request to the blob origin carried an Authorization header (%s). "
            "Result links are SAS URLs: never send the bearer token to them.",
            path,
        )

    def _check_link(self, path: str, q: QueryParams, now: float) -> Response | None:
        """The refusal when the link's SAS fields, signature or expiry are wrong; None when it is good."""
        se, sig = q.get("se"), q.get("sig")
        if not se or not sig or q.get("sp") != "r" or q.get("sr") != "b":
            return self._refuse("AuthenticationFailed", _AUTH_FAILED, 403, "Signature fields not well formed.")
        if not hmac.compare_digest(self._links.sign(path, se), sig):
            return self._refuse("AuthenticationFailed", _AUTH_FAILED, 403, "Signature did not match.")
        try:
            expiry = parse_iso(se)
        except ValueError:
            return self._refuse(
                "AuthenticationFailed",
                "Server failed to authenticate the request.",
                403,
                f"Signed expiry time [{se}] is not valid.",
            )
        if now > expiry:
            return self._refuse(
                "AuthenticationFailed",
                _AUTH_FAILED,
                403,
                f"Signed expiry time [{se}] must be after current time [{iso7(now)[:19]}Z]",
            )
        return None

    def _completed_command(self, name: str) -> tuple[SimAction, SimCommand] | None:
        """The action and command behind blob ``name``, when that command has completed."""
        with self._lock:
            ref = self._state.blobs.get(name)
            a = self._state.actions.get(ref[0]) if ref else None
            if a is None or ref is None:
                return None
            c = a.commands[ref[1]]
            return (a, c) if c.status == CommandStatus.COMPLETED else None

    def _content(self, name: str, a: SimAction, c: SimCommand) -> bytes:
        data = self._cache.get(name)
        if data is not None:
            self._cache.move_to_end(name)
            return data
        data = _render(a, c)
        with self._lock:
            self._cache[name] = data
            self._cache_size += len(data)
            while self._cache_size > _CACHE_MAX and len(self._cache) > 1:
                _, old = self._cache.popitem(last=False)
                self._cache_size -= len(old)
        return data

    def _ranged(
        self,
        request: Request,
        length: int,
        data: bytes | None,
        chunks: Callable[[], Iterator[bytes]] | None,
        headers: dict[str, str],
    ) -> Response:
        start, end = 0, length - 1
        status = 200
        rng = request.headers.get("range")
        if rng:
            mr = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", rng)
            if mr and (mr.group(1) or mr.group(2)):
                if mr.group(1):
                    start = int(mr.group(1))
                    end = min(int(mr.group(2)), length - 1) if mr.group(2) else length - 1
                else:
                    start = max(0, length - int(mr.group(2)))
                if start >= length or start > end:
                    return Response(b"", status_code=416, headers={"Content-Range": f"bytes */{length}"})
                status = 206
                headers["Content-Range"] = f"bytes {start}-{end}/{length}"
        n = end - start + 1 if length else 0
        headers["content-length"] = str(n)
        with self._lock:
            self._state.blob_downloads += 1
            self._state.blob_bytes += n if request.method == "GET" else 0
        if request.method == "HEAD":
            return Response(b"", status_code=status, headers=headers)
        if data is not None:
            return Response(data[start : end + 1], status_code=status, headers=headers)
        assert chunks is not None
        return StreamingResponse(_slices(chunks, start, end), status_code=status, headers=headers)


def _render(a: SimAction, c: SimCommand) -> bytes:
    """The blob of a completed command: a RunScript's JSON document, a GetFile's gzip bytes."""
    if c.type == CommandType.RUN_SCRIPT and c.plan is not None:
        out, err = c.plan.render()
        doc = {
            "script_name": c.plan.script_name,
            "exit_code": c.plan.exit_code,
            "script_output": out,
            "script_errors": err,
        }
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")
    if c.type == CommandType.GET_FILE and c.recipe is not None:
        return gzip_stream(file_bytes(c.recipe, a.machine))
    return b""


async def _slices(chunks: Callable[[], Iterator[bytes]], start: int, end: int) -> AsyncIterator[bytes]:
    """Bytes ``start..end`` of the streamed chunks, 256 KiB at a time so slow readers keep memory flat."""
    pos = 0
    for chunk in chunks():
        lo, hi = pos, pos + len(chunk)
        pos = hi
        if hi <= start:
            continue
        if lo > end:
            break
        piece = chunk[max(0, start - lo) : min(len(chunk), end + 1 - lo)]
        for k in range(0, len(piece), 262144):
            yield piece[k : k + 262144]


def _http_date(t: float) -> str:
    return email.utils.formatdate(t, usegmt=True)
