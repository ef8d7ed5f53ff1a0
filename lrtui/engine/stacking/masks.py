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

from lrtui.engine.stacking.pid_columns import PidColumns

_ESC = "\x01"


@dataclass(frozen=True, slots=True)
class Rule:
    """One regex of a mask. ``prefix`` is kept (group 1 stays as is, the rest of the match is masked).

    Two cheap tests skip a regex pass over a block that cannot match: one of ``needles`` must occur in the text
    (lowercased when ``fold``), and ``gate`` (a regex that starts with a literal, so ``re`` scans for it at
    memchr speed) must find something that every match of ``pattern`` contains."""

    pattern: re.Pattern[str]
    needles: tuple[str, ...] = ()
    fold: bool = False
    prefix: bool = False
    gate: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class Mask:
    name: str
    rules: tuple[Rule, ...]  #: empty for the host mask (its pattern is the machine's own names)
    description: str


_PID_WORDS = ("pid", "process id")
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
                Rule(  # "\d(?<!\d\d)" is "(?<!\d)\d" with a digit first: re then tries digits only
                    re.compile(
                        r"\d(?<!\d\d)\d{3}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
                    ),
                    needles=("-",),
                    gate=re.compile(r"-\d\d-\d\d[T ]\d\d:\d\d"),
                ),
                Rule(
                    re.compile(r"\d(?<!\d\d)\d?/\d{1,2}/\d{4}[^\S\n]+\d{1,2}:\d{2}(?::\d{2})?(?:[^\S\n]?[AP]M)?"),
                    ("/",),
                    gate=re.compile(r"/\d\d\d\d[^\S\n]"),
                ),
                Rule(
                    re.compile(
                        r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[^\S\n]+[A-Z][a-z]{2}[^\S\n]+\d{1,2}[^\S\n]+\d{2}:\d{2}:\d{2}"
                        r"(?:[^\S\n]+\d{4})?"
                    ),
                    gate=re.compile(r":\d\d:\d\d"),
                ),
                Rule(re.compile(r"(time: )\d{14}\b"), ("time: ",), prefix=True),
            ),
            "timestamps (ISO 8601, US dates, ctime, transcript start and end stamps)",
        ),
        Mask(
            "pid",
            (Rule(re.compile(r"(?i)(\bprocess id: |\bpid[=:#] ?|\bpid )\d+"), _PID_WORDS, True, True),),
            "process ids after 'Process ID:' or 'pid=' (and PID columns of tables)",
        ),
        Mask(
            "guid",
            (
                Rule(
                    re.compile(
                        r"[0-9a-fA-F](?<![0-9a-fA-F]{2})[0-9a-fA-F]{7}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                        r"[0-9a-fA-F]{12}(?![0-9a-fA-F])"
                    ),
                    ("-",),
                    gate=re.compile(r"-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),
                ),
            ),
            "GUIDs",
        ),
    )
}
DEFAULT_MASKS: tuple[str, ...] = ("banner", "host", "time", "pid", "guid")


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
    line: stacking 300 MB must keep up with ``sort | uniq -c``). A rule whose needle or gate is absent from a
    block costs one scan at memchr speed instead of a regex pass.

    Stateful for tables: a header line naming PID columns (``ProcessId``, ``PID``, ``PPID``...) makes the numbers
    in those columns of the lines after it masked too (see ``pid_columns``).
    """

    def __init__(self, masks: Iterable[str], host_names: Iterable[str] = ()) -> None:
        names = tuple(masks)
        unknown = [n for n in names if n not in MASKS]
        if unknown:
            raise ValueError(f"unknown mask {unknown[0]!r}; known: {', '.join(MASKS)}")
        self.masks = names
        hosts = [h for h in host_names if h and "\n" not in h] if "host" in names else []
        # whole names only: a short name inside a longer word or name (ws01 in fin-ws01) is not this host
        alternatives = "|".join(re.escape(h) for h in hosts)
        self._host = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE) if hosts else None
        self._host_needles = tuple({h.lower() for h in hosts})
        self._rules = [(rule, _token(n)) for n in names for rule in MASKS[n].rules]
        self._pid = PidColumns(_token("pid"))

    def line(self, text: str) -> str:
        """One line (no line end) encoded with its masked spans."""
        return self.block(text)

    def block(self, text: str) -> str:
        """Whole lines (``\n``-separated) encoded with their masked spans; a literal ``\x01`` is escaped."""
        if _ESC in text:
            text = text.replace(_ESC, f"{_ESC}e")
        if not self.masks:
            return text
        raw, raw_folded = text, text.lower()  # needles are looked for before masking: a masked span adds none
        if "pid" in self.masks:
            text = self._pid.mask(text, raw_folded)
        if self._host is not None:
            folded = raw_folded if text is raw else text.lower()
            text = _sub_lines_with(self._host, _token("host"), text, folded, self._host_needles)
        for rule, token in self._rules:
            if rule.needles and not any(n in (raw_folded if rule.fold else raw) for n in rule.needles):
                continue
            repl = (r"\1" + token.replace("\\", "\\\\")) if rule.prefix else token
            text = (
                rule.pattern.sub(repl, text) if rule.gate is None else _sub_gated(rule.gate, rule.pattern, repl, text)
            )
        return text


def _sub_lines_with(pattern: re.Pattern[str], token: str, text: str, folded: str, needles: tuple[str, ...]) -> str:
    """``pattern.sub(token, text)`` run over only the lines where one of ``needles`` occurs in ``folded`` (the
    text lowercased), for a pattern that matches within a line and only where a needle is: a regex that cannot
    skip ahead (case folded, lookbehind first) then reads a few lines instead of the whole block."""
    if len(folded) != len(text):  # lowercasing changed lengths: positions would not map
        return pattern.sub(token, text) if any(n in folded for n in needles) else text
    lines: set[tuple[int, int]] = set()
    for needle in needles:
        at = folded.find(needle)
        while at >= 0:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            end = len(text) if end < 0 else end
            lines.add((start, end))
            at = folded.find(needle, end)
    return _sub_spans(pattern, token, text, sorted(lines))


MAX_GATED_LINES = 64  #: past this many lines with a gate's hit, the pattern runs over the whole block


def _sub_gated(gate: re.Pattern[str], pattern: re.Pattern[str], repl: str, text: str) -> str:
    """``pattern.sub(repl, text)`` for a pattern that matches within a line, and only on lines where ``gate``
    finds something: only those lines are read by ``pattern`` (the whole block when there are many)."""
    lines: list[tuple[int, int]] = []
    pos = 0
    while (hit := gate.search(text, pos)) is not None:
        if len(lines) == MAX_GATED_LINES:
            return pattern.sub(repl, text)
        start = text.rfind("\n", 0, hit.start()) + 1
        end = text.find("\n", hit.end())
        pos = end = len(text) if end < 0 else end
        lines.append((start, end))
    return _sub_spans(pattern, repl, text, lines)


def _sub_spans(pattern: re.Pattern[str], repl: str, text: str, lines: list[tuple[int, int]]) -> str:
    """``pattern.sub`` over the given lines of ``text`` (sorted, disjoint ``(start, end)`` offsets)."""
    if not lines:
        return text
    out: list[str] = []
    pos = 0
    for start, end in lines:
        out += [text[pos:start], pattern.sub(repl, text[start:end])]
        pos = end
    out.append(text[pos:])
    return "".join(out)
