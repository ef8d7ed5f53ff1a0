"""``$filter`` terms: literals, function calls, property paths and ``any``/``all`` lambdas.

:class:`TermParser` reads terms from a :class:`~.lexer.TokenCursor`; where a term holds a whole expression
(parentheses, function arguments, lambda bodies) it calls back the grammar it was given."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..clock import parse_iso
from .lexer import BOOL_FUNCS, COMPARISONS, VALUE_FUNCS, Token, TokenCursor
from .nodes import Env, Fn, Node, literal, need_bool
from .schema import ODataError, Schema, edm

__all__ = ["TermParser"]

_STR_OPS: dict[str, Callable[[str], str]] = {"tolower": str.lower, "toupper": str.upper, "trim": str.strip}


class TermParser:
    def __init__(self, cursor: TokenCursor, schema: Schema, parse_expr: Callable[[], Node]) -> None:
        self.cur = cursor
        self.schema = schema
        self.parse_expr = parse_expr  # the whole grammar (``or`` and below)
        self.lambda_vars: dict[str, str] = {}

    def parse_value(self) -> Node:
        t = self.cur.peek()
        if t.text == "(":
            self.cur.take()
            node = self.parse_expr()
            self.cur.expect(")")
            return node
        if t.kind in ("str", "dt", "guid", "num"):
            self.cur.take()
            return _literal_token(t)
        if t.kind == "ident":
            return self._parse_word(t)
        raise self.cur.error_here("expected a value")

    def _parse_word(self, t: Token) -> Node:
        name = t.text
        if name in ("true", "false"):
            self.cur.take()
            return literal(name == "true", "bool")
        if name == "null":
            self.cur.take()
            return literal(None, "null")
        if self.cur.peek(1).text == "(" and name.lower() in BOOL_FUNCS | VALUE_FUNCS:
            return self.parse_func()
        if name in ("and", "or", "not", "in") or name in COMPARISONS:
            raise self.cur.error_here("expected a value")
        return self.parse_path()

    def parse_func(self) -> Node:
        name = self.cur.take().text.lower()
        self.cur.expect("(")
        args: list[Node] = [self.parse_expr()]
        while self.cur.peek().text == ",":
            self.cur.take()
            args.append(self.parse_expr())
        self.cur.expect(")")
        if name in BOOL_FUNCS:
            return _bool_func(name, args)
        if len(args) != 1:
            raise ODataError(f"The function '{name}' takes 1 argument, {len(args)} given.")
        return _value_func(name, args[0].fn)

    def parse_path(self) -> Node:
        name = self.cur.take().text
        if name in self.lambda_vars:
            base = Node(_lambda_var(name), self.lambda_vars[name])
        else:
            wire = self.schema.check_filterable(name)
            base = Node(_field(self.schema.getter, wire), self.schema.fields[wire])
        while self.cur.peek().text == "/":
            self.cur.take()
            seg = self.cur.take()
            if seg.kind != "ident":
                raise ODataError(
                    f"Syntax error at position {seg.pos} in '{self.cur.text}': expected a property name after '/'."
                )
            if seg.text in ("any", "all") and self.cur.peek().text == "(":
                base = self.parse_lambda(base, seg.text)
            else:
                base = Node(_member(base.fn, seg.text), "any")
        return base

    def parse_lambda(self, coll: Node, kind: str) -> Node:
        self.cur.expect("(")
        if coll.typ not in ("list", "any"):
            raise ODataError(f"The '{kind}' operator can only be applied to a collection.")
        if self.cur.peek().text == ")":
            self.cur.take()
            if kind == "all":
                raise ODataError("The 'all' operator requires a lambda expression.")
            return Node(_non_empty(coll.fn), "bool")
        var = self.cur.take()
        if var.kind != "ident":
            raise ODataError(
                f"Syntax error at position {var.pos} in '{self.cur.text}': expected a lambda variable name."
            )
        self.cur.expect(":")
        saved = dict(self.lambda_vars)
        self.lambda_vars[var.text] = "any" if coll.typ == "any" else "str"
        body = self.parse_expr()
        self.lambda_vars = saved
        self.cur.expect(")")
        need_bool(body, kind)
        return Node(_quantifier(coll.fn, body.fn, var.text, kind == "any"), "bool")


# ---------------------------------------------------------------- node builders


def _literal_token(t: Token) -> Node:
    if t.kind == "str":
        return literal(t.text[1:-1].replace("''", "'"), "str")
    if t.kind == "dt":
        try:
            return literal(parse_iso(t.text), "datetime")
        except ValueError:
            raise ODataError(f"The value '{t.text}' is not a valid Edm.DateTimeOffset.") from None
    if t.kind == "guid":
        return literal(t.text, "str")
    num: Any = float(t.text) if any(c in t.text for c in ".eE") else int(t.text)
    return literal(num, "float" if isinstance(num, float) else "int")


def _bool_func(name: str, args: list[Node]) -> Node:
    if len(args) != 2:
        raise ODataError(f"The function '{name}' takes 2 arguments, {len(args)} given.")
    for a in args:
        if a.typ not in ("str", "any", "null"):
            raise ODataError(
                f"No function signature for the function with name '{name}' matches the "
                f"specified arguments ({edm(a.typ)})."
            )
    af, bf = args[0].fn, args[1].fn

    def fn(e: Any, env: Env) -> bool:
        a, b = af(e, env), bf(e, env)
        if not isinstance(a, str) or not isinstance(b, str):
            return False
        if name == "startswith":
            return a.startswith(b)
        if name == "endswith":
            return a.endswith(b)
        return b in a

    return Node(fn, "bool")


def _value_func(name: str, af: Fn) -> Node:
    if name == "length":

        def length(e: Any, env: Env) -> int | None:
            v = af(e, env)
            return len(v) if isinstance(v, str) else None

        return Node(length, "int")
    op = _STR_OPS[name]

    def text_op(e: Any, env: Env) -> str | None:
        v = af(e, env)
        return op(v) if isinstance(v, str) else None

    return Node(text_op, "str")


def _lambda_var(name: str) -> Fn:
    def fn(e: Any, env: Env) -> Any:
        return env.get(name)

    return fn


def _field(getter: Callable[[Any, str], Any], name: str) -> Fn:
    def fn(e: Any, env: Env) -> Any:
        return getter(e, name)

    return fn


def _member(bf: Fn, seg: str) -> Fn:
    def fn(e: Any, env: Env) -> Any:
        v = bf(e, env)
        return v.get(seg) if isinstance(v, dict) else None

    return fn


def _non_empty(cf: Fn) -> Fn:
    def fn(e: Any, env: Env) -> bool:
        return bool(cf(e, env))

    return fn


def _quantifier(cf: Fn, bf: Fn, vname: str, is_any: bool) -> Fn:
    def run(e: Any, env: Env) -> bool:
        items = cf(e, env) or []

        def test(x: Any) -> bool:
            return bf(e, {**env, vname: x}) is True

        return any(map(test, items)) if is_any else all(map(test, items))

    return run
