"""PID columns of tables: after a header line naming PID columns (``ProcessId``, ``PID``, ``PPID``...), the
numbers in those columns of the lines below are masked, whitespace-separated columns counted from the left. A
masked number takes its padding with it (right-aligned columns of different widths still match); a masked
column after the first keeps one space before it.

Fast: the rows are found by patterns that start with the literal ``\\n`` (``re`` skips to each line at memchr
speed), and no replacement template has a group (before Python 3.12 ``re`` expands those in Python per match):
one pass masks every row whose PID columns are all numbers, then one pass per column masks the rows where only
some are (those the first pass masked no longer match: their PID columns are masked spans).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADERS = frozenset({"pid", "ppid", "processid", "parentprocessid"})
_HEADER = re.compile(r"(?mi)^[^\n\d]*\b(?:pid|ppid|processid|parentprocessid)\b[^\n\d]*$")
_NEEDLES = ("pid", "processid")
_END = r"(?=[ \t\n]|\Z)"
_BLANK = re.compile(r"\n(?=[ \t]*+(?:\n|\Z))")  #: rows with nothing but blanks: no PID column to mask


@dataclass(frozen=True, slots=True)
class _Pass:
    """One regex over the rows, and how a match is rewritten: ``before`` + (group 1 if any) + ``after``."""

    pattern: re.Pattern[str]
    before: str
    after: str = ""

    def run(self, text: str) -> tuple[str, int]:
        """The text rewritten, and the number of rows rewritten."""
        if not self.pattern.groups:
            return self.pattern.subn(self.before.replace("\\", "\\\\"), text)
        parts = self.pattern.split(text)
        parts[1::2] = [self.before + kept + self.after for kept in parts[1::2]]
        return "".join(parts), len(parts) // 2


def _column(index: int, token: str) -> _Pass:
    """The number in column ``index`` (and the padding before it)."""
    if index == 0:
        return _Pass(re.compile(r"\n[ \t]*+\d++" + _END), "\n" + token)
    before = r"[ \t]*+(?:[^ \t\n]++[ \t]++){%d}" % (index - 1) + r"[^ \t\n]++"
    return _Pass(re.compile(r"(\n" + before + r")[ \t]++\d++" + _END), "", " " + token)


def _all_columns(columns: list[int], token: str) -> _Pass | None:
    """One pass for rows where every PID column is a number, when the columns kept between them form at most
    one run (``PID PPID Name``, ``Name PID``); None otherwise."""
    pids = set(columns)
    last = max(columns)
    kept = [i for i in range(last + 1) if i not in pids]
    if kept and kept != list(range(kept[0], kept[-1] + 1)):
        return None
    regex, before, after = "\n", "\n", ""
    for i in range(last + 1):
        sep = r"[ \t]*+" if i == 0 else r"[ \t]++"
        if i in pids:
            regex += sep + r"\d++"
            piece = token if i == 0 else " " + token
            if kept and i > kept[-1]:
                after += piece
            else:
                before += piece
        else:
            regex += ("(" if i == kept[0] else "") + sep + r"[^ \t\n]++" + (")" if i == kept[-1] else "")
    return _Pass(re.compile(regex + _END), before, after)


class PidColumns:
    """The PID columns of the last header seen (state carried from block to block of one output)."""

    def __init__(self, token: str) -> None:
        self._token = token
        self._all: _Pass | None = None  #: every PID column of a row at once
        self._each: list[_Pass] = []  #: one PID column at a time

    def mask(self, text: str, folded: str) -> str:
        """``text`` (whole lines; ``folded`` is it lowercased) with the PID columns of its tables masked."""
        header = _HEADER.search(text) if any(n in folded for n in _NEEDLES) else None
        # every row starts after a "\n" (the patterns start with that literal): the rows after a header already
        # do (it ends before its own "\n"); a block without one gets a "\n" in front, taken off at the end
        head, rest = ("", "\n" + text) if header is None else (text[: header.end()], text[header.end() :])
        cut = 1 if header is None else 0
        if header is not None:
            columns = [i for i, w in enumerate(header.group(0).lower().split()) if w in HEADERS]
            self._all = _all_columns(columns, self._token) if columns else None  # "-PID": no column named
            self._each = [_column(i, self._token) for i in columns]
        if not self._each or not rest:
            return text
        if self._all is not None:
            rest, n = self._all.run(rest)
            rows = rest.count("\n")
            if n == rows or n == rows - len(_BLANK.findall(rest)):  # every row with text masked whole: the
                return head + rest[cut:]  # column passes would find nothing
        for p in self._each:
            rest, _ = p.run(rest)
        return head + rest[cut:]
