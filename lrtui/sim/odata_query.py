"""OData query options (``$top``, ``$skip``, ``$orderby``, ``$select``, ``$count``, ``$skiptoken``), running a
query over a list of entities, and paging."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from .odata_parser import compile_filter
from .odata_schema import ODataError, Schema

__all__ = ["QueryOptions", "QueryResult", "make_skiptoken", "parse_query_options", "run_query", "select_fields"]

_ALLOWED = {"$filter", "$top", "$skip", "$orderby", "$select", "$count", "$skiptoken"}


@dataclass
class QueryOptions:
    filter: str | None = None
    top: int | None = None
    skip: int = 0
    orderby: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    select: list[str] | None = None
    count: bool = False
    raw_orderby: str | None = None
    raw_select: str | None = None


def _int_opt(name: str, value: str) -> int:
    try:
        v = int(value.strip())
    except ValueError:
        v = -1
    if v < 0:
        raise ODataError(
            f"Invalid value '{value}' for {name} query option found. "
            f"The {name} query option requires a non-negative integer value."
        )
    return v


def parse_query_options(params: list[tuple[str, str]], schema: Schema, *, max_top: int) -> QueryOptions:
    """Validate the ``$`` options of one request. A ``$skiptoken`` (from our own nextLink) carries the
    original options and the offset, and wins over the others."""
    opts = QueryOptions()
    seen: dict[str, str] = {}
    for k, v in params:
        if not k.startswith("$"):
            continue
        kl = k.lower()
        if kl not in _ALLOWED:
            raise ODataError(
                f"The query specified in the URI is not valid. Query option '{k[1:].capitalize()}' is not allowed. "
                "To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings."
            )
        if kl in seen:
            raise ODataError(f"Query option '{k}' was specified more than once, but it must be specified at most once.")
        seen[kl] = v
    if "$skiptoken" in seen:
        try:
            tok = json.loads(base64.urlsafe_b64decode(seen["$skiptoken"] + "=" * (-len(seen["$skiptoken"]) % 4)))
            assert isinstance(tok, dict)
        except Exception:
            raise ODataError(f"The skip token '{seen['$skiptoken']}' is not valid.") from None
        seen = {k: v for k, v in tok.get("o", {}).items()}
        seen["$skip"] = str(tok.get("s", 0))
        if tok.get("t") is not None:
            seen["$top"] = str(tok["t"])
    if "$filter" in seen:
        opts.filter = seen["$filter"]
    if "$top" in seen:
        opts.top = _int_opt("$top", seen["$top"])
        if opts.top > max_top:
            raise ODataError(
                f"The limit of '{max_top}' for Top query has been exceeded. "
                f"The value from the incoming request is '{opts.top}'."
            )
    if "$skip" in seen:
        opts.skip = _int_opt("$skip", seen["$skip"])
    if "$count" in seen:
        c = seen["$count"].strip().lower()
        if c not in ("true", "false"):
            raise ODataError(f"'{seen['$count']}' is not a valid count option.")
        opts.count = c == "true"
    if "$orderby" in seen:
        opts.raw_orderby = seen["$orderby"]
        for part in seen["$orderby"].split(","):
            words = part.split()
            if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
                raise ODataError(f"Syntax error in $orderby '{seen['$orderby']}': expected 'property [asc|desc]'.")
            if words[0] not in schema.fields:
                raise ODataError(f"Could not find a property named '{words[0]}' on type '{schema.type_name}'.")
            if schema.fields[words[0]] in ("list", "object"):
                raise ODataError(
                    f"The $orderby expression must evaluate to a single value of primitive type ('{words[0]}')."
                )
            opts.orderby.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    if "$select" in seen:
        opts.raw_select = seen["$select"]
        sel = [s.strip() for s in seen["$select"].split(",") if s.strip()]
        if not sel:
            raise ODataError("The $select query option is empty.")
        for s in sel:
            if s != "*" and s not in schema.fields:
                raise ODataError(f"Could not find a property named '{s}' on type '{schema.type_name}'.")
        opts.select = None if "*" in sel else sel
    return opts


def _sort_key(v: Any) -> tuple:
    if v is None:
        return (0, 0)
    if isinstance(v, bool):
        return (1, int(v))
    if isinstance(v, (int, float)):
        return (1, v)
    return (2, str(v))


@dataclass
class QueryResult:
    items: list[Any]
    next_skip: int | None  # offset for the nextLink, None when this is the last page
    remaining_top: int | None
    count: int | None


def run_query(entities: list[Any], opts: QueryOptions, schema: Schema, *, page_size: int) -> QueryResult:
    """Filter, order, skip, top and page ``entities`` (in their natural order when no $orderby)."""
    items = entities
    if opts.filter is not None:
        pred = compile_filter(opts.filter, schema)
        items = [e for e in items if pred(e)]
    else:
        items = list(items)
    total = len(items) if opts.count else None
    get = schema.getter
    for name, desc in reversed(opts.orderby):
        items.sort(key=lambda e, n=name: _sort_key(get(e, n)), reverse=desc)
    avail = items[opts.skip :]
    want = len(avail) if opts.top is None else min(opts.top, len(avail))
    page = avail[: min(want, page_size)]
    more = want > len(page)
    next_skip = opts.skip + len(page) if more else None
    remaining = None if opts.top is None else opts.top - len(page)
    return QueryResult(page, next_skip, remaining, total)


def make_skiptoken(opts: QueryOptions, skip: int, remaining_top: int | None) -> str:
    o: dict[str, str] = {}
    if opts.filter is not None:
        o["$filter"] = opts.filter
    if opts.raw_orderby is not None:
        o["$orderby"] = opts.raw_orderby
    if opts.raw_select is not None:
        o["$select"] = opts.raw_select
    if opts.count:
        o["$count"] = "true"
    tok = {"o": o, "s": skip, "t": remaining_top}
    return base64.urlsafe_b64encode(json.dumps(tok, separators=(",", ":")).encode()).decode().rstrip("=")


def select_fields(wire: dict, select: list[str] | None) -> dict:
    if select is None:
        return wire
    return {k: wire.get(k) for k in select}
