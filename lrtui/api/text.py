"""Untrusted text (machine names, tags, script output, error strings) made safe to show.

``clean(s)`` removes everything a terminal could act on: ESC sequences (CSI, OSC, DCS, APC, PM, SOS and
two-character escapes), 8-bit C1 controls (including 8-bit CSI/OSC strings), C0 controls other than newline
and tab, DEL, and the Unicode bidi overrides/isolates that can reorder what a reader sees. ``clean_line(s)``
also folds newlines and tabs into spaces. ``clean_report(s)`` also says how many control or bidi sequences it
removed, and ``removal_note(n)`` words that count for the screen (a bidi override in a file name is itself an
indicator an analyst must see). The Rich/Textual helpers built on these live in the TUI (``lrtui.tui.safe_text``).
"""

from __future__ import annotations

import re

# String-type escapes: OSC, DCS, SOS, PM, APC (7-bit ESC x or 8-bit C1 introducer), ended by BEL or ST
# (ESC \ or 0x9c), or by the end of the text when unterminated.
_STRING_ESC = r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c|$)"
# CSI: ESC [ or 0x9b, parameters, intermediates, one final byte (or cut off at the end).
_CSI = r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
# Other escapes: ESC, intermediates, one final byte (ESC ( B, ESC 7, ESC c, ...); a lone trailing ESC.
_ESC = r"\x1b[ -/]*[0-~]?"
_CONTROLS = r"[\x00-\x08\x0b-\x1f\x7f-\x9f]"
_BIDI = "[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"

_UNSAFE = re.compile("|".join((_STRING_ESC, _CSI, _ESC, _CONTROLS, _BIDI)))
_FAST_SAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\n\t]+")


def clean(s: object, *, multiline: bool = True) -> str:
    """``s`` as text with terminal controls removed.

    ``\\r\\n`` becomes ``\\n``. With ``multiline=False`` newlines and tabs become single spaces (names, tags,
    one-line messages).
    """
    text = s if isinstance(s, str) else str(s)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if _FAST_SAFE.search(text):
        text = _UNSAFE.sub("", text)
    if not multiline and ("\n" in text or "\t" in text):
        text = _LINE_BREAKS.sub(" ", text)
    return text


def clean_report(s: object, *, multiline: bool = True) -> tuple[str, int]:
    """``(clean(s), n)``: the cleaned text and how many control, escape or bidi sequences were removed.

    ``\\r\\n`` folded into ``\\n`` and newlines/tabs folded into spaces do not count: they are not hidden
    content.
    """
    text = s if isinstance(s, str) else str(s)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    removed = 0
    if _FAST_SAFE.search(text):
        text, removed = _UNSAFE.subn("", text)
    if not multiline and ("\n" in text or "\t" in text):
        text = _LINE_BREAKS.sub(" ", text)
    return text, removed


def removal_note(n: int, *, ascii_only: bool = False) -> str:
    """``"⚠ 2 control sequences removed"`` (``"! ..."`` with ``ascii_only``); ``""`` when nothing was removed."""
    if n <= 0:
        return ""
    mark = "!" if ascii_only else "⚠"
    return f"{mark} {n} control sequence{'s' if n != 1 else ''} removed"


def clean_line(s: object) -> str:
    """``clean(s, multiline=False)``: for one-line fields such as names and tags."""
    return clean(s, multiline=False)
