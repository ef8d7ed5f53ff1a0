"""Compiled ``$filter`` nodes: a function of (entity, lambda variables) and the type of what it returns.

Types are those of :attr:`Schema.fields` plus ``null`` and ``any``. Literals are marked, so an ``in`` list can
insist on them and a quoted string compared with a datetime field can be checked up front."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from .schema import ODataError, edm

__all__ = ["Env", "Fn", "Node", "literal", "need_bool"]

Env = dict[str, Any]
Fn = Callable[[Any, Env], Any]


class Node(NamedTuple):
    fn: Fn
    typ: str
    is_literal: bool = False


def literal(value: Any, typ: str) -> Node:
    def fn(e: Any, env: Env) -> Any:
        return value

    return Node(fn, typ, True)


def need_bool(node: Node, op: str) -> None:
    if node.typ not in ("bool", "any", "null"):
        raise ODataError(f"The operand of '{op}' must be a boolean expression, not {edm(node.typ)}.")
