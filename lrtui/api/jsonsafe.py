"""JSON from the network, decoded only when its nesting is bounded.

A deeply nested document (``[[[[...]]]]``) makes a recursive decoder raise ``RecursionError`` (a traceback, or
a dead poller). ``too_deep(data, limit)`` finds out first, at C speed: strings are removed, the brackets kept,
and innermost ``()`` pairs removed pass by pass; a document still holding brackets after ``limit`` passes (or
showing more than ``limit`` openers in a row after any pass) is nested deeper than ``limit``.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: a JSON string (escapes included); brackets inside strings do not nest
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_KEEP = b"[]{}"
_DROP = bytes(b for b in range(256) if b not in _KEEP)
_PAIRS = bytes.maketrans(b"[]{}", b"()()")
DEFAULT_MAX_DEPTH = 64


class JsonTooDeep(ValueError):
    """The document nests arrays/objects deeper than the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"nested deeper than {limit} levels")
        self.limit = limit


def too_deep(data: bytes, limit: int = DEFAULT_MAX_DEPTH) -> bool:
    """True when ``data`` nests arrays/objects deeper than ``limit`` (more than ``limit`` unclosed openers count
    as too deep too; other unbalanced documents are left to the decoder, which reports them)."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    s = _STRING.sub(b"", data).translate(_PAIRS, _DROP)
    run = b"(" * (limit + 1)  # that many openers in a row: too deep at once (the common hostile shape)
    for _ in range(limit):
        if run in s:
            return True
        if not s:
            return False
        shorter = s.replace(b"()", b"")
        if len(shorter) == len(s):
            return False
        s = shorter
    return bool(s)


def loads_bounded(data: bytes, limit: int = DEFAULT_MAX_DEPTH) -> Any:
    """``json.loads`` of UTF-8 bytes (a BOM accepted) after the depth check.

    Raises ``JsonTooDeep``, or ``ValueError`` (``UnicodeDecodeError`` included) for what is not JSON."""
    if too_deep(data, limit):
        raise JsonTooDeep(limit)
    try:
        return json.loads(data.decode("utf-8-sig"))
    except RecursionError:  # a decoder that recurses deeper than Python allows: the same answer
        raise JsonTooDeep(limit) from None
