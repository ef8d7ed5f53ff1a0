"""A small OData v4 ``$filter`` parser/evaluator and query-option handling (``$top``, ``$skip``,
``$orderby``, ``$select``, ``$count``, ``$skiptoken``), enough to mirror the MDE API.

Supported: ``eq ne gt ge lt le``, ``and or not``, parentheses, ``in (...)``, ``startswith``,
``endswith``, ``contains``, ``tolower``, ``toupper``, ``trim``, ``length``, lambdas
``coll/any(x: ...)`` / ``coll/all(x: ...)`` / ``coll/any()``, member access ``x/prop``, string literals
with doubled quotes, numbers, ``true false null``, datetime literals (``2018-08-01Z``,
``2024-06-01T08:00:00Z``, with fractions and offsets) and bare GUIDs. Errors raise :class:`ODataError`
with a message in the style of ASP.NET OData.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .clock import parse_iso

__all__ = ["ODataError", "Schema", "compile_filter", "QueryOptions", "parse_query_options", "run_query"]


class ODataError(Exception):
    """A malformed or unsupported query; ``str(e)`` is the message for the 400 body."""


@dataclass
class Schema:
    """``fields`` maps the wire name to a type: str, int, float, bool, datetime, list, object."""

    type_name: str
    fields: dict[str, str]
    filterable: set[str] | None = None  # None: every field
    strict: bool = True
    getter: Callable[[Any, str], Any] = field(default=lambda e, n: e.get(n))

    def check_filterable(self, name: str) -> None:
        if name not in self.fields:
            raise ODataError(f"Could not find a property named '{name}' on type '{self.type_name}'.")
        if self.strict and self.filterable is not None and name not in self.filterable:
            raise ODataError(f"The property '{name}' cannot be used in the $filter query option.")


# ---------------------------------------------------------------- tokenizer

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<str>'(?:[^']|'')*')
  | (?P<dt>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:\d{2})?(?![\w-]))
  | (?P<guid>[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![\w-]))
  | (?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w]))
  | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<punct>[(),:/])
    """,
    re.X,
)

_CMP = {"eq", "ne", "gt", "ge", "lt", "le"}
_BOOL_FUNCS = {"startswith", "endswith", "contains"}
_VALUE_FUNCS = {"tolower", "toupper", "trim", "length"}
_EDM = {"str": "Edm.String", "int": "Edm.Int64", "float": "Edm.Double", "bool": "Edm.Boolean",
        "datetime": "Edm.DateTimeOffset", "list": "Collection(Edm.String)", "object": "Edm.ComplexType",
        "null": "null", "any": "Edm.Untyped"}
_OPNAME = {"eq": "Equal", "ne": "NotEqual", "gt": "GreaterThan", "ge": "GreaterThanOrEqual",
           "lt": "LessThan", "le": "LessThanOrEqual"}


@dataclass
class _Tok:
    kind: str
    text: str
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            ch = text[pos]
            if ch == "'":
                raise ODataError(f"There is an unterminated string literal at position {pos} in '{text}'.")
            raise ODataError(f"Syntax error: character '{ch}' is not valid at position {pos} in '{text}'.")
        kind = m.lastgroup or ""
        if kind != "ws":
            out.append(_Tok(kind, m.group(), pos))
        pos = m.end()
    out.append(_Tok("end", "", len(text)))
    return out


# ---------------------------------------------------------------- compiled nodes
# A node is (fn(entity, env) -> value, type). Types as in Schema.fields plus "null"/"any".

Node = tuple[Callable[[Any, dict], Any], str]


def _coerce_dt(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return parse_iso(value)
        except ValueError:
            return value
    return value


class _Parser:
    def __init__(self, text: str, schema: Schema) -> None:
        self.text = text
        self.schema = schema
        self.toks = _tokenize(text)
        self.i = 0
        self.lambda_vars: dict[str, str] = {}

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

    # -- grammar
    def parse(self) -> Callable[[Any], bool]:
        if self.peek().kind == "end":
            raise ODataError("The $filter query option is empty.")
        fn, typ = self.parse_or()
        if self.peek().kind != "end":
            raise self.error_here("expected 'and', 'or' or end of expression")
        if typ not in ("bool", "any", "null"):
            raise ODataError(f"The $filter expression must evaluate to a single boolean value, not {_EDM.get(typ, typ)}.")
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
            return (lambda e, env: not (f(e, env) is True), "bool")
        return self.parse_cmp()

    def _need_bool(self, node: Node, op: str) -> None:
        if node[1] not in ("bool", "any", "null"):
            raise ODataError(f"The operand of '{op}' must be a boolean expression, not {_EDM.get(node[1], node[1])}.")

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
                    raise ODataError(f"No function signature for the function with name '{name}' matches the "
                                     f"specified arguments ({_EDM.get(a[1], a[1])}).")
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
                raise ODataError(f"Syntax error at position {seg.pos} in '{self.text}': expected a property name after '/'.")
            if seg.text in ("any", "all") and self.peek().text == "(":
                base = self.parse_lambda(base, seg.text)
            else:
                bf = base[0]
                base = (lambda e, env, bf=bf, s=seg.text: (v.get(s) if isinstance(v := bf(e, env), dict) else None), "any")
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
            test = (lambda x: bf(e, {**env, vname: x}) is True)
            return any(map(test, items)) if kind == "any" else all(map(test, items))

        return (run, "bool")


def compile_filter(text: str, schema: Schema) -> Callable[[Any], bool]:
    """Compile a ``$filter`` expression to a predicate over entities (raises :class:`ODataError`)."""
    return _Parser(text, schema).parse()


# ---------------------------------------------------------------- query options

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
        raise ODataError(f"Invalid value '{value}' for {name} query option found. "
                         f"The {name} query option requires a non-negative integer value.")
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
            raise ODataError(f"The query specified in the URI is not valid. Query option '{k[1:].capitalize()}' is not allowed. "
                             "To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings.")
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
            raise ODataError(f"The limit of '{max_top}' for Top query has been exceeded. "
                             f"The value from the incoming request is '{opts.top}'.")
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
                raise ODataError(f"The $orderby expression must evaluate to a single value of primitive type ('{words[0]}').")
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
    avail = items[opts.skip:]
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
