"""``runliveresponse``: request body validation (command types, params, order, library files) and the
checks that decide whether an action is created."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from lrtui.api.models import CommandType

from .budgets import retry_after_header
from .responses import HttpError, Responder

__all__ = ["LR_PARAM_KEYS", "LiveResponseRoutes"]

LR_PARAM_KEYS = {
    CommandType.PUT_FILE: ({"FileName"}, {"FileName"}),
    CommandType.RUN_SCRIPT: ({"ScriptName"}, {"ScriptName", "Args"}),
    CommandType.GET_FILE: ({"Path"}, {"Path"}),
}
_RANK = {CommandType.PUT_FILE: 0, CommandType.RUN_SCRIPT: 1, CommandType.GET_FILE: 2}
_MISSING = object()


class LiveResponseRoutes(Responder):
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
                    raise bad(
                        f"{where}: '{k}' is not a valid property name; property names are case-sensitive, use '{key}'."
                    )
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
                    raise bad(
                        f"{where}: '{typ}' is not a valid command type; use PutFile, RunScript or GetFile (case-sensitive)."
                    )
                typ = fixed
            params = field(c, "params", where)
            if params is _MISSING:
                raise bad(f"{where}: the 'params' field is required.")
            if not isinstance(params, list):
                raise bad(f'{where}: \'params\' must be an array of {{"key": ..., "value": ...}} objects.')
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
                        raise bad(
                            f"{pw}: '{k}' is not a valid parameter for {typ}; expected {', '.join(sorted(allowed))} (case-sensitive)."
                        )
                    k = fixed_k
                if k in seen:
                    raise bad(f"{pw}: parameter '{k}' is given twice.")
                seen[k] = v
            for r in sorted(required):
                if r not in seen or not seen[r].strip():
                    raise bad(f"{where}: {typ} requires the parameter '{r}'.")
            if prev_type is not None and _RANK[typ] < _RANK[prev_type]:  # type: ignore[index]
                raise bad(
                    f"{where}: commands must be ordered PutFile first, then RunScript, then GetFile; "
                    f"'{typ}' cannot follow '{prev_type}'."
                )
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
            raise HttpError(
                400,
                "OsPlatformNotSupported",
                f"Live response is not supported on {m.wire.get('osPlatform')}; supported: Windows 10/11, "
                "Windows Server 2012 R2 and later, macOS, Linux.",
            )
        if m.agent_too_old:
            raise HttpError(
                400,
                "ClientVersionNotSupported",
                f"The sensor version {m.wire.get('agentVersion')} on this device does not support live response; update it.",
            )
        if m.server and not sim.config.live_response_servers:
            raise HttpError(
                403, "DisabledFeature", "Live response for servers is turned off in the tenant's advanced features."
            )
        group = sim.group_of(m)
        if not group.remediation_level:
            raise HttpError(
                403,
                "DisallowedOperation",
                f"This device has no automation level assigned to it (device group '{group.name}'). "
                "Assign an automation level to the device group to run live response.",
            )
        if m.id in sim.state.portal_sessions or m.id in sim.state.active_by_machine:
            raise HttpError(400, "ActiveRequestAlreadyExists", "Action is already in progress")
        if sim.active_sessions() >= sim.config.max_sessions:
            sim.state.throttled_by_reason["sessions"] += 1
            w = max(1.0, sim.clock.scaled(30.0))
            wait = retry_after_header(w)
            raise HttpError(
                429,
                "TooManyRequests",
                f"Too many requests: the limit of {sim.config.max_sessions} concurrent live response sessions "
                f"has been reached. You can send requests again in {wait} seconds.",
                self.retry_headers(w, now),
            )
        a = sim.create_action(m, comment, commands, now)
        sim.state.lr_created_count += 1
        body = {
            "@odata.context": self.ctx(request, "MachineActions/$entity"),
            **a.to_wire(empty_commands=sim.config.quirk_empty_commands),
        }
        return self.ok(body, status=201)
