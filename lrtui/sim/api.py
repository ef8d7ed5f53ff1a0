"""The MDE API as an ASGI app: routing, auth, budgets, OData and every endpoint the app uses."""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import re
from typing import TYPE_CHECKING, Any, Awaitable, Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from lrtui.api.models import CommandStatus, CommandType

from .budgets import retry_after_header
from .clock import iso7, parse_iso
from .odata import ODataError, Schema, make_skiptoken, parse_query_options, run_query, select_fields

if TYPE_CHECKING:
    from .simulator import Simulator

__all__ = ["build_api_app", "JSON_CT", "ERROR_CT", "MACHINE_FILTER_FIELDS", "ACTION_FILTER_FIELDS"]

log = logging.getLogger("lrtui.sim")

JSON_CT = "application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8"
ERROR_CT = "application/json; charset=utf-8"
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
LIB_NAME_RE = re.compile(r"^[A-Za-z0-9._-]+$")

MACHINE_FIELDS = {
    "id": "str", "computerDnsName": "str", "firstSeen": "datetime", "lastSeen": "datetime", "osPlatform": "str",
    "osVersion": "str", "osProcessor": "str", "osArchitecture": "str", "version": "str", "osBuild": "int",
    "agentVersion": "str", "lastIpAddress": "str", "lastExternalIpAddress": "str", "ipAddresses": "list",
    "healthStatus": "str", "onboardingStatus": "str", "riskScore": "str", "exposureLevel": "str",
    "deviceValue": "str", "rbacGroupId": "int", "rbacGroupName": "str", "aadDeviceId": "str", "isAadJoined": "bool",
    "machineTags": "list", "defenderAvStatus": "str", "managedBy": "str", "managedByStatus": "str",
    "mergedIntoMachineId": "str", "isPotentialDuplication": "bool", "isExcluded": "bool", "exclusionReason": "str",
    "vmMetadata": "object",
}
MACHINE_FILTER_FIELDS = {"computerDnsName", "id", "version", "deviceValue", "aadDeviceId", "machineTags", "lastSeen",
                         "exposureLevel", "onboardingStatus", "lastIpAddress", "healthStatus", "osPlatform",
                         "riskScore", "rbacGroupId"}
ACTION_FIELDS = {
    "id": "str", "type": "str", "title": "str", "scope": "str", "requestor": "str", "requestorComment": "str",
    "requestSource": "str", "externalId": "str", "status": "str", "machineId": "str", "computerDnsName": "str",
    "creationDateTimeUtc": "datetime", "lastUpdateDateTimeUtc": "datetime", "cancellationRequestor": "str",
    "cancellationComment": "str", "cancellationDateTimeUtc": "datetime", "errorHResult": "int",
    "relatedFileInfo": "object", "troubleshootInfo": "object", "commands": "list",
}
ACTION_FILTER_FIELDS = {"id", "status", "machineId", "type", "requestor", "creationDateTimeUtc"}
LR_PARAM_KEYS = {CommandType.PUT_FILE: ({"FileName"}, {"FileName"}),
                 CommandType.RUN_SCRIPT: ({"ScriptName"}, {"ScriptName", "Args"}),
                 CommandType.GET_FILE: ({"Path"}, {"Path"})}
_RANK = {CommandType.PUT_FILE: 0, CommandType.RUN_SCRIPT: 1, CommandType.GET_FILE: 2}


