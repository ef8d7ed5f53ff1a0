"""The MDE API as an ASGI app: our own routing (so a 405 carries ``Allow``), auth and budgets through the
:class:`~.gate.Gate`, then the handler of the route; every answer is counted per endpoint and minute."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from ..asgi import Receive, Scope, Send, serve_asgi
from ..clock import SimClock
from ..state import TenantState
from .call import Call, Route
from .gate import Gate
from .replies import HttpError, Replies

__all__ = ["ApiApp"]

log = logging.getLogger("lrtui.sim")
_API_PATH = re.compile(r"^/api(?:/v1\.0)?(?:/(.*?))?/?$", re.I)


class ApiApp:
    """Raw ASGI app (Starlette request/response objects). ``advance()`` brings the tenant up to now and returns it."""

    def __init__(
        self,
        routes: list[Route],
        *,
        gate: Gate,
        replies: Replies,
        state: TenantState,
        lock: threading.RLock,
        clock: SimClock,
        advance: Callable[[], float],
    ) -> None:
        self.routes = routes
        self._gate = gate
        self._replies = replies
        self._state = state
        self._lock = lock
        self._clock = clock
        self._advance = advance

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await serve_asgi(scope, receive, send, self.handle)

    async def handle(self, request: Request) -> Response:
        path = request.url.path
        m = _API_PATH.match(path)
        with self._lock:
            self._state.requests_total += 1
        if not m:
            return self._count(self._not_found(path), "other")
        rest = m.group(1) or ""
        for name, rx, methods in self.routes:
            mm = rx.match(rest)
            if not mm:
                continue
            handler = methods.get(request.method.upper())
            if handler is None:
                allow = ", ".join(sorted(methods))
                return self._count(Response(b"", status_code=405, headers={"Allow": allow}), name)
            try:
                return self._count(await self._dispatch(name, handler, request, mm.groups()), name)
            except HttpError as e:
                return self._count(self._replies.error(e.status, e.code, e.message, e.headers), name)
            except Exception:  # a simulator bug must look like a service hiccup, not kill the connection
                log.exception("simulator error while handling %s %s", request.method, path)
                error = self._replies.error(500, "InternalServerError", "An unexpected error occurred.")
                return self._count(error, name)
        return self._count(self._not_found(path), "other")

    def _not_found(self, path: str) -> Response:
        return self._replies.error(404, "ResourceNotFound", f"The resource '{path}' was not found.")

    def _count(self, resp: Response, endpoint: str) -> Response:
        st = self._state
        with self._lock:
            now = self._clock.now()
            st.status_counts[resp.status_code] += 1
            st.calls_per_minute[endpoint][int(now // 60)] += 1
            if resp.status_code == 429:
                st.throttled_count += 1
        return resp

    async def _dispatch(
        self, name: str, handler: Callable[[Call], Response], request: Request, groups: tuple[str, ...]
    ) -> Response:
        self._gate.authenticate(request)
        body = await request.body() if request.method.upper() in ("POST", "PUT", "PATCH") else b""
        with self._lock:
            now = self._advance()
            self._gate.admit(name, now)
            return handler(Call(request, now, body, groups))
