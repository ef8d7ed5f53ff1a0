"""WCAG contrast of what the app actually paints: every text segment of the screen, after Textual's filters
(NO_COLOR's monochrome filter, the ANSI-to-truecolor filter when it is on) and, for a 16-colour terminal
(``standard=True``), after rich's downgrade to the 16 standard colours (``Color.downgrade(ColorSystem.STANDARD)``,
what rich does when it writes to a terminal whose colour system is "standard", e.g. ``TERM=linux``).

Colours are turned into RGB through a terminal's palette: in truecolor, rich's ``DEFAULT_TERMINAL_THEME`` colours
with light grey default text on black, and the Linux console's VGA palette (rich's ``STANDARD_PALETTE``, the one
rich matches against; default text is colour 7, 170 grey) at 16 colours. ANSI colours (the ``lrtui-terminal``
theme) go through the same palettes."""

from __future__ import annotations

from dataclasses import dataclass

from rich._palettes import STANDARD_PALETTE
from rich.color import Color as RichColor
from rich.color import ColorSystem
from rich.terminal_theme import DEFAULT_TERMINAL_THEME, TerminalTheme
from textual.app import App
from textual.color import Color
from textual.geometry import Region

from lrtui.tui.readable16 import ratio  # WCAG (test_contrast pins it to known values)

MINIMUM = 4.5
_VGA = [tuple(STANDARD_PALETTE[i]) for i in range(16)]
#: the Linux console (TERM=linux): the VGA palette, light grey (colour 7) on black by default
LINUX_CONSOLE = TerminalTheme(_VGA[0], _VGA[7], _VGA[:8], _VGA[8:])
_XTERM = [tuple(DEFAULT_TERMINAL_THEME.ansi_colors[i]) for i in range(16)]
TRUECOLOR_TERMINAL = TerminalTheme((0, 0, 0), (229, 229, 229), _XTERM[:8], _XTERM[8:])
#: drawing characters (borders, scrollbars, rules) are not text
_DRAWING = tuple(range(0x2500, 0x25A0))


def _rgb(color: RichColor | None, standard: bool, *, foreground: bool) -> tuple[int, int, int]:
    theme = LINUX_CONSOLE if standard else TRUECOLOR_TERMINAL
    if color is None or color.is_default:
        t = theme.foreground_color if foreground else theme.background_color
    else:
        if standard:
            color = color.downgrade(ColorSystem.STANDARD)
        t = color.get_truecolor(theme, foreground=foreground)
    return (t.red, t.green, t.blue)


@dataclass(frozen=True)
class Low:
    ratio: float
    line: int
    text: str
    colours: str = ""


def low_contrast(app: App[None], *, standard: bool = False, region: Region | None = None) -> list[Low]:
    """Every text segment on screen (or in ``region``: a dialog, not the dimmed screen behind it) under
    ``MINIMUM`` (reverse video swaps the two colours)."""
    strips = app.screen._compositor.render_strips()
    for flt in app.get_line_filters():  # the enabled ones, as Textual applies them
        strips = [s.apply_filter(flt, Color(0, 0, 0)) for s in strips]
    found: list[Low] = []
    for y, strip in enumerate(strips):
        x = 0
        for seg in strip:
            start, x = x, x + seg.cell_length
            if region is not None and not (region.y <= y < region.bottom and region.x <= start < region.right):
                continue
            text = "".join(ch for ch in seg.text if ord(ch) not in _DRAWING).strip()
            if not text or seg.style is None:
                continue
            fg = _rgb(seg.style.color, standard, foreground=True)
            bg = _rgb(seg.style.bgcolor, standard, foreground=False)
            if seg.style.reverse:
                fg, bg = bg, fg
            r = ratio(fg, bg)
            if r < MINIMUM:
                found.append(Low(round(r, 2), y, text[:40], f"{_hex(fg)} on {_hex(bg)}"))
    return sorted(found, key=lambda low: low.ratio)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#%02x%02x%02x" % rgb