class HttpError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class ApiApp:
    """Raw ASGI app (Starlette request/response objects, our own routing so 405s carry ``Allow``)."""

    def __init__(self, sim: "Simulator") -> None:
        self.sim = sim
        c = sim.config
        self.machine_schema = Schema("microsoft.windowsDefenderATP.api.PublicMachine", MACHINE_FIELDS,
                                     MACHINE_FILTER_FIELDS, c.strict_filter_fields, getter=lambda r, n: r.wire.get(n))
        self.action_schema = Schema("microsoft.windowsDefenderATP.api.PublicMachineAction", ACTION_FIELDS,
                                    ACTION_FILTER_FIELDS, c.strict_filter_fields)
        H = Callable[..., Awaitable[Response]]
        self.routes: list[tuple[str, re.Pattern[str], dict[str, H]]] = [
            ("machines", re.compile(r"^machines$", re.I), {"GET": self.list_machines}),
            ("machines/$count", re.compile(r"^machines/\$count$", re.I), {"GET": self.count_machines}),
            ("findbyip", re.compile(r"^machines/findbyip\((.*)\)$", re.I), {"GET": self.find_by_ip}),
            ("findbytag", re.compile(r"^machines/findbytag$", re.I), {"GET": self.find_by_tag}),
            ("runliveresponse", re.compile(r"^machines/([^/]+)/runliveresponse$", re.I), {"POST": self.run_live_response}),
            ("machine", re.compile(r"^machines/([^/]+)$", re.I), {"GET": self.get_machine}),
            ("machineactions", re.compile(r"^machineactions$", re.I), {"GET": self.list_actions}),
            ("cancel", re.compile(r"^machineactions/([^/]+)/cancel$", re.I), {"POST": self.cancel_action}),
            ("resultlink", re.compile(r"^machineactions/([^/]+)/GetLiveResponseResultDownloadLink\(([^)]*)\)$", re.I),
             {"GET": self.result_link}),
            ("machineaction", re.compile(r"^machineactions/([^/]+)$", re.I), {"GET": self.get_action}),
            ("libraryfiles", re.compile(r"^libraryfiles$", re.I), {"GET": self.list_library, "POST": self.upload_library}),
            ("libraryfile", re.compile(r"^libraryfiles/([^/]+)$", re.I), {"DELETE": self.delete_library}),
        ]

    # ------------------------------------------------------------ plumbing

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    def error(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
        rid = self.sim.request_id()
        body = {"error": {"code": code, "message": message, "target": rid}}
        h = {"request-id": rid.strip("|.")}
        h.update(headers or {})
        return Response(_dumps(body), status_code=status, media_type=None, headers={**h, "content-type": ERROR_CT})

    def ok(self, body: Any, status: int = 200) -> Response:
        return Response(_dumps(body), status_code=status, headers={"content-type": JSON_CT, "OData-Version": "4.0",
                                                                   "request-id": self.sim.request_id().strip("|.")})

    def retry_headers(self, wait: float, now: float) -> dict[str, str]:
        """``Retry-After`` as configured: seconds (default), an HTTP date, or missing."""
        style = self.sim.config.retry_after_style
        if style == "missing":
            return {}
        if style == "http-date":
            import email.utils

            return {"Retry-After": email.utils.formatdate(math.ceil(now + wait), usegmt=True)}
        return {"Retry-After": retry_after_header(wait)}

    def base(self, request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def ctx(self, request: Request, what: str) -> str:
        return f"{self.base(request)}/api/$metadata#{what}"

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
                    raise HttpError(429, "TooManyRequests",
                                    f"Rate limit is exceeded: at most {sim.config.rate_calls} live response requests per "
                                    f"{sim.lr_window.window_s:g} seconds. You can send requests again in {retry_after_header(wait)} seconds.",
                                    self.retry_headers(wait, now))
                sim.lr_window.record(now)
            else:
                wm, wh = sim.general_windows(name)
                wait_m, wait_h = wm.retry_after(now), wh.retry_after(now)
                if wait_m is not None or wait_h is not None:
                    wait = max(w for w in (wait_m, wait_h) if w is not None)
                    sim.state.throttled_by_reason["general_hour" if wait_h is not None else "general_minute"] += 1
                    raise HttpError(429, "TooManyRequests",
                                    f"Rate limit is exceeded. You can send requests again in {retry_after_header(wait)} seconds.",
                                    self.retry_headers(wait, now))
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
            raise HttpError(401, "Unauthorized", "Authorization has been denied for this request: no bearer token.", hdr)
        if sim.config.require_token is not None and token != sim.config.require_token:
            raise HttpError(401, "Unauthorized", "Authorization has been denied for this request: the token is invalid.", hdr)
        ttl = sim.config.token_ttl_s
        if ttl is not None:
            with sim.lock:
                now = sim.now()
                first = sim.state.tokens_seen.setdefault(token, now)
            if now - first >= ttl:
                raise HttpError(401, "Unauthorized", "Authorization has been denied for this request: the token has expired.",
                                {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="The token is expired"'})

    # ------------------------------------------------------------ machines

    def _page(self, request: Request, items: list[Any], schema: Schema, ctx: str, to_wire: Callable[[Any], dict]) -> Response:
        try:
            opts = parse_query_options(request.query_params.multi_items(), schema, max_top=self.sim.config.max_top)
            res = run_query(items, opts, schema, page_size=self.sim.config.page_size)
        except ODataError as e:
            raise HttpError(400, "ODataError", str(e)) from None
        body: dict[str, Any] = {"@odata.context": ctx}
        if res.count is not None:
            body["@odata.count"] = res.count
        body["value"] = [select_fields(to_wire(x), opts.select) for x in res.items]
        if res.next_skip is not None:
            tok = make_skiptoken(opts, res.next_skip, res.remaining_top)
            body["@odata.nextLink"] = f"{self.base(request)}{request.url.path}?$skiptoken={tok}"
        return self.ok(body)

    async def list_machines(self, request: Request, now: float, body: bytes) -> Response:
        machines = self.sim.state.machines
        if not machines:
            raise HttpError(404, "NotFound", "No machines were found.")
        return self._page(request, machines, self.machine_schema, self.ctx(request, "Machines"), lambda r: r.wire)

    async def count_machines(self, request: Request, now: float, body: bytes) -> Response:
        flt = request.query_params.get("$filter")
        n = len(self.sim.state.machines)
        if flt:
            from .odata import compile_filter
            try:
                pred = compile_filter(flt, self.machine_schema)
            except ODataError as e:
                raise HttpError(400, "ODataError", str(e)) from None
            n = sum(1 for r in self.sim.state.machines if pred(r))
        return Response(str(n).encode(), headers={"content-type": "text/plain; charset=utf-8", "OData-Version": "4.0"})

    async def get_machine(self, request: Request, now: float, body: bytes, ref: str) -> Response:
        m = self.sim.state.machine(ref)
        if m is None:
            raise HttpError(404, "NotFound", f"Machine {ref} was not found")
        return self.ok({"@odata.context": self.ctx(request, "Machines/$entity"), **m.wire})

    async def find_by_ip(self, request: Request, now: float, body: bytes, args: str) -> Response:
        mi = re.search(r"ip\s*=\s*'([^']*)'", args, re.I)
        mt = re.search(r"timestamp\s*=\s*'?([^',)\s]+)'?", args, re.I)
        if not mi:
            raise HttpError(400, "MissingRequiredParameter", "The 'ip' parameter is required: findbyip(ip='10.1.2.3',timestamp=2024-06-01T08:00:00Z)")
        if not mt:
            raise HttpError(400, "MissingRequiredParameter", "The 'timestamp' parameter is required: findbyip(ip='10.1.2.3',timestamp=2024-06-01T08:00:00Z)")
        ip = mi.group(1)
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise HttpError(400, "InvalidIpAddress", f"'{ip}' is not a valid IP address") from None
        try:
            ts = parse_iso(mt.group(1))
        except ValueError:
            raise HttpError(400, "InvalidInput", f"'{mt.group(1)}' is not a valid timestamp") from None
        if ts < now - 30 * 86400:
            raise HttpError(400, "BadRequest", "The timestamp must be within the last 30 days.")
        win = 15 * 60
        out = []
        for r in self.sim.state.machines:
            w = r.wire
            hit = False
            if ts >= r.ip_since - win and (w["lastIpAddress"] == ip or any(
                    a["ipAddress"] == ip and a["type"] not in ("SoftwareLoopback", "Loopback") for a in w["ipAddresses"])):
                hit = True
            for pip, t0, t1 in r.prev_ips:
                if pip == ip and t0 - win <= ts <= t1 + win:
                    hit = True
            if hit:
                out.append(w)
        return self.ok({"@odata.context": self.ctx(request, "Machines"), "value": out})

    async def find_by_tag(self, request: Request, now: float, body: bytes) -> Response:
        tag = request.query_params.get("tag")
        if not tag:
            raise HttpError(400, "MissingRequiredParameter", "The 'tag' query parameter is required.")
        sw_raw = request.query_params.get("useStartsWithFilter", "false")
        if sw_raw.lower() not in ("true", "false"):
            raise HttpError(400, "InvalidInput", f"useStartsWithFilter must be true or false, not '{sw_raw}'.")
        sw = sw_raw.lower() == "true"
        t = tag.lower()
        out = [r.wire for r in self.sim.state.machines
               if any((x.lower().startswith(t) if sw else x.lower() == t) for x in r.wire["machineTags"])]
        return self.ok({"@odata.context": self.ctx(request, "Machines"), "value": out})

    # ------------------------------------------------------------ live response

    def _validate_lr(self, raw: bytes) -> tuple[str | None, list[dict[str, Any]]]:
        lenient = self.sim.config.lenient_case

        def bad(msg: str) -> HttpError:
            return HttpError(400, "InvalidRequestBody", msg)

        try:
            body = json.loads(raw) if raw.strip() else None
        except (ValueError, UnicodeDecodeError):
            raise bad("The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise bad("The request body must be a JSON object with 'Comment' and 'Commands'.")

        def field(obj: dict, key: str, where: str) -> Any:
            if key in obj:
                return obj[key]
            for k in obj:
                if k.lower() == key.lower():
                    if lenient:
                        return obj[k]
                    raise bad(f"{where}: '{k}' is not a valid property name; property names are case-sensitive, use '{key}'.")
            return _MISSING

        commands = field(body, "Commands", "Request body")
        if commands is _MISSING:
            raise bad("The Commands field is required.")
        comment = field(body, "Comment", "Request body")
        if comment is _MISSING:
            raise bad("The Comment field is required.")
        if comment is not None and not isinstance(comment, str):
            raise bad("The Comment field must be a string.")
        if not isinstance(commands, list) or not commands:
            raise bad("Commands must be a non-empty array of commands.")
        out: list[dict[str, Any]] = []
        prev_type: str | None = None
        lib = self.sim.state.library
        for i, c in enumerate(commands):
            where = f"Commands[{i}]"
            if not isinstance(c, dict):
                raise bad(f"{where} must be an object with 'type' and 'params'.")
            typ = field(c, "type", where)
            if typ is _MISSING:
                raise bad(f"{where}: the 'type' field is required.")
            if not isinstance(typ, str):
                raise bad(f"{where}: 'type' must be a string (PutFile, RunScript or GetFile).")
            if typ not in LR_PARAM_KEYS:
                fixed = next((t for t in LR_PARAM_KEYS if isinstance(typ, str) and t.lower() == typ.lower()), None)
                if not (lenient and fixed):
                    raise bad(f"{where}: '{typ}' is not a valid command type; use PutFile, RunScript or GetFile (case-sensitive).")
                typ = fixed
            params = field(c, "params", where)
            if params is _MISSING:
                raise bad(f"{where}: the 'params' field is required.")
            if not isinstance(params, list):
                raise bad(f"{where}: 'params' must be an array of {{\"key\": ..., \"value\": ...}} objects.")
            required, allowed = LR_PARAM_KEYS[typ]
            seen: dict[str, str] = {}
            for j, p in enumerate(params):
                pw = f"{where}.params[{j}]"
                if not isinstance(p, dict):
                    raise bad(f"{pw} must be an object with 'key' and 'value'.")
                k = field(p, "key", pw)
                v = field(p, "value", pw)
                if k is _MISSING or v is _MISSING:
                    raise bad(f"{pw} needs both 'key' and 'value'.")
                if not isinstance(k, str) or not isinstance(v, str):
                    raise bad(f"{pw}: 'key' and 'value' must be strings.")
                if k not in allowed:
                    fixed_k = next((a for a in allowed if a.lower() == k.lower()), None)
                    if not (lenient and fixed_k):
                        raise bad(f"{pw}: '{k}' is not a valid parameter for {typ}; expected {', '.join(sorted(allowed))} (case-sensitive).")
                    k = fixed_k
                if k in seen:
                    raise bad(f"{pw}: parameter '{k}' is given twice.")
                seen[k] = v
            for r in sorted(required):
                if r not in seen or not seen[r].strip():
                    raise bad(f"{where}: {typ} requires the parameter '{r}'.")
            if prev_type is not None and _RANK[typ] < _RANK[prev_type]:  # type: ignore[index]
                raise bad(f"{where}: commands must be ordered PutFile first, then RunScript, then GetFile; "
                          f"'{typ}' cannot follow '{prev_type}'.")
            prev_type = typ
            if typ == CommandType.PUT_FILE and seen["FileName"] not in lib:
                raise bad(f"{where}: the file '{seen['FileName']}' was not found in the library.")
            if typ == CommandType.RUN_SCRIPT and seen["ScriptName"] not in lib:
                raise bad(f"{where}: the script '{seen['ScriptName']}' was not found in the library.")
            out.append({"type": str(typ), "params": [{"key": k, "value": v} for k, v in seen.items()]})
        return comment, out

    async def run_live_response(self, request: Request, now: float, raw: bytes, ref: str) -> Response:
        sim = self.sim
        comment, commands = self._validate_lr(raw)
        m = sim.state.by_id.get(ref.lower())
        if m is None:
            raise HttpError(404, "NotFound", f"Machine {ref} was not found")
        if not m.supported:
            raise HttpError(400, "OsPlatformNotSupported",
                            f"Live response is not supported on {m.wire.get('osPlatform')}; supported: Windows 10/11, "
                            "Windows Server 2012 R2 and later, macOS, Linux.")
        if m.agent_too_old:
            raise HttpError(400, "ClientVersionNotSupported",
                            f"The sensor version {m.wire.get('agentVersion')} on this device does not support live response; update it.")
        if m.server and not sim.config.live_response_servers:
            raise HttpError(403, "DisabledFeature", "Live response for servers is turned off in the tenant's advanced features.")
        group = sim.group_of(m)
        if not group.remediation_level:
            raise HttpError(403, "DisallowedOperation",
                            f"This device has no automation level assigned to it (device group '{group.name}'). "
                            "Assign an automation level to the device group to run live response.")
        if m.id in sim.state.portal_sessions or m.id in sim.state.active_by_machine:
            raise HttpError(400, "ActiveRequestAlreadyExists", "Action is already in progress")
        if sim.active_sessions() >= sim.config.max_sessions:
            sim.state.throttled_by_reason["sessions"] += 1
            w = max(1.0, sim.clock.scaled(30.0))
            wait = retry_after_header(w)
            raise HttpError(429, "TooManyRequests",
                            f"Too many requests: the limit of {sim.config.max_sessions} concurrent live response sessions "
                            f"has been reached. You can send requests again in {wait} seconds.", self.retry_headers(w, now))
        a = sim.create_action(m, comment, commands, now)
        sim.state.lr_created_count += 1
        body = {"@odata.context": self.ctx(request, "MachineActions/$entity"),
                **a.to_wire(empty_commands=sim.config.quirk_empty_commands)}
        return self.ok(body, status=201)

    # ------------------------------------------------------------ machine actions

    def _action(self, ref: str, now: float, *, fresh_quirk: bool = False):
        if not GUID_RE.match(ref):
            raise HttpError(400, "BadRequest",
                            f"The key value '{ref}' is not valid for the key 'id': the value should be of type 'Edm.Guid'.")
        a = self.sim.state.actions.get(ref.lower())
        if a is None:
            raise HttpError(404, "NotFound", f"MachineAction {ref} was not found")
        q = self.sim.config.quirk_fresh_404_s
        if fresh_quirk and q and now - a.created < q:
            raise HttpError(404, "NotFound", f"MachineAction {ref} was not found")
        return a

    async def get_action(self, request: Request, now: float, body: bytes, ref: str) -> Response:
        a = self._action(ref, now, fresh_quirk=True)
        return self.ok({"@odata.context": self.ctx(request, "MachineActions/$entity"), **a.to_wire()})

    async def list_actions(self, request: Request, now: float, body: bytes) -> Response:
        wires = [a.to_wire() for a in self.sim.state.actions.values()]
        return self._page(request, wires, self.action_schema, self.ctx(request, "MachineActions"), lambda w: w)

    async def cancel_action(self, request: Request, now: float, raw: bytes, ref: str) -> Response:
        a = self._action(ref, now)
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            raise HttpError(400, "InvalidRequestBody", "The request body is not valid JSON.") from None
        if not isinstance(body, dict) or "Comment" not in body:
            wrong = next((k for k in body if k.lower() == "comment"), None) if isinstance(body, dict) else None
            if wrong and self.sim.config.lenient_case:
                body = {"Comment": body[wrong]}
            elif wrong:
                raise HttpError(400, "InvalidRequestBody", f"'{wrong}' is not a valid property name; property names are case-sensitive, use 'Comment'.")
            else:
                raise HttpError(400, "InvalidRequestBody", "The Comment field is required.")
        if body.get("Comment") is not None and not isinstance(body.get("Comment"), str):
            raise HttpError(400, "InvalidRequestBody", "The Comment field must be a string.")
        if a.is_final:
            raise HttpError(400, "BadRequest", f"Action {a.id} is already in a final state ({a.status}) and cannot be cancelled.")
        a.cancel(now, self.sim.config.app_name, body.get("Comment"))
        return self.ok({"@odata.context": self.ctx(request, "MachineActions/$entity"), **a.to_wire()})

    async def result_link(self, request: Request, now: float, body: bytes, ref: str, args: str) -> Response:
        a = self._action(ref, now)
        mi = re.fullmatch(r"\s*index\s*=\s*(-?\d+)\s*", args, re.I)
        if not mi:
            raise HttpError(400, "BadRequest", f"'{args}' is not a valid argument; use GetLiveResponseResultDownloadLink(index=0).")
        idx = int(mi.group(1))
        if a.type != "LiveResponse":
            raise HttpError(400, "BadRequest", f"Action {a.id} is a {a.type} action and has no live response results.")
        if not 0 <= idx < len(a.commands):
            raise HttpError(400, "BadRequest", f"Command index {idx} is out of range: the action has {len(a.commands)} command(s).")
        c = a.commands[idx]
        if c.type == CommandType.PUT_FILE:
            raise HttpError(400, "BadRequest", f"Command {idx} is a PutFile command, which produces no result.")
        if c.status == CommandStatus.FAILED:
            raise HttpError(400, "BadRequest", f"Command {idx} failed ({'; '.join(c.errors)}); it has no result.")
        if c.status != CommandStatus.COMPLETED:
            raise HttpError(400, "BadRequest", f"Command {idx} has not completed yet (status {c.status}); try again later.")
        name = self.sim.blob_name(a.id, idx)
        tenant = self.sim.config.tenant_id.split("-")[0]
        path = f"/investigation-actions-data/{tenant}/CustomPlaybookCommandOutput/{name}"
        ttl = max(self.sim.clock.scaled(self.sim.config.link_ttl_s), self.sim.config.link_min_ttl_s)
        expiry = math.ceil(now + ttl)  # SAS expiry has whole seconds: round up, never shorten the link
        se = iso7(expiry)[:19] + "Z"  # type: ignore[index]
        st = (iso7(now - 300) or "")[:19] + "Z"
        sig = self.sim.sign(path, se)
        blob_base = self.sim.blob_base_url
        if self.sim.blob_port_for_request_host and request.url.hostname:
            h = request.url.hostname
            blob_base = f"http://{'[' + h + ']' if ':' in h else h}:{self.sim.blob_port_for_request_host}"
        url = (f"{blob_base}{path}?sv=2020-08-04&st={quote(st, safe='')}&se={quote(se, safe='')}"
               f"&sr=b&sp=r&sig={quote(sig, safe='')}")
        return self.ok({"@odata.context": self.ctx(request, "Edm.String"), "value": url})

    # ------------------------------------------------------------ library

    async def list_library(self, request: Request, now: float, body: bytes) -> Response:
        items = [it.to_wire(iso7) for it in self.sim.state.library.values()]
        return self.ok({"@odata.context": self.ctx(request, "LibraryFiles"), "value": items})

    async def upload_library(self, request: Request, now: float, raw: bytes) -> Response:
        from .library import LibraryItem

        sim = self.sim
        ctype = request.headers.get("content-type", "")
        if "multipart/form-data" not in ctype.lower():
            raise HttpError(400, "InvalidRequestBody", "The request must be multipart/form-data with a 'file' part.")
        try:
            parts = parse_multipart(raw, ctype)
        except ValueError as e:
            raise HttpError(400, "InvalidRequestBody", f"The multipart body is malformed: {e}") from None
        low = {k.lower(): v for k, v in parts.items()}
        f = low.get("file")
        if f is None or f[0] is None:
            raise HttpError(400, "InvalidRequestBody", "The 'file' part (with a file name) is required.")
        fname, content = f
        fname = re.split(r"[\\/]", fname)[-1]
        if not LIB_NAME_RE.match(fname):
            raise HttpError(400, "InvalidRequestBody",
                            f"The file name '{fname}' is not valid: use only letters, digits, '-', '_' and '.'.")
        if len(content) > sim.config.library_max_bytes:
            raise HttpError(400, "InvalidRequestBody",
                            f"The file is {len(content)} bytes; the maximum is {sim.config.library_max_bytes // (1024 * 1024)} MB.")

        def text(key: str, default: str = "") -> str:
            v = low.get(key.lower())
            return v[1].decode("utf-8", "replace") if v else default

        def boolean(key: str) -> bool:
            v = text(key, "false").strip().lower()
            if v not in ("true", "false", ""):
                raise HttpError(400, "InvalidRequestBody", f"{key} must be 'true' or 'false', not '{v}'.")
            return v == "true"

        has_params = boolean("HasParameters")
        override = boolean("OverrideIfExists")
        with sim.lock:
            existing = sim.state.library.get(fname)
            if existing is not None and not override:
                raise HttpError(400, "BadRequest",
                                f"A file named '{fname}' already exists in the library. Set OverrideIfExists to replace it.")
            item = LibraryItem(fname, content, text("Description") or None, text("ParametersDescription") or None,
                               has_params, created_by=existing.created_by if existing else sim.config.app_name,
                               creation_time=existing.creation_time if existing else now, last_updated_time=now)
            sim.state.library[fname] = item
        return self.ok({"@odata.context": self.ctx(request, "LibraryFiles/$entity"), **item.to_wire(iso7)})

    async def delete_library(self, request: Request, now: float, body: bytes, name: str) -> Response:
        if name not in self.sim.state.library:
            raise HttpError(404, "NotFound", f"Library file {name} was not found")
        del self.sim.state.library[name]
        return Response(b"", status_code=204)


_MISSING = object()


def parse_multipart(body: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """Minimal multipart/form-data parser: name -> (filename or None, bytes)."""
    m = re.search(r'boundary="?([^";]+)"?', content_type, re.I)
    if not m:
        raise ValueError("no boundary in Content-Type")
    boundary = b"--" + m.group(1).encode("latin-1")
    out: dict[str, tuple[str | None, bytes]] = {}
    chunks = body.split(boundary)
    if len(chunks) < 3:
        raise ValueError("no parts")
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("a part has no header/body separator")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        headers = head.decode("utf-8", "replace")
        cd = re.search(r"content-disposition:\s*form-data\s*;(.*)", headers, re.I)
        if not cd:
            raise ValueError("a part has no Content-Disposition")
        nm = re.search(r'(?<![a-z*])name="([^"]*)"', cd.group(1), re.I)
        fn = re.search(r'filename="([^"]*)"', cd.group(1), re.I)
        if not nm:
            raise ValueError("a part has no name")
        out[nm.group(1)] = (fn.group(1) if fn else None, data)
    return out


def build_api_app(sim: "Simulator") -> ApiApp:
    return ApiApp(sim)
