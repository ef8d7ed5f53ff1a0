"""Machine endpoints: list (OData), ``$count``, one machine, ``findbyip`` and ``findbytag``."""

from __future__ import annotations

import ipaddress
import re

from starlette.requests import Request
from starlette.responses import Response

from .clock import parse_iso
from .odata import ODataError, Schema
from .responses import HttpError, Responder

__all__ = ["MACHINE_FIELDS", "MACHINE_FILTER_FIELDS", "MachineRoutes"]

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


class MachineRoutes(Responder):
    machine_schema: Schema

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
            raise HttpError(
                400,
                "MissingRequiredParameter",
                "The 'ip' parameter is required: findbyip(ip='10.1.2.3',timestamp=2024-06-01T08:00:00Z)",
            )
        if not mt:
            raise HttpError(
                400,
                "MissingRequiredParameter",
                "The 'timestamp' parameter is required: findbyip(ip='10.1.2.3',timestamp=2024-06-01T08:00:00Z)",
            )
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
            if ts >= r.ip_since - win and (
                w["lastIpAddress"] == ip
                or any(
                    a["ipAddress"] == ip and a["type"] not in ("SoftwareLoopback", "Loopback") for a in w["ipAddresses"]
                )
            ):
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
        out = [
            r.wire
            for r in self.sim.state.machines
            if any((x.lower().startswith(t) if sw else x.lower() == t) for x in r.wire["machineTags"])
        ]
        return self.ok({"@odata.context": self.ctx(request, "Machines"), "value": out})
