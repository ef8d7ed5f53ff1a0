"""Machine endpoints: list (OData), ``$count``, one machine, ``findbyip`` and ``findbytag``."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from starlette.responses import Response

from ..clock import parse_iso
from ..odata import ODataError, Schema, compile_filter
from ..state import TenantState
from ..tenant import MachineRec
from .call import Call, Route
from .replies import HttpError, Replies, context_url

__all__ = ["MACHINE_FIELDS", "MACHINE_FILTER_FIELDS", "MachineRoutes", "machine_schema"]

MACHINE_FIELDS = {
    "id": "str",
    "computerDnsName": "str",
    "firstSeen": "datetime",
    "lastSeen": "datetime",
    "osPlatform": "str",
    "osVersion": "str",
    "osProcessor": "str",
    "osArchitecture": "str",
    "version": "str",
    "osBuild": "int",
    "agentVersion": "str",
    "lastIpAddress": "str",
    "lastExternalIpAddress": "str",
    "ipAddresses": "list",
    "healthStatus": "str",
    "onboardingStatus": "str",
    "riskScore": "str",
    "exposureLevel": "str",
    "deviceValue": "str",
    "rbacGroupId": "int",
    "rbacGroupName": "str",
    "aadDeviceId": "str",
    "isAadJoined": "bool",
    "machineTags": "list",
    "defenderAvStatus": "str",
    "managedBy": "str",
    "managedByStatus": "str",
    "mergedIntoMachineId": "str",
    "isPotentialDuplication": "bool",
    "isExcluded": "bool",
    "exclusionReason": "str",
    "vmMetadata": "object",
}
MACHINE_FILTER_FIELDS = {
    "computerDnsName",
    "id",
    "version",
    "deviceValue",
    "aadDeviceId",
    "machineTags",
    "lastSeen",
    "exposureLevel",
    "onboardingStatus",
    "lastIpAddress",
    "healthStatus",
    "osPlatform",
    "riskScore",
    "rbacGroupId",
}
_IP_WINDOW_S = 15 * 60
_FINDBYIP_USAGE = "findbyip(ip='10.1.2.3',timestamp=2024-06-01T08:00:00Z)"


def _wire_field(r: MachineRec, name: str) -> Any:
    return r.wire.get(name)


def machine_schema(strict: bool) -> Schema:
    """What ``$filter``/``$orderby``/``$select`` see of a machine (``strict``: only documented filter fields)."""
    return Schema(
        "microsoft.windowsDefenderATP.api.PublicMachine",
        MACHINE_FIELDS,
        MACHINE_FILTER_FIELDS,
        strict,
        getter=_wire_field,
    )


def _wire(r: MachineRec) -> dict[str, Any]:
    return r.wire


class MachineRoutes:
    def __init__(self, state: TenantState, replies: Replies, schema: Schema) -> None:
        self._state = state
        self._replies = replies
        self.schema = schema

    def routes(self) -> list[Route]:
        """In match order: the fixed names before ``machines/{id}``."""
        return [
            ("machines", re.compile(r"^machines$", re.I), {"GET": self.list}),
            ("machines/$count", re.compile(r"^machines/\$count$", re.I), {"GET": self.count}),
            ("findbyip", re.compile(r"^machines/findbyip\((.*)\)$", re.I), {"GET": self.find_by_ip}),
            ("findbytag", re.compile(r"^machines/findbytag$", re.I), {"GET": self.find_by_tag}),
            ("machine", re.compile(r"^machines/([^/]+)$", re.I), {"GET": self.get}),
        ]

    def list(self, call: Call) -> Response:
        machines = self._state.machines
        if not machines:
            raise HttpError(404, "ResourceNotFound", "No machines were found.")
        return self._replies.page(call.request, machines, self.schema, context_url(call.request, "Machines"), _wire)

    def count(self, call: Call) -> Response:
        flt = call.request.query_params.get("$filter")
        n = len(self._state.machines)
        if flt:
            try:
                pred = compile_filter(flt, self.schema)
            except ODataError as e:
                raise HttpError(400, "ODataError", str(e)) from None
            n = sum(1 for r in self._state.machines if pred(r))
        return Response(str(n).encode(), headers={"content-type": "text/plain; charset=utf-8", "OData-Version": "4.0"})

    def get(self, call: Call) -> Response:
        ref = call.args[0]
        m = self._state.machine(ref)
        if m is None:
            raise HttpError(404, "ResourceNotFound", f"Machine {ref} was not found")
        return self._replies.ok({"@odata.context": context_url(call.request, "Machines/$entity"), **m.wire})

    def find_by_ip(self, call: Call) -> Response:
        ip, ts = parse_findbyip_args(call.args[0], call.now)
        out = [r.wire for r in self._state.machines if had_ip(r, ip, ts)]
        return self._replies.ok({"@odata.context": context_url(call.request, "Machines"), "value": out})

    def find_by_tag(self, call: Call) -> Response:
        q = call.request.query_params
        tag = q.get("tag")
        if not tag:
            raise HttpError(400, "MissingRequiredParameter", "The 'tag' query parameter is required.")
        sw_raw = q.get("useStartsWithFilter", "false")
        if sw_raw.lower() not in ("true", "false"):
            raise HttpError(400, "InvalidInput", f"useStartsWithFilter must be true or false, not '{sw_raw}'.")
        sw = sw_raw.lower() == "true"
        t = tag.lower()
        out = [
            r.wire
            for r in self._state.machines
            if any((x.lower().startswith(t) if sw else x.lower() == t) for x in r.wire["machineTags"])
        ]
        return self._replies.ok({"@odata.context": context_url(call.request, "Machines"), "value": out})


def parse_findbyip_args(args: str, now: float) -> tuple[str, float]:
    """(ip, timestamp) from ``ip='..',timestamp=..``; the timestamp must be within the last 30 days."""
    mi = re.search(r"ip\s*=\s*'([^']*)'", args, re.I)
    mt = re.search(r"timestamp\s*=\s*'?([^',)\s]+)'?", args, re.I)
    if not mi:
        raise HttpError(400, "MissingRequiredParameter", f"The 'ip' parameter is required: {_FINDBYIP_USAGE}")
    if not mt:
        raise HttpError(400, "MissingRequiredParameter", f"The 'timestamp' parameter is required: {_FINDBYIP_USAGE}")
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
    return ip, ts


def had_ip(r: MachineRec, ip: str, ts: float) -> bool:
    """Whether machine ``r`` had address ``ip`` around ``ts`` (±15 min; DHCP reuse counts for its time)."""
    w = r.wire
    current = w["lastIpAddress"] == ip or any(
        a["ipAddress"] == ip and a["type"] not in ("SoftwareLoopback", "Loopback") for a in w["ipAddresses"]
    )
    if ts >= r.ip_since - _IP_WINDOW_S and current:
        return True
    return any(pip == ip and t0 - _IP_WINDOW_S <= ts <= t1 + _IP_WINDOW_S for pip, t0, t1 in r.prev_ips)
