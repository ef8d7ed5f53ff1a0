"""Masks: what always differs from machine to machine (the host's own name, timestamps, process ids, GUIDs),
replaced before outputs are compared, so machines that did the same thing stack together.

A masked line is encoded unambiguously: a literal ``\\x01`` becomes ``\\x01e`` and a masked span
``\\x01m<name>\\x01;``. Two lines therefore encode alike only when they are equal outside masked spans, which
is what keeps a mask from merging outputs that really differ. ``display()`` turns the encoding into
``⟨name⟩`` for people.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_ESC = "\x01"


@dataclass(frozen=True, slots=True)
class Rule:
    """One regex of a mask. ``prefix`` is kept (group 1 stays as is, the rest of the match is masked). The rule
    runs only when one of ``needles`` occurs in the text (lowercased when ``fold``): a cheap ``in`` test saves a
    regex pass over a block that cannot match."""

    pattern: re.Pattern[str]
    needles: tuple[str, ...] = ()
    fold: bool = False
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Mask:
    name: str
    rules: tuple[Rule, ...]  #: empty for the host mask (its pattern is the machine's own names)
    description: str


_WEEKDAYS = ("Mon ", "Tue ", "Wed ", "Thu ", "Fri ", "Sat ", "Sun ")
MASKS: dict[str, Mask] = {
    m.name: m
    for m in (
        Mask("host", (), "the machine's own name (FQDN and short name, any case)"),
        Mask(
            "banner",
            (
                Rule(
                    re.compile(
                        r"(?ms)^\*{10,}[^\n]*\n.*?^\*{10,}[^\n]*$(?:\nTranscript started, output file is [^\n]*)?"
                    ),
                    ("**********",),
                ),
            ),
            "the PowerShell transcript banners (start and end blocks between lines of asterisks)",
        ),
        Mask(
            "time",
            (
                Rule(
                    re.compile(
                        r"(?<!\d)\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
                    ),
                    needles=("-",),
                ),
                Rule(re.compile(r"(?<!\d)\d{1,2}/\d{1,2}/\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AP]M)?"), ("/",)),
                Rule(
                    re.compile(
                        r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+[A-Z][a-z]{2}\s+\d{1,2}\s+\d{2}:\d{2}:\d{2}(?:\s+\d{4})?"
                    ),
                    _WEEKDAYS,
                ),
                Rule(re.compile(r"(time: )\d{14}\b"), ("time: ",), prefix=True),
            ),
            "timestamps (ISO 8601, US dates, ctime, transcript start and end stamps)",
        ),
        Mask(
            "pid",
            (Rule(re.compile(r"(?i)(\bprocess id: |\bpid[=:#] ?|\bpid )\d+"), ("pid", "process id"), True, True),),
            "process ids after 'Process ID:' or 'pid=' (and PID columns of tables)",
        ),
        Mask(
            "guid",
            (
                Rule(
                    re.compile(
                        r"(?<![0-9a-fA-F])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
                        r"(?![0-9a-fA-F])"
                    ),
                    ("-",),
                ),
            ),
            "GUIDs",
        ),
    )
}
DEFAULT_MASKS: tuple[str, ...] = ("banner", "host", "time", "pid", "guid")
_PID_HEADERS = {"pid", "ppid", "processid", "parentprocessid"}


def _token(name: str) -> str:
    return f"{_ESC}m{name}{_ESC};"


def display(encoded: str) -> str:
    """A masked line as people read it: masked spans as ``⟨name⟩``."""
    if _ESC not in encoded:
        return encoded
    out = re.sub(f"{_ESC}m([a-z]+){_ESC};", lambda m: f"⟨{m.group(1)}⟩", encoded)
    return out.replace(f"{_ESC}e", _ESC)


class Masker:
    """Masks one machine's output, a block of whole lines at a time (regexes over blocks, not a Python loop per
    line: stacking 300 MB must keep up with ``sort | uniq -c``).

    Stateful for tables: a header line naming PID columns (``ProcessId``, ``PID``, ``PPID``...) makes the numbers
    in those columns of the lines after it masked too, whitespace-separated columns counted from the left. A
    masked column number takes its padding with it, so right-aligned columns of different widths still match.
    """

    def __init__(self, masks: Iterable[str], host_names: Iterable[str] = ()) -> None:
        names = tuple(masks)
        unknown = [n for n in names if n not in MASKS]
        if unknown:
            raise ValueError(f"unknown mask {unknown[0]!r}; known: {', '.join(MASKS)}")
        self.masks = names
        hosts = [h for h in host_names if h] if "host" in names else []
        # whole names only: a short name inside a longer word or name (ws01 in fin-ws01) is not this host
        alternatives = "|".join(re.escape(h) for h in hosts)
        self._host = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE) if hosts else None
        self._rules = [(rule, _token(n)) for n in names for rule in MASKS[n].rules]
        self._pid_rows: list[tuple[int, re.Pattern[str]]] = []

    def line(self, text: str) -> str:
        """One line (no line end) encoded with its masked spans."""
        return self.block(text)

    def block(self, text: str) -> str:
        """Whole lines (``\n``-separated) encoded with their masked spans; a literal ``\x01`` is escaped."""
        if _ESC in text:
            text = text.replace(_ESC, f"{_ESC}e")
        if not self.masks:
            return text
        if "pid" in self.masks:
            text = self._pid_tables(text)
        if self._host is not None:
            text = self._host.sub(_token("host"), text)
        folded: str | None = None
        for rule, token in self._rules:
            if rule.needles:
                if rule.fold:
                    folded = text.lower() if folded is None else folded
                    hay = folded
                else:
                    hay = text
                if not any(n in hay for n in rule.needles):
                    continue
            text = rule.pattern.sub((r"\1" + token.replace("\\", "\\\\")) if rule.prefix else token, text)
            folded = None
        return text

    def _pid_tables(self, text: str) -> str:
        header = _PID_HEADER.search(text)
        head, rest = ("", text) if header is None else (text[: header.end()], text[header.end() :])
        if header is not None:
            words = header.group(0).lower().split()
            self._pid_rows = [(i, _pid_column(i)) for i, w in enumerate(words) if w in _PID_HEADERS]
        for index, row in self._pid_rows:
            rest = row.sub((r"\1 " if index else "") + _token("pid"), rest)
        return head + rest


_PID_HEADER = re.compile(r"(?mi)^[^\n\d]*\b(?:pid|ppid|processid|parentprocessid)\b[^\n\d]*$")


def _pid_column(index: int) -> re.Pattern[str]:
    """The number in whitespace-separated column ``index`` of a line, with the padding before it."""
    if index == 0:
        return re.compile(r"(?m)^[ \t]*\d+(?=[ \t]|$)")
    before = r"[ \t]*(?:[^ \t\n]+[ \t]+){%d}" % (index - 1) + r"[^ \t\n]+"
    return re.compile(r"(?m)^(" + before + r")[ \t]*\d+(?=[ \t]|$)")
