"""OData query options of one request (``$filter``, ``$top``, ``$skip``, ``$orderby``, ``$select``, ``$count``,
``$skiptoken``): validation into :class:`QueryOptions`, and the opaque ``$skiptoken`` of our nextLinks."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from .schema import ODataError, Schema

__all__ = ["QueryOptions", "make_skiptoken", "parse_query_options"]

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


def parse_query_options(params: list[tuple[str, str]], schema: Schema, *, max_top: int) -> QueryOptions:
    """Validate the ``$`` options of one request. A ``$skiptoken`` (from our own nextLink) carries the
    original options and the offset, and wins over the others."""
    seen = _collect(params)
    if "$skiptoken" in seen:
        seen = _from_skiptoken(seen["$skiptoken"])
    opts = QueryOptions()
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
        opts.count = _count_opt(seen["$count"])
    if "$orderby" in seen:
        opts.raw_orderby = seen["$orderby"]
        opts.orderby = _orderby(seen["$orderby"], schema)
    if "$select" in seen:
        opts.raw_select = seen["$select"]
        opts.select = _select(seen["$select"], schema)
    return opts


def _collect(params: list[tuple[str, str]]) -> dict[str, str]:
    """The ``$`` options by lower-case name: unknown or repeated ones are errors; other parameters are ignored."""
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
    return seen


def _from_skiptoken(token: str) -> dict[str, str]:
    try:
        tok = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(tok, dict):
            raise ValueError("not an object")
    except Exception:
        raise ODataError(f"The skip token '{token}' is not valid.") from None
    seen = {k: v for k, v in tok.get("o", {}).items()}
    seen["$skip"] = str(tok.get("s", 0))
    if tok.get("t") is not None:
        seen["$top"] = str(tok["t"])
    return seen


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


def _count_opt(value: str) -> bool:
    c = value.strip().lower()
    if c not in ("true", "false"):
        raise ODataError(f"'{value}' is not a valid count option.")
    return c == "true"


def _orderby(raw: str, schema: Schema) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for part in raw.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise ODataError(f"Syntax error in $orderby '{raw}': expected 'property [asc|desc]'.")
        name = schema.resolve(words[0])
        if schema.fields[name] in ("list", "object"):
            raise ODataError(
                f"The $orderby expression must evaluate to a single value of primitive type ('{words[0]}')."
            )
        out.append((name, len(words) == 2 and words[1].lower() == "desc"))
    return out


def _select(raw: str, schema: Schema) -> list[str] | None:
    sel = [s.strip() for s in raw.split(",") if s.strip()]
    if not sel:
        raise ODataError("The $select query option is empty.")
    if "*" in sel:
        return None
    return [schema.resolve(s) for s in sel]


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
