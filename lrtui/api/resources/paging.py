"""List answers and paging: ``value`` + ``@odata.nextLink`` (followed only to the API's own scheme, host and port),
or ``$top``/``$skip``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx

from lrtui.api import errors as E
from lrtui.api.text import clean
from lrtui.api.transport import ApiTransport, endpoint_path

MAX_PAGE_SIZE = 10_000


def list_values(data: Any, resp: httpx.Response) -> tuple[list[Any], str | None]:
    """``(value, nextLink)`` from a list answer (a bare JSON list is accepted too)."""
    if isinstance(data, list):
        return data, None
    if isinstance(data, dict):
        value = data.get("value")
        if value is None:
            value = []
        if not isinstance(value, list):
            raise E.UnexpectedResponse(
                f"The answer to {resp.request.method} {endpoint_path(str(resp.request.url))} has no list of values.",
                status=resp.status_code,
            )
        nl = data.get("@odata.nextLink")
        return value, (nl if isinstance(nl, str) and nl else None)
    raise E.UnexpectedResponse(
        f"The answer to {resp.request.method} {endpoint_path(str(resp.request.url))} is not a list.",
        status=resp.status_code,
    )


def check_next_link(link: str, base_url: str) -> str:
    """A nextLink is followed opaquely, but only to the API's own scheme, host and port: the bearer token goes
    nowhere else (``UnsafeNextLink`` otherwise). A relative link (a path) stays on the API."""
    try:
        p = urlsplit(link)
        base = urlsplit(base_url)
        port, base_port = _port(p.scheme, p.port), _port(base.scheme, base.port)
    except ValueError:
        raise E.UnsafeNextLink("The service's next-page link is not a valid URL; not following it.") from None
    if not p.scheme and not p.netloc:
        return link
    host = (p.hostname or "").lower()
    if (p.scheme.lower(), host, port) != (base.scheme.lower(), (base.hostname or "").lower(), base_port) or p.username:
        shown = clean(f"{p.scheme}://{host}" + (f":{port}" if port else ""), multiline=False)
        raise E.UnsafeNextLink(
            f"The service's next-page link points at {shown}, not the API ({base.scheme}://{base.hostname}"
            f"{f':{base_port}' if base_port else ''}); not following it."
        )
    return link


def _port(scheme: str, port: int | None) -> int | None:
    if port is not None:
        return port
    return {"https": 443, "http": 80}.get(scheme.lower())


async def iter_pages(
    transport: ApiTransport, path: str, params: dict[str, Any], *, top: int | None, page_size: int
) -> AsyncIterator[tuple[list[Any], httpx.Response]]:
    """The raw items of a list endpoint, page by page, with the answer each page came in.

    Follows ``@odata.nextLink`` when given, else pages with ``$skip`` while pages come back full; stops at
    ``top`` items, at an empty page, or when the service ignores ``$skip`` (the same first item again)."""
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    remaining = top
    skip = int(params.pop("$skip", 0) or 0)
    url: str | None = path
    q: dict[str, Any] | None = dict(params)
    seen_first: set[str] = set()
    while url is not None:
        if q is not None:
            want = page_size if remaining is None else min(page_size, remaining)
            q["$top"] = want
            if skip:
                q["$skip"] = skip
            else:
                q.pop("$skip", None)
        resp = await transport.send("GET", url, params=q)
        items, next_link = list_values(transport.decode_json(resp), resp)
        if remaining is not None:
            items = items[:remaining]
            remaining -= len(items)
        if items:
            first = json.dumps(items[0], sort_keys=True, default=str)[:512]
            if first in seen_first:  # the service ignored $skip: stop rather than loop
                return
            seen_first.add(first)
        yield items, resp
        if (remaining is not None and remaining <= 0) or not items:
            return
        if next_link:
            url, q = check_next_link(next_link, transport.base_url), None
        elif q is not None and len(items) >= q["$top"]:
            skip += len(items)  # client-driven paging when the service gives a full page and no link
        else:
            return
