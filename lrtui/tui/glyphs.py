"""The one glyph table: every symbol the TUI draws comes from ``current()``.

``UNICODE`` is for terminals with a full font; ``CONSOLE`` keeps to what a Linux console font (the kernel's
CP437 VGA font, Terminus, Lat2-*) shows: ASCII, ``·`` (CP437 0xFA, Latin-1), the box-drawing lines and a few
block shades (``CONSOLE_CHARSET``). The app calls ``use`` once at start (``[ui] glyphs``, ``LRTUI_GLYPHS``;
``pick`` decides "auto"); widgets read ``current().<field>`` when they draw, never at import time.

The separator ``·`` in key hints is the same in both tables, so hint strings may spell it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.segment import Segment
from textual.filter import LineFilter

if TYPE_CHECKING:
    from textual.color import Color

    from lrtui.settings.sections import GlyphMode


@dataclass(frozen=True, eq=False, repr=False)  # two tables, told apart by identity and name
class Glyphs:
    """One table of symbols (``UNICODE``, ``CONSOLE``). Neither ``__eq__`` nor ``__repr__`` is generated, nor
    the docstring from the signature: ~0.6 ms less at the app's start."""

    name: str
    ok: str  #: a command or job that succeeded
    fail: str  #: one that failed
    running: str
    waiting: str
    unknown: str
    warn: str  #: a warning or a removal note
    search: str  #: the command palette's search prompt
    bar_full: str  #: gauge cells
    bar_empty: str
    outlier: str  #: a stack group that differs from the majority
    paused: str
    canary: str  #: a batch's canary wave
    mark: str  #: a marked machine
    cursor: str  #: beside the mark, on the machine list's cursor row (unicode: its colour is enough)
    check_on: str  #: a checkbox's label, checked
    check_off: str
    ellipsis: str  #: text cut short
    none: str  #: an empty cell
    times: str  #: "3 x file"
    tab_open: str  #: around the active pane's tab (console mode: brackets, as colour alone would not say it)
    tab_close: str
    ascii_only: bool  #: notes built below the TUI (``lrtui.api.text.removal_note``) take their ASCII variant


UNICODE = Glyphs(
    name="unicode",
    ok="✓",
    fail="✗",
    running="▶",
    waiting="·",
    unknown="?",
    warn="⚠",
    search="🔎",
    bar_full="▰",
    bar_empty="▱",
    outlier="◆",
    paused="‖",  # U+2016: in the common terminal fonts (U+23F8 is drawn as an emoji or not at all)
    canary="◇",
    mark="●",
    cursor=" ",
    check_on="☑",
    check_off="☐",
    ellipsis="…",
    none="—",
    times="×",
    tab_open=" ",
    tab_close=" ",
    ascii_only=False,
)

CONSOLE = Glyphs(
    name="console",
    ok="+",
    fail="x",
    running=">",
    waiting=".",
    unknown="?",
    warn="!",
    search=">",
    bar_full="█",
    bar_empty="░",
    outlier="*",
    paused="||",
    canary="c",
    mark="*",
    cursor=">",
    check_on="[x]",
    check_off="[ ]",
    ellipsis="...",
    none="-",
    times="x",
    tab_open="[",
    tab_close="]",
    ascii_only=True,
)

#: box-drawing lines as in CP437 (single, double and mixed), the block shades, and the middle dot
_BOX = "─│┌┐└┘├┤┬┴┼═║╒╓╔╕╖╗╘╙╚╛╜╝╞╟╠╡╢╣╤╥╦╧╨╩╪╫╬"
_BLOCKS = "█▄▀▌▐░▒▓■"
CONSOLE_CHARSET = frozenset(chr(c) for c in range(0x20, 0x7F)) | frozenset(_BOX + _BLOCKS + "·")

_current = UNICODE


def current() -> Glyphs:
    """The table in use (``UNICODE`` until the app calls ``use``)."""
    return _current


def use(glyphs: Glyphs) -> None:
    """Select the table for this process; the app calls it once, before it draws anything."""
    global _current
    _current = glyphs


def pick(mode: GlyphMode, *, term: str, colours: int | None) -> Glyphs:
    """The table for ``[ui] glyphs``: "auto" is ``CONSOLE`` on the Linux console (``TERM=linux``) and on a
    terminal with 16 colours or fewer (``colours``; None when unknown), else ``UNICODE``."""
    if mode == "console":
        return CONSOLE
    if mode == "unicode":
        return UNICODE
    if term.strip().lower() == "linux" or (colours is not None and colours <= 16):
        return CONSOLE
    return UNICODE


def console_safe(text: str) -> bool:
    """True when every character of ``text`` is in ``CONSOLE_CHARSET`` (newlines aside)."""
    return all(ch in CONSOLE_CHARSET for ch in text if ch != "\n")


#: what Textual's own chrome draws (rounded corners, the eighth blocks of key borders and scroll bars, quadrants,
#: rich's overflow ellipsis), one cell for one cell, as the nearest console character
_CHROME = str.maketrans(
    {
        "╭": "┌", "╮": "┐", "╰": "└", "╯": "┘",
        "▁": " ", "▂": " ", "▃": "▄", "▅": "▄", "▆": "█", "▇": "█", "▔": " ",
        "▉": "█", "▊": "█", "▋": "▌", "▍": "▌", "▎": "│", "▏": "│", "▕": "│",
        "▗": "▄", "▖": "▄", "▝": "▀", "▘": "▀", "▛": "█", "▜": "█", "▙": "█", "▟": "█",
        "…": "~", "⟨": "<", "⟩": ">",  # rich's overflow ellipsis; the stacking masks' brackets (engine text)
    }
)  # fmt: skip
#: the key names Textual shows as arrows and symbols (footer, help)
_KEYS = {"↑": "up", "↓": "down", "←": "left", "→": "right", "⏎": "enter", "⌫": "backspace"}


class ConsoleChrome(LineFilter):
    """In console mode: Textual's borders, scroll bars and ellipses drawn with console characters (the app's
    own symbols come from ``CONSOLE``; this filter does not hide one that does not)."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [Segment(seg.text.translate(_CHROME), seg.style, seg.control) for seg in segments]


def key_display(display: str) -> str:
    """A key as Textual shows it (``↑``, ``^⏎``) in words when the console table is in use."""
    if not current().ascii_only:
        return display
    for symbol, word in _KEYS.items():
        display = display.replace(symbol, word)
    return display
