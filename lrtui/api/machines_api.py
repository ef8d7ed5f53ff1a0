"""Machine endpoints: list (paged), get, find by IP, find by tag."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from lrtui.api import errors as E
from lrtui.api import odata
from lrtui.api.ids import _check_machine_id, _seg
from lrtui.api.models import Machine
from lrtui.api.paging import MAX_PAGE_SIZE, Paging


class MachinesApi(Paging):
    async def iter_machine_pages(
        self,
        *,
        filter: str | None = None,
        top: int | None = None,
        skip: int | None = None,
        page_size: int = MAX_PAGE_SIZE,
        select: list[str] | None = None,
        orderby: str | None = None,
    ) -> AsyncIterator[list[Machine]]:
        params: dict[str, Any] = {}
        if filter:
            params["$filter"] = filter
        if select:
            params["$select"] = odata.check_select(select)
        if orderby:
            params["$orderby"] = odata.check_orderby(orderby)
        if skip:
            params["$skip"] = int(skip)
        async for items, resp in self._iter_pages("/api/machines", params, top=top, page_size=page_size):
            yield [self._parse(Machine, it, resp) for it in items]

    async def list_machines(self, **kw: Any) -> list[Machine]:
        out: list[Machine] = []
        async for page in self.iter_machine_pages(**kw):
            out.extend(page)
        return out

    async def get_machine(self, id_or_name: str) -> Machine:
        key = _check_machine_id(id_or_name)
        resp = await self._send("GET", f"/api/machines/{_seg(key)}")
        return self._parse(Machine, self._json(resp), resp)

    async def find_machines_by_ip(self, ip: str, timestamp: datetime) -> list[Machine]:
        try:
            addr = str(ipaddress.ip_address(ip.strip()))
        except ValueError:
            raise E.ValidationError(f"{ip!r} is not an IP address.") from None
        ts = odata.format_datetime(timestamp)
        resp = await self._send("GET", f"/api/machines/findbyip(ip='{addr}',timestamp={ts})")
        items, _ = self._values(self._json(resp), resp)
        return [self._parse(Machine, it, resp) for it in items]

    async def find_machines_by_tag(self, tag: str, *, starts_with: bool = False) -> list[Machine]:
        if not tag:
            raise E.ValidationError("A tag is required.")
        params = {"tag": tag, "useStartsWithFilter": "true" if starts_with else "false"}
        resp = await self._send("GET", "/api/machines/findbytag", params=params)
        items, _ = self._values(self._json(resp), resp)
        return [self._parse(Machine, it, resp) for it in items]
