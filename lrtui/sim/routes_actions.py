"""Machine action endpoints: one action, the list (OData), cancel and the result download link."""

from __future__ import annotations

import json
import math
import re
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from lrtui.api.models import CommandStatus, CommandType

from .clock import iso7
from .odata import Schema
from .responses import HttpError, Responder

__all__ = ["ACTION_FIELDS", "ACTION_FILTER_FIELDS", "GUID_RE", "ActionRoutes"]

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ACTION_FIELDS = {
    "id": "str",
    "type": "str",
    "title": "str",
    "scope": "str",
    "requestor": "str",
    "requestorComment": "str",
    "requestSource": "str",
    "externalId": "str",
    "status": "str",
    "machineId": "str",
    "computerDnsName": "str",
    "creationDateTimeUtc": "datetime",
    "lastUpdateDateTimeUtc": "datetime",
    "cancellationRequestor": "str",
    "cancellationComment": "str",
    "cancellationDateTimeUtc": "datetime",
    "errorHResult": "int",
    "relatedFileInfo": "object",
    "troubleshootInfo": "object",
    "commands": "list",
}
ACTION_FILTER_FIELDS = {"id", "status", "machineId", "type", "requestor", "creationDateTimeUtc"}


class ActionRoutes(Responder):
    action_schema: Schema

    def _action(self, ref: str, now: float, *, fresh_quirk: bool = False):
        if not GUID_RE.match(ref):
            raise HttpError(
                400,
                "BadRequest",
                f"The key value '{ref}' is not valid for the key 'id': the value should be of type 'Edm.Guid'.",
            )
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
                raise HttpError(
                    400,
                    "InvalidRequestBody",
                    f"'{wrong}' is not a valid property name; property names are case-sensitive, use 'Comment'.",
                )
            else:
                raise HttpError(400, "InvalidRequestBody", "The Comment field is required.")
        if body.get("Comment") is not None and not isinstance(body.get("Comment"), str):
            raise HttpError(400, "InvalidRequestBody", "The Comment field must be a string.")
        if a.is_final:
            raise HttpError(
                400, "BadRequest", f"Action {a.id} is already in a final state ({a.status}) and cannot be cancelled."
            )
        a.cancel(now, self.sim.config.app_name, body.get("Comment"))
        return self.ok({"@odata.context": self.ctx(request, "MachineActions/$entity"), **a.to_wire()})

    async def result_link(self, request: Request, now: float, body: bytes, ref: str, args: str) -> Response:
        a = self._action(ref, now)
        mi = re.fullmatch(r"\s*index\s*=\s*(-?\d+)\s*", args, re.I)
        if not mi:
            raise HttpError(
                400, "BadRequest", f"'{args}' is not a valid argument; use GetLiveResponseResultDownloadLink(index=0)."
            )
        idx = int(mi.group(1))
        if a.type != "LiveResponse":
            raise HttpError(400, "BadRequest", f"Action {a.id} is a {a.type} action and has no live response results.")
        if not 0 <= idx < len(a.commands):
            raise HttpError(
                400, "BadRequest", f"Command index {idx} is out of range: the action has {len(a.commands)} command(s)."
            )
        c = a.commands[idx]
        if c.type == CommandType.PUT_FILE:
            raise HttpError(400, "BadRequest", f"Command {idx} is a PutFile command, which produces no result.")
        if c.status == CommandStatus.FAILED:
            raise HttpError(400, "BadRequest", f"Command {idx} failed ({'; '.join(c.errors)}); it has no result.")
        if c.status != CommandStatus.COMPLETED:
            raise HttpError(
                400, "BadRequest", f"Command {idx} has not completed yet (status {c.status}); try again later."
            )
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
        url = (
            f"{blob_base}{path}?sv=2020-08-04&st={quote(st, safe='')}&se={quote(se, safe='')}"
            f"&sr=b&sp=r&sig={quote(sig, safe='')}"
        )
        return self.ok({"@odata.context": self.ctx(request, "Edm.String"), "value": url})
