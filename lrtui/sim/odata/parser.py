"""The ``$filter`` grammar (``or``, ``and``, ``not``, comparisons, ``in``) and :func:`compile_filter`.
Expressions compile to closures; the terms they combine come from :mod:`.terms`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..clock import parse_iso
from .lexer import COMPARISONS, TokenCursor
from .nodes import Env, Fn, Node, need_bool
from .schema import ODataError, Schema, edm
from .terms import TermParser

__all__ = ["compile_filter"]

_OPNAME = {
    "eq": "Equal",
    "ne": "NotEqual",
    "gt": "GreaterThan",
    "ge": "GreaterThanOrEqual",
    "lt": "LessThan",
    "le": "LessThanOrEqual",
}


class FilterParser:
    def __init__(self, text: str, schema: Schema) -> None:
        self.text = text
        self.cur = TokenCursor(text)
        self.terms = TermParser(self.cur, schema, self.parse_or)

    def parse(self) -> Callable[[Any], bool]:
        if self.cur.peek().kind == "end":
            raise ODataError("The $filter query option is empty.")
        fn, typ, _ = self.parse_or()
        if self.cur.peek().kind != "end":
            raise self.cur.error_here("expected 'and', 'or' or end of expression")
        if typ not in ("bool", "any", "null"):
            raise ODataError(f"The $filter expression must evaluate to a single boolean value, not {edm(typ)}.")

        def predicate(e: Any) -> bool:
            return fn(e, {}) is True

        return predicate

    def parse_or(self) -> Node:
        left = self.parse_and()
        while self.cur.word("or"):
            self.cur.take()
            right = self.parse_and()
            need_bool(left, "or")
            need_bool(right, "or")
            left = Node(_either(left.fn, right.fn), "bool")
        return left

    def parse_and(self) -> Node:
        left = self.parse_not()
        while self.cur.word("and"):
            self.cur.take()
            right = self.parse_not()
            need_bool(left, "and")
            need_bool(right, "and")
            left = Node(_both(left.fn, right.fn), "bool")
        return left

    def parse_not(self) -> Node:
        if self.cur.word("not"):
            self.cur.take()
            inner = self.parse_not()
            need_bool(inner, "not")
            return Node(_negate(inner.fn), "bool")
        return self.parse_cmp()

    def parse_cmp(self) -> Node:
        left = self.terms.parse_value()
        t = self.cur.peek()
        if t.kind == "ident" and t.text in COMPARISONS:
            self.cur.take()
            right = self.terms.parse_value()
            return compare(t.text, left, right)
        if t.kind == "ident" and t.text == "in":
            self.cur.take()
            return self.parse_in(left)
        return left

    def parse_in(self, left: Node) -> Node:
        self.cur.expect("(")
        items: list[Node] = []
        if self.cur.peek().text != ")":
            items.append(self.parse_literal_only())
            while self.cur.peek().text == ",":
                self.cur.take()
                items.append(self.parse_literal_only())
        self.cur.expect(")")
        values = [_coerce_literal(left.typ, n) for n in items]
        return Node(_member_of(left.fn, values, left.typ == "datetime"), "bool")

    def parse_literal_only(self) -> Node:
        node = self.terms.parse_value()
        if not node.is_literal:
            raise ODataError(f"Only literal values are allowed in an 'in' list in '{self.text}'.")
        return node


def compile_filter(text: str, schema: Schema) -> Callable[[Any], bool]:
    """Compile a ``$filter`` expression to a predicate over entities (raises :class:`ODataError`)."""
    return FilterParser(text, schema).parse()


# ---------------------------------------------------------------- comparisons


def compare(op: str, left: Node, right: Node) -> Node:
    """``left op right`` after the type checks ASP.NET OData makes (datetime strings are parsed)."""
    lf, lt = left.fn, left.typ
    rf, rt = right.fn, right.typ
    types = {lt, rt} - {"any", "null"}
    if len(types) == 2:
        ok = types <= {"int", "float"} or types == {"datetime", "str"}
        if not ok:
            raise ODataError(
                "A binary operator with incompatible types was detected. Found operand types "
                f"'{edm(lt)}' and '{edm(rt)}' for operator kind '{_OPNAME[op]}'."
            )
    if types & {"list", "object"}:
        raise ODataError(f"The operator '{op}' cannot be applied to a collection; use any() or all().")
    if "datetime" in types:
        # quoted strings against a datetime field are tolerated and parsed
        for node in (left, right):
            if node.typ == "str" and node.is_literal:
                _check_datetime(node.fn(None, {}))
        lf, rf = _as_datetime(lf), _as_datetime(rf)
    return Node(_comparison(op, lf, rf), "bool")


def _check_datetime(v: Any) -> None:
    try:
        parse_iso(v)
    except ValueError:
        raise ODataError(f"The value '{v}' is not a valid Edm.DateTimeOffset.") from None


def _coerce_dt(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return parse_iso(value)
        except ValueError:
            return value
    return value


def _coerce_literal(ltype: str, node: Node) -> Any:
    v = node.fn(None, {})
    if ltype == "datetime" and isinstance(v, str):
        try:
            return parse_iso(v)
        except ValueError:
            raise ODataError(f"The value '{v}' is not a valid Edm.DateTimeOffset.") from None
    return v


def _ordered(op: str, a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    try:
        if op == "gt":
            return bool(a > b)
        if op == "ge":
            return bool(a >= b)
        if op == "lt":
            return bool(a < b)
        return bool(a <= b)
    except TypeError:
        return False


def _comparison(op: str, lf: Fn, rf: Fn) -> Fn:
    def cmp(e: Any, env: Env) -> bool:
        a, b = lf(e, env), rf(e, env)
        if op == "eq":
            return bool(a == b)
        if op == "ne":
            return bool(a != b)
        return _ordered(op, a, b)

    return cmp


def _as_datetime(f: Fn) -> Fn:
    def fn(e: Any, env: Env) -> Any:
        return _coerce_dt(f(e, env))

    return fn


def _member_of(lf: Fn, values: list[Any], as_datetime: bool) -> Fn:
    def fn(e: Any, env: Env) -> bool:
        v = lf(e, env)
        return (_coerce_dt(v) if as_datetime else v) in values

    return fn


def _either(lf: Fn, rf: Fn) -> Fn:
    def fn(e: Any, env: Env) -> bool:
        return lf(e, env) is True or rf(e, env) is True

    return fn


def _both(lf: Fn, rf: Fn) -> Fn:
    def fn(e: Any, env: Env) -> bool:
        return lf(e, env) is True and rf(e, env) is True

    return fn


def _negate(f: Fn) -> Fn:
    def fn(e: Any, env: Env) -> bool:
        return f(e, env) is not True

    return fn
