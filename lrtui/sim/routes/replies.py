"""How the API answers: content types, :class:`HttpError`, error bodies, ``Retry-After`` and OData pages."""

from __future__ import annotations

import email.utils
import json
import math
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..budgets import retry_after_header
from ..config import SimConfig
from ..ids import RequestIds
from ..odata import ODataError, Schema, make_skiptoken, parse_query_options, run_query, select_fields

__all__ = ["ERROR_CT", "JSON_CT", "HttpError", "Replies", "base_url", "context_url"]

JSON_CT = "application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8"
ERROR_CT = "application/json; charset=utf-8"


class HttpError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def context_url(request: Request, what: str) -> str:
    """The ``@odata.context`` of an answer about ``what`` (``Machines``, ``MachineActions/$entity``, ...)."""
    return f"{base_url(request)}/api/$metadata#{what}"


class Replies:
    """Builds every API answer: JSON bodies with a request id, error bodies, 429 headers and OData pages."""

    def __init__(self, config: SimConfig, request_ids: RequestIds) -> None:
        self._config = config
        self._request_ids = request_ids

    def error(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
        rid = self._request_ids()
        body = {"error": {"code": code, "message": message, "target": rid}}
        h = {"request-id": rid.strip("|.")}
        h.update(headers or {})
        return Response(_dumps(body), status_code=status, media_type=None, headers={**h, "content-type": ERROR_CT})

    def ok(self, body: Any, status: int = 200) -> Response:
        return Response(
            _dumps(body),
            status_code=status,
            headers={"content-type": JSON_CT, "OData-Version": "4.0", "request-id": self._request_ids().strip("|.")},
        )

    def retry_headers(self, wait: float, now: float) -> dict[str, str]:
        """``Retry-After`` as configured: seconds (default), an HTTP date, or missing."""
        style = self._config.retry_after_style
        if style == "missing":
            return {}
        if style == "http-date":
            return {"Retry-After": email.utils.formatdate(math.ceil(now + wait), usegmt=True)}
        return {"Retry-After": retry_after_header(wait)}

    def page(
        self, request: Request, items: list[Any], schema: Schema, ctx: str, to_wire: Callable[[Any], dict[str, Any]]
    ) -> Response:
        """One OData page of ``items`` as the request's query options ask (400 ODataError when they are wrong)."""
        c = self._config
        try:
            opts = parse_query_options(request.query_params.multi_items(), schema, max_top=c.max_top)
            res = run_query(items, opts, schema, page_size=c.page_size)
        except ODataError as e:
            raise HttpError(400, "ODataError", str(e)) from None
        body: dict[str, Any] = {"@odata.context": ctx}
        if res.count is not None:
            body["@odata.count"] = res.count
        body["value"] = [select_fields(to_wire(x), opts.select) for x in res.items]
        if res.next_skip is not None:
            tok = make_skiptoken(opts, res.next_skip, res.remaining_top)
            body["@odata.nextLink"] = f"{base_url(request)}{request.url.path}?$skiptoken={tok}"
        return self.ok(body)
