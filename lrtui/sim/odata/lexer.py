"""The ``$filter`` tokenizer, its keyword sets, and :class:`TokenCursor` (the parsers' position in the tokens)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .schema import ODataError

__all__ = ["BOOL_FUNCS", "COMPARISONS", "VALUE_FUNCS", "Token", "TokenCursor", "tokenize"]

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

COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
BOOL_FUNCS = {"startswith", "endswith", "contains"}
VALUE_FUNCS = {"tolower", "toupper", "trim", "length"}


@dataclass
class Token:
    kind: str
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
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
            out.append(Token(kind, m.group(), pos))
        pos = m.end()
    out.append(Token("end", "", len(text)))
    return out


class TokenCursor:
    """The tokens of one ``$filter`` text and the position of the next one."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    def peek(self, k: int = 0) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def take(self) -> Token:
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
