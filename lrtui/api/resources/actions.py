"""``client.actions``: get (waiting out a fresh action's 404s), list, cancel."""

from __future__ import annotations

import builtins
import time
from typing import Any

from lrtui.api import errors as E
from lrtui.api import odata
from lrtui.api.ids import check_action_id, segment
from lrtui.api.models import MachineAction
from lrtui.api.records import MalformedFn
from lrtui.api.resources.paging import MAX_PAGE_SIZE, iter_pages
from lrtui.api.transport import ApiTransport


class ActionsResource:
    """The machine action endpoints over one ``ApiTransport``."""

    def __init__(self, transport: ApiTransport) -> None:
        self._t = transport

    async def get(self, action_id: str, *, fresh: bool = False) -> MachineAction:
        """One action. ``fresh=True``: a 404 is retried for up to ``retry.fresh_404_s`` (eventual consistency)."""
        aid = check_action_id(action_id)
        path = f"/api/machineactions/{segment(aid)}"
        policy = self._t.retry
        start = time.monotonic()
        waited = 0.0
        n = 0
        while True:
            try:
                resp = await self._t.send("GET", path)
                return self._t.parse(MachineAction, self._t.decode_json(resp), resp)
            except E.NotFound:
                if not fresh:
                    raise
                n += 1
                delay = policy.fresh_404_delay(n)
                if max(waited, time.monotonic() - start) + delay > policy.fresh_404_s:
                    raise
                await self._t.sleep(delay)
                waited += delay

    async def list(
        self,
        *,
        filter: str | None = None,
        top: int | None = None,
        orderby: str | None = None,
        on_malformed: MalformedFn | None = None,
    ) -> builtins.list[MachineAction]:
        """Actions matching ``filter`` (all pages, at most ``top``); an invalid one is reported to
        ``on_malformed`` (else the client's) and left out."""
        params: dict[str, Any] = {}
        if filter:
            params["$filter"] = filter
        if orderby:
            params["$orderby"] = odata.check_orderby(orderby)
        out: builtins.list[MachineAction] = []
        async for items, resp in iter_pages(self._t, "/api/machineactions", params, top=top, page_size=MAX_PAGE_SIZE):
            out.extend(self._t.parse_items(MachineAction, items, resp, on_malformed))
        return out

    async def cancel(self, action_id: str, comment: str) -> MachineAction:
        """Cancel an action (a comment is required); the POST is retried only when it was certainly not sent."""
        aid = check_action_id(action_id)
        if not comment or not comment.strip():
            raise E.ValidationError("Cancelling an action needs a comment.")
        resp = await self._t.send(
            "POST", f"/api/machineactions/{segment(aid)}/cancel", json_body={"Comment": comment}, retry="connect"
        )
        return self._t.parse(MachineAction, self._t.decode_json(resp), resp)
