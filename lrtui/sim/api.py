"""The MDE API as an ASGI app: routing, auth and budgets. The endpoints live in the route classes
(``routes_machines``, ``routes_live_response``, ``routes_actions``, ``routes_library``); response helpers in
``responses``; the multipart parser in ``multipart``. Their public names are re-exported here."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from .asgi import serve_asgi
from .budgets import retry_after_header
from .multipart import parse_multipart
from .odata import Schema
from .responses import ERROR_CT, JSON_CT, HttpError, Responder
from .routes_actions import ACTION_FIELDS, ACTION_FILTER_FIELDS, GUID_RE, ActionRoutes
from .routes_library import LIB_NAME_RE, LibraryRoutes
from .routes_live_response import LR_PARAM_KEYS, LiveResponseRoutes
from .routes_machines import MACHINE_FIELDS, MACHINE_FILTER_FIELDS, MachineRoutes

if TYPE_CHECKING:
    from .simulator import Simulator

__all__ = [
    "build_api_app",
    "JSON_CT",
    "ERROR_CT",
    "MACHINE_FILTER_FIELDS",
    "ACTION_FILTER_FIELDS",
    # also re-exported from the modules the app was split into
    "ApiApp",
    "parse_multipart",
    "HttpError",
    "Responder",
    "MACHINE_FIELDS",
    "ACTION_FIELDS",
    "GUID_RE",
    "LIB_NAME_RE",
    "LR_PARAM_KEYS",
]

log = logging.getLogger("lrtui.sim")


class ApiApp(MachineRoutes, LiveResponseRoutes, ActionRoutes, LibraryRoutes):
    """Raw ASGI app (Starlette request/response objects, our own routing so 405s carry ``Allow``)."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        c = sim.config
        self.machine_schema = Schema(
            "microsoft.windowsDefenderATP.api.PublicMachine",
            MACHINE_FIELDS,
            MACHINE_FILTER_FIELDS,
            c.strict_filter_fields,
            getter=lambda r, n: r.wire.get(n),
        )
        self.action_schema = Schema(
            "microsoft.windowsDefenderATP.api.PublicMachineAction",
            ACTION_FIELDS,
            ACTION_FILTER_FIELDS,
            c.strict_filter_fields,
        )
        H = Callable[..., Awaitable[Response]]
        self.routes: list[tuple[str, re.Pattern[str], dict[str, H]]] = [
            ("machines", re.compile(r"^machines$", re.I), {"GET": self.list_machines}),
            ("machines/$count", re.compile(r"^machines/\$count$", re.I), {"GET": self.count_machines}),
            ("findbyip", re.compile(r"^machines/findbyip\((.*)\)$", re.I), {"GET": self.find_by_ip}),
            ("findbytag", re.compile(r"^machines/findbytag$", re.I), {"GET": self.find_by_tag}),
            (
                "runliveresponse",
                re.compile(r"^machines/([^/]+)/runliveresponse$", re.I),
                {"POST": self.run_live_response},
            ),
            ("machine", re.compile(r"^machines/([^/]+)$", re.I), {"GET": self.get_machine}),
            ("machineactions", re.compile(r"^machineactions$", re.I), {"GET": self.list_actions}),
            ("cancel", re.compile(r"^machineactions/([^/]+)/cancel$", re.I), {"POST": self.cancel_action}),
            (
                "resultlink",
                re.compile(r"^machineactions/([^/]+)/GetLiveResponseResultDownloadLink\(([^)]*)\)$", re.I),
                {"GET": self.result_link},
            ),
            ("machineaction", re.compile(r"^machineactions/([^/]+)$", re.I), {"GET": self.get_action}),
            (
                "libraryfiles",
                re.compile(r"^libraryfiles$", re.I),
                {"GET": self.list_library, "POST": self.upload_library},
            ),
            ("libraryfile", re.compile(r"^libraryfiles/([^/]+)$", re.I), {"DELETE": self.delete_library}),
        ]

    # ------------------------------------------------------------ plumbing

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        await serve_asgi(scope, receive, send, self.handle)

    async def handle(self, request: Request) -> Response:
        sim = self.sim
        st = sim.state
        path = request.url.path
        m = re.match(r"^/api(?:/v1\.0)?(?:/(.*?))?/?$", path, re.I)
        with sim.lock:
            st.requests_total += 1
        if not m:
            resp = self.error(404, "ResourceNotFound", f"The resource '{path}' was not found.")
            return self._count(resp, "other")
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
                return self._count(self.error(e.status, e.code, e.message, e.headers), name)
            except Exception:  # a simulator bug must look like a service hiccup, not kill the connection
                log.exception("simulator error while handling %s %s", request.method, path)
                return self._count(self.error(500, "InternalServerError", "An unexpected error occurred."), name)
        return self._count(self.error(404, "ResourceNotFound", f"The resource '{path}' was not found."), "other")

    def _count(self, resp: Response, endpoint: str) -> Response:
        st = self.sim.state
        with self.sim.lock:
            now = self.sim.now()
            st.status_counts[resp.status_code] += 1
            st.calls_per_minute[endpoint][int(now // 60)] += 1
            if resp.status_code == 429:
                st.throttled_count += 1
        return resp

    async def _dispatch(self, name: str, handler: Callable, request: Request, groups: tuple) -> Response:
        sim = self.sim
        self._auth(request)
        body = await request.body() if request.method.upper() in ("POST", "PUT", "PATCH") else b""
        with sim.lock:
            now = sim.advance()
            if name == "runliveresponse":
                sim.state.lr_post_count += 1
                wait = sim.lr_window.retry_after(now)
                if wait is not None:
                    sim.state.throttled_by_reason["lr_rate"] += 1
                    raise HttpError(
                        429,
                        "TooManyRequests",
                        f"Rate limit is exceeded: at most {sim.config.rate_calls} live response requests per "
                        f"{sim.lr_window.window_s:g} seconds. You can send requests again in {retry_after_header(wait)} seconds.",
                        self.retry_headers(wait, now),
                    )
                sim.lr_window.record(now)
            else:
                wm, wh = sim.general_windows(name)
                wait_m, wait_h = wm.retry_after(now), wh.retry_after(now)
                if wait_m is not None or wait_h is not None:
                    wait = max(w for w in (wait_m, wait_h) if w is not None)
                    sim.state.throttled_by_reason["general_hour" if wait_h is not None else "general_minute"] += 1
                    raise HttpError(
                        429,
                        "TooManyRequests",
                        f"Rate limit is exceeded. You can send requests again in {retry_after_header(wait)} seconds.",
                        self.retry_headers(wait, now),
                    )
                wm.record(now)
                wh.record(now)
            return await handler(request, now, body, *groups)

    def _auth(self, request: Request) -> None:
        sim = self.sim
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        token = token.strip()
        hdr = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        if scheme.lower() != "bearer" or not token:
            raise HttpError(
                401, "Unauthorized", "Authorization has been denied for this request: no bearer token.", hdr
            )
        if sim.config.require_token is not None and token != sim.config.require_token:
            raise HttpError(
                401, "Unauthorized", "Authorization has been denied for this request: the token is invalid.", hdr
            )
        ttl = sim.config.token_ttl_s
        if ttl is not None:
            with sim.lock:
                now = sim.now()
                first = sim.state.tokens_seen.setdefault(token, now)
            if now - first >= ttl:
                raise HttpError(
                    401,
                    "Unauthorized",
                    "Authorization has been denied for this request: the token has expired.",
                    {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="The token is expired"'},
                )


def build_api_app(sim: Simulator) -> ApiApp:
    return ApiApp(sim)
