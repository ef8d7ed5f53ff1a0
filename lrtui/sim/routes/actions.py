"""Machine action endpoints: one action, the list (OData), cancel and the result download link."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from lrtui.api.enums import CommandStatus, CommandType

from ..config import SimConfig
from ..lifecycle import SimAction
from ..links import BlobLinks
from ..odata import Schema
from ..state import TenantState
from .call import Call, Route
from .media import body_format, read_body
from .replies import HttpError, Replies, context_url

__all__ = ["ACTION_FIELDS", "ACTION_FILTER_FIELDS", "GUID_RE", "ActionRoutes", "action_schema"]

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


def action_schema(strict: bool) -> Schema:
    """What ``$filter``/``$orderby``/``$select`` see of an action (its wire form)."""
    return Schema("microsoft.windowsDefenderATP.api.PublicMachineAction", ACTION_FIELDS, ACTION_FILTER_FIELDS, strict)


def _same(wire: dict[str, Any]) -> dict[str, Any]:
    return wire


def _created(a: SimAction) -> float:
    return a.created


class ActionRoutes:
    def __init__(
        self, config: SimConfig, state: TenantState, links: BlobLinks, replies: Replies, schema: Schema
    ) -> None:
        self._config = config
        self._state = state
        self._links = links
        self._replies = replies
        self.schema = schema

    def routes(self) -> list[Route]:
        """In match order: cancel and the result link before ``machineactions/{id}``."""
        link = re.compile(r"^machineactions/([^/]+)/GetLiveResponseResultDownloadLink\(([^)]*)\)$", re.I)
        return [
            ("machineactions", re.compile(r"^machineactions$", re.I), {"GET": self.list}),
            ("cancel", re.compile(r"^machineactions/([^/]+)/cancel$", re.I), {"POST": self.cancel}),
            ("resultlink", link, {"GET": self.result_link}),
            ("machineaction", re.compile(r"^machineactions/([^/]+)$", re.I), {"GET": self.get}),
        ]

    def _action(self, ref: str, now: float, *, fresh_quirk: bool = False) -> SimAction:
        if not GUID_RE.match(ref):
            raise HttpError(
                400,
                "BadRequest",
                f"The key value '{ref}' is not valid for the key 'id': the value should be of type 'Edm.Guid'.",
            )
        a = self._state.actions.get(ref.lower())
        if a is None:
            raise HttpError(404, "ResourceNotFound", f"MachineAction {ref} was not found")
        q = self._config.quirk_fresh_404_s
        if fresh_quirk and q and now - a.created < q:
            raise HttpError(404, "ResourceNotFound", f"MachineAction {ref} was not found")
        return a

    def get(self, call: Call) -> Response:
        a = self._action(call.args[0], call.now, fresh_quirk=True)
        return self._replies.ok({"@odata.context": context_url(call.request, "MachineActions/$entity"), **a.to_wire()})

    def list(self, call: Call) -> Response:
        """Newest first when no ``$orderby`` is given (the collection page's ``$top=2`` "shows the latest two")."""
        newest_first = sorted(
            reversed(self._state.actions.values()), key=_created, reverse=True
        )  # ties: last made first
        wires = [a.to_wire() for a in newest_first]
        return self._replies.page(call.request, wires, self.schema, context_url(call.request, "MachineActions"), _same)

    def cancel(self, call: Call) -> Response:
        a = self._action(call.args[0], call.now)
        body = read_body(call.body, body_format(call.request, form_ok=True))
        comment = parse_cancel_comment(body, self._config.lenient_case)
        if a.is_final:
            raise HttpError(
                400, "BadRequest", f"Action {a.id} is already in a final state ({a.status}) and cannot be cancelled."
            )
        a.cancel(call.now, self._config.app_name, comment)
        return self._replies.ok({"@odata.context": context_url(call.request, "MachineActions/$entity"), **a.to_wire()})

    def result_link(self, call: Call) -> Response:
        a = self._action(call.args[0], call.now)
        idx = _result_index(a, call.args[1])
        url = self._links.url(a.id, idx, call.now, call.request.url.hostname)
        return self._replies.ok({"@odata.context": context_url(call.request, "Edm.String"), "value": url})


def parse_cancel_comment(body: Any, lenient: bool) -> str | None:
    """The ``Comment`` of a cancel body, read from JSON or a form (required, case-sensitive unless ``lenient``;
    null is allowed)."""
    if not isinstance(body, dict) or "Comment" not in body:
        wrong = next((k for k in body if k.lower() == "comment"), None) if isinstance(body, dict) else None
        if wrong and lenient:
            body = {"Comment": body[wrong]}
        elif wrong:
            raise HttpError(
                400,
                "InvalidRequestBody",
                f"'{wrong}' is not a valid property name; property names are case-sensitive, use 'Comment'.",
            )
        else:
            raise HttpError(400, "InvalidRequestBody", "The Comment field is required.")
    comment = body.get("Comment")
    if comment is not None and not isinstance(comment, str):
        raise HttpError(400, "InvalidRequestBody", "The Comment field must be a string.")
    return comment


def _result_index(a: SimAction, args: str) -> int:
    """The command index of a result link request, once that command has a result to download."""
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
        raise HttpError(400, "BadRequest", f"Command {idx} has not completed yet (status {c.status}); try again later.")
    return idx
