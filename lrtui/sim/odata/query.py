"""Running a query over a list of entities: filter, order, skip, top, page, and ``$select``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .options import QueryOptions
from .parser import compile_filter
from .schema import Schema

__all__ = ["QueryResult", "run_query", "select_fields"]


def _sort_key(v: Any) -> tuple[int, Any]:
    if v is None:
        return (0, 0)
    if isinstance(v, bool):
        return (1, int(v))
    if isinstance(v, (int, float)):
        return (1, v)
    return (2, str(v))


def _by_field(get: Callable[[Any, str], Any], name: str) -> Callable[[Any], tuple[int, Any]]:
    def key(e: Any) -> tuple[int, Any]:
        return _sort_key(get(e, name))

    return key


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
        items.sort(key=_by_field(get, name), reverse=desc)
    avail = items[opts.skip :]
    want = len(avail) if opts.top is None else min(opts.top, len(avail))
    page = avail[: min(want, page_size)]
    more = want > len(page)
    next_skip = opts.skip + len(page) if more else None
    remaining = None if opts.top is None else opts.top - len(page)
    return QueryResult(page, next_skip, remaining, total)


def select_fields(wire: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
    if select is None:
        return wire
    return {k: wire.get(k) for k in select}
