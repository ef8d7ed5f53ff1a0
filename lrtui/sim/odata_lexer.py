"""The ``$filter`` tokenizer and its keyword sets."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .odata_schema import ODataError

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
