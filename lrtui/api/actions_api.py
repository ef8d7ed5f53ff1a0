"""Machine action endpoints: get (waiting out a fresh action's 404s), list, cancel."""

from __future__ import annotations

import time
from typing import Any

from lrtui.api import errors as E
from lrtui.api import odata
from lrtui.api.ids import _seg, check_action_id
from lrtui.api.models import MachineAction
from lrtui.api.paging import MAX_PAGE_SIZE, Paging


class ActionsApi(Paging):
    async def get_action(self, action_id: str, *, fresh: bool = False) -> MachineAction:
        aid = check_action_id(action_id)
        path = f"/api/machineactions/{_seg(aid)}"
        start = time.monotonic()
        waited = 0.0
        n = 0
        while True:
            try:
                resp = await self._send("GET", path)
                return self._parse(MachineAction, self._json(resp), resp)
            except E.NotFound:
                if not fresh:
                    raise
                n += 1
                delay = self.retry.fresh_404_delay(n)
                if max(waited, time.monotonic() - start) + delay > self.retry.fresh_404_s:
                    raise
                await self._sleep(delay)
                waited += delay

    async def list_actions(
        self, *, filter: str | None = None, top: int | None = None, orderby: str | None = None
    ) -> list[MachineAction]:
        params: dict[str, Any] = {}
        if filter:
            params["$filter"] = filter
        if orderby:
            params["$orderby"] = odata.check_orderby(orderby)
        out: list[MachineAction] = []
        async for items, resp in self._iter_pages("/api/machineactions", params, top=top, page_size=MAX_PAGE_SIZE):
            out.extend(self._parse(MachineAction, it, resp) for it in items)
        return out

    async def cancel_action(self, action_id: str, comment: str) -> MachineAction:
        aid = check_action_id(action_id)
        if not comment or not comment.strip():
            raise E.ValidationError("Cancelling an action needs a comment.")
        resp = await self._send(
            "POST", f"/api/machineactions/{_seg(aid)}/cancel", json_body={"Comment": comment}, retry="connect"
        )
        return self._parse(MachineAction, self._json(resp), resp)
