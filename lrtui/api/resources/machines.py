"""``client.machines``: list (paged), get, find by IP, find by tag."""

from __future__ import annotations

import builtins
import ipaddress
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from lrtui.api import errors as E
from lrtui.api import odata
from lrtui.api.ids import check_machine_id, segment
from lrtui.api.models import Machine
from lrtui.api.records import MalformedFn
from lrtui.api.resources.paging import MAX_PAGE_SIZE, iter_pages, list_values
from lrtui.api.transport import ApiTransport


class MachinesResource:
    """The machine endpoints over one ``ApiTransport``."""

    def __init__(self, transport: ApiTransport) -> None:
        self._t = transport

    async def iter_pages(
        self,
        *,
        filter: str | None = None,
        top: int | None = None,
        skip: int | None = None,
        page_size: int = MAX_PAGE_SIZE,
        select: builtins.list[str] | None = None,
        orderby: str | None = None,
        on_malformed: MalformedFn | None = None,
    ) -> AsyncIterator[builtins.list[Machine]]:
        """The tenant's machines page by page (``@odata.nextLink`` followed opaquely, to the API only).

        A machine that is not valid is reported to ``on_malformed`` (else the client's) as a ``MalformedItem``
        and left out of its page; the other machines of the page still come."""
        params: dict[str, Any] = {}
        if filter:
            params["$filter"] = filter
        if select:
            params["$select"] = odata.check_select(select)
        if orderby:
            params["$orderby"] = odata.check_orderby(orderby)
        if skip:
            params["$skip"] = int(skip)
        async for items, resp in iter_pages(self._t, "/api/machines", params, top=top, page_size=page_size):
            yield self._t.parse_items(Machine, items, resp, on_malformed)

    async def list(
        self,
        *,
        filter: str | None = None,
        top: int | None = None,
        skip: int | None = None,
        page_size: int = MAX_PAGE_SIZE,
        select: builtins.list[str] | None = None,
        orderby: str | None = None,
        on_malformed: MalformedFn | None = None,
    ) -> builtins.list[Machine]:
        """Every page of ``iter_pages`` (same arguments) in one list."""
        out: builtins.list[Machine] = []
        pages = self.iter_pages(
            filter=filter,
            top=top,
            skip=skip,
            page_size=page_size,
            select=select,
            orderby=orderby,
            on_malformed=on_malformed,
        )
        async for page in pages:
            out.extend(page)
        return out

    async def get(self, id_or_name: str) -> Machine:
        """One machine by id or name; ``NotFound`` when unknown."""
        key = check_machine_id(id_or_name)
        resp = await self._t.send("GET", f"/api/machines/{segment(key)}")
        return self._t.parse(Machine, self._t.decode_json(resp), resp)

    async def find_by_ip(self, ip: str, timestamp: datetime) -> builtins.list[Machine]:
        """Machines that had ``ip`` around ``timestamp``."""
        try:
            addr = str(ipaddress.ip_address(ip.strip()))
        except ValueError:
            raise E.ValidationError(f"{ip!r} is not an IP address.") from None
        ts = odata.format_datetime(timestamp)
        resp = await self._t.send("GET", f"/api/machines/findbyip(ip='{addr}',timestamp={ts})")
        items, _ = list_values(self._t.decode_json(resp), resp)
        return self._t.parse_items(Machine, items, resp)

    async def find_by_tag(self, tag: str, *, starts_with: bool = False) -> builtins.list[Machine]:
        """Machines carrying ``tag`` (or a tag starting with it)."""
        if not tag:
            raise E.ValidationError("A tag is required.")
        params = {"tag": tag, "useStartsWithFilter": "true" if starts_with else "false"}
        resp = await self._t.send("GET", "/api/machines/findbytag", params=params)
        items, _ = list_values(self._t.decode_json(resp), resp)
        return self._t.parse_items(Machine, items, resp)
