"""The ``$filter`` grammar (``or``, ``and``, ``not``, comparisons, ``in``) and :func:`compile_filter`.
Expressions compile to closures; the terms they combine come from :mod:`.odata_terms`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .clock import parse_iso
from .odata_lexer import _CMP, _tokenize
from .odata_schema import _EDM, ODataError, Schema
from .odata_terms import Node, TermParser

__all__ = ["compile_filter"]

_OPNAME = {
    "eq": "Equal",
    "ne": "NotEqual",
    "gt": "GreaterThan",
    "ge": "GreaterThanOrEqual",
    "lt": "LessThan",
    "le": "LessThanOrEqual",
}


def _coerce_dt(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return parse_iso(value)
        except ValueError:
            return value
    return value


class _Parser(TermParser):
    def __init__(self, text: str, schema: Schema) -> None:
        self.text = text
        self.schema = schema
        self.toks = _tokenize(text)
        self.i = 0
        self.lambda_vars: dict[str, str] = {}

    # -- grammar
    def parse(self) -> Callable[[Any], bool]:
        if self.peek().kind == "end":
            raise ODataError("The $filter query option is empty.")
        fn, typ = self.parse_or()
        if self.peek().kind != "end":
            raise self.error_here("expected 'and', 'or' or end of expression")
        if typ not in ("bool", "any", "null"):
            raise ODataError(
                f"The $filter expression must evaluate to a single boolean value, not {_EDM.get(typ, typ)}."
            )
        return lambda e: fn(e, {}) is True

    def parse_or(self) -> Node:
        left = self.parse_and()
        while self.word("or"):
            self.take()
            right = self.parse_and()
            self._need_bool(left, "or")
            self._need_bool(right, "or")
            lf, rf = left[0], right[0]
            left = (lambda e, env, lf=lf, rf=rf: lf(e, env) is True or rf(e, env) is True, "bool")
        return left

    def parse_and(self) -> Node:
        left = self.parse_not()
        while self.word("and"):
            self.take()
            right = self.parse_not()
            self._need_bool(left, "and")
            self._need_bool(right, "and")
            lf, rf = left[0], right[0]
            left = (lambda e, env, lf=lf, rf=rf: lf(e, env) is True and rf(e, env) is True, "bool")
        return left

    def parse_not(self) -> Node:
        if self.word("not"):
            self.take()
            inner = self.parse_not()
            self._need_bool(inner, "not")
            f = inner[0]
            return (lambda e, env: f(e, env) is not True, "bool")
        return self.parse_cmp()

    def parse_cmp(self) -> Node:
        left = self.parse_value()
        t = self.peek()
        if t.kind == "ident" and t.text in _CMP:
            self.take()
            right = self.parse_value()
            return self._compare(t.text, left, right)
        if t.kind == "ident" and t.text == "in":
            self.take()
            self.expect("(")
            items: list[Node] = []
            if self.peek().text != ")":
                items.append(self.parse_literal_only())
                while self.peek().text == ",":
                    self.take()
                    items.append(self.parse_literal_only())
            self.expect(")")
            lf, ltype = left
            values = [self._coerce_literal(ltype, n) for n in items]
            if ltype == "datetime":
                return (lambda e, env: _coerce_dt(lf(e, env)) in values, "bool")
            return (lambda e, env: lf(e, env) in values, "bool")
        return left

    def parse_literal_only(self) -> Node:
        node = self.parse_value()
        if getattr(node[0], "_literal", None) is None and not getattr(node[0], "_is_literal", False):
            raise ODataError(f"Only literal values are allowed in an 'in' list in '{self.text}'.")
        return node

    def _coerce_literal(self, ltype: str, node: Node) -> Any:
        v = node[0](None, {})
        if ltype == "datetime" and isinstance(v, str):
            try:
                return parse_iso(v)
            except ValueError:
                raise ODataError(f"The value '{v}' is not a valid Edm.DateTimeOffset.") from None
        return v

    def _compare(self, op: str, left: Node, right: Node) -> Node:
        lf, lt = left
        rf, rt = right
        types = {lt, rt} - {"any", "null"}
        if len(types) == 2:
            ok = types <= {"int", "float"} or types == {"datetime", "str"}
            if not ok:
                raise ODataError(
                    "A binary operator with incompatible types was detected. Found operand types "
                    f"'{_EDM.get(lt, lt)}' and '{_EDM.get(rt, rt)}' for operator kind '{_OPNAME[op]}'."
                )
        if types & {"list", "object"}:
            raise ODataError(f"The operator '{op}' cannot be applied to a collection; use any() or all().")
        if "datetime" in types:
            # quoted strings against a datetime field are tolerated and parsed
            for f, t in ((lf, lt), (rf, rt)):
                if t == "str" and getattr(f, "_is_literal", False):
                    v = f(None, {})
                    try:
                        parse_iso(v)
                    except ValueError:
                        raise ODataError(f"The value '{v}' is not a valid Edm.DateTimeOffset.") from None
            lf0, rf0 = lf, rf
            lf = lambda e, env, f=lf0: _coerce_dt(f(e, env))  # noqa: E731
            rf = lambda e, env, f=rf0: _coerce_dt(f(e, env))  # noqa: E731

        def cmp(e: Any, env: dict, lf=lf, rf=rf, op=op) -> bool:
            a, b = lf(e, env), rf(e, env)
            if op == "eq":
                return a == b
            if op == "ne":
                return a != b
            if a is None or b is None:
                return False
            try:
                if op == "gt":
                    return a > b
                if op == "ge":
                    return a >= b
                if op == "lt":
                    return a < b
                return a <= b
            except TypeError:
                return False

        return (cmp, "bool")


def compile_filter(text: str, schema: Schema) -> Callable[[Any], bool]:
    """Compile a ``$filter`` expression to a predicate over entities (raises :class:`ODataError`)."""
    return _Parser(text, schema).parse()
