"""``$filter`` terms: literals, function calls, property paths and ``any``/``all`` lambdas.

:class:`TermParser` holds the token cursor; :class:`~.odata_parser._Parser` adds the boolean and
comparison grammar on top (``parse_or``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .clock import parse_iso
from .odata_lexer import _BOOL_FUNCS, _CMP, _VALUE_FUNCS, _Tok
from .odata_schema import _EDM, ODataError, Schema

# ---------------------------------------------------------------- compiled nodes
# A node is (fn(entity, env) -> value, type). Types as in Schema.fields plus "null"/"any".

Node = tuple[Callable[[Any, dict], Any], str]


class TermParser:
    text: str
    schema: Schema
    toks: list[_Tok]
    i: int
    lambda_vars: dict[str, str]

    # -- helpers
    def peek(self, k: int = 0) -> _Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def take(self) -> _Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def word(self, w: str) -> bool:
        t = self.peek()
        return t.kind == "ident" and t.text == w

    def expect(self, text: str) -> None:
        t = self.take()
        if t.text != text:
            got = t.text or "end of input"
            raise ODataError(f"Syntax error at position {t.pos} in '{self.text}': expected '{text}', found '{got}'.")

    def error_here(self, what: str) -> ODataError:
        t = self.peek()
        got = t.text or "end of input"
        return ODataError(f"Syntax error at position {t.pos} in '{self.text}': {what}, found '{got}'.")

    def parse_or(self) -> Node:  # the boolean grammar, in odata_parser._Parser
        raise NotImplementedError

    def _need_bool(self, node: Node, op: str) -> None:
        if node[1] not in ("bool", "any", "null"):
            raise ODataError(f"The operand of '{op}' must be a boolean expression, not {_EDM.get(node[1], node[1])}.")

    # -- terms
    def parse_value(self) -> Node:
        t = self.peek()
        if t.text == "(":
            self.take()
            node = self.parse_or()
            self.expect(")")
            return node
        if t.kind == "str":
            self.take()
            v = t.text[1:-1].replace("''", "'")
            return self._lit(v, "str")
        if t.kind == "dt":
            self.take()
            try:
                v = parse_iso(t.text)
            except ValueError:
                raise ODataError(f"The value '{t.text}' is not a valid Edm.DateTimeOffset.") from None
            return self._lit(v, "datetime")
        if t.kind == "guid":
            self.take()
            return self._lit(t.text, "str")
        if t.kind == "num":
            self.take()
            num: Any = float(t.text) if any(c in t.text for c in ".eE") else int(t.text)
            return self._lit(num, "float" if isinstance(num, float) else "int")
        if t.kind == "ident":
            name = t.text
            if name in ("true", "false"):
                self.take()
                return self._lit(name == "true", "bool")
            if name == "null":
                self.take()
                return self._lit(None, "null")
            if self.peek(1).text == "(" and name.lower() in _BOOL_FUNCS | _VALUE_FUNCS:
                return self.parse_func()
            if name in ("and", "or", "not", "in") or name in _CMP:
                raise self.error_here("expected a value")
            return self.parse_path()
        if t.kind == "end":
            raise self.error_here("expected a value")
        raise self.error_here("expected a value")

    def _lit(self, v: Any, typ: str) -> Node:
        f = lambda e, env, v=v: v  # noqa: E731
        f._is_literal = True  # type: ignore[attr-defined]
        return (f, typ)

    def parse_func(self) -> Node:
        name = self.take().text.lower()
        self.expect("(")
        args: list[Node] = [self.parse_or()]
        while self.peek().text == ",":
            self.take()
            args.append(self.parse_or())
        self.expect(")")
        if name in _BOOL_FUNCS:
            if len(args) != 2:
                raise ODataError(f"The function '{name}' takes 2 arguments, {len(args)} given.")
            for a in args:
                if a[1] not in ("str", "any", "null"):
                    raise ODataError(
                        f"No function signature for the function with name '{name}' matches the "
                        f"specified arguments ({_EDM.get(a[1], a[1])})."
                    )
            af, bf = args[0][0], args[1][0]

            def fn(e: Any, env: dict, af=af, bf=bf, name=name) -> bool:
                a, b = af(e, env), bf(e, env)
                if not isinstance(a, str) or not isinstance(b, str):
                    return False
                if name == "startswith":
                    return a.startswith(b)
                if name == "endswith":
                    return a.endswith(b)
                return b in a

            return (fn, "bool")
        if len(args) != 1:
            raise ODataError(f"The function '{name}' takes 1 argument, {len(args)} given.")
        af = args[0][0]
        if name == "length":
            return (lambda e, env: len(v) if isinstance(v := af(e, env), str) else None, "int")
        op = {"tolower": str.lower, "toupper": str.upper, "trim": str.strip}[name]
        return (lambda e, env: op(v) if isinstance(v := af(e, env), str) else None, "str")

    def parse_path(self) -> Node:
        t = self.take()
        name = t.text
        if name in self.lambda_vars:
            base: Node = (lambda e, env, n=name: env.get(n), self.lambda_vars[name])
        else:
            self.schema.check_filterable(name)
            typ = self.schema.fields[name]
            getter = self.schema.getter
            base = (lambda e, env, n=name: getter(e, n), typ)
        while self.peek().text == "/":
            self.take()
            seg = self.take()
            if seg.kind != "ident":
                raise ODataError(
                    f"Syntax error at position {seg.pos} in '{self.text}': expected a property name after '/'."
                )
            if seg.text in ("any", "all") and self.peek().text == "(":
                base = self.parse_lambda(base, seg.text)
            else:
                bf = base[0]
                base = (
                    lambda e, env, bf=bf, s=seg.text: v.get(s) if isinstance(v := bf(e, env), dict) else None,
                    "any",
                )
        return base

    def parse_lambda(self, coll: Node, kind: str) -> Node:
        self.expect("(")
        cf = coll[0]
        if coll[1] not in ("list", "any"):
            raise ODataError(f"The '{kind}' operator can only be applied to a collection.")
        if self.peek().text == ")":
            self.take()
            if kind == "all":
                raise ODataError("The 'all' operator requires a lambda expression.")
            return (lambda e, env: bool(cf(e, env)), "bool")
        var = self.take()
        if var.kind != "ident":
            raise ODataError(f"Syntax error at position {var.pos} in '{self.text}': expected a lambda variable name.")
        self.expect(":")
        saved = dict(self.lambda_vars)
        self.lambda_vars[var.text] = "any" if coll[1] == "any" else "str"
        body = self.parse_or()
        self.lambda_vars = saved
        self.expect(")")
        self._need_bool(body, kind)
        bf = body[0]
        vname = var.text

        def run(e: Any, env: dict) -> bool:
            items = cf(e, env) or []
            test = lambda x: bf(e, {**env, vname: x}) is True
            return any(map(test, items)) if kind == "any" else all(map(test, items))

        return (run, "bool")
