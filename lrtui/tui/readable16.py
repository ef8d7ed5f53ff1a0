"""Readable text at 16 colours.

On a terminal of 16 colours (``TERM=linux``, plain ``xterm``) rich downgrades every colour on its own to the
nearest of the 16 standard ones (``Color.downgrade(ColorSystem.STANDARD)``). A pair that reads well in truecolor
can then land on two colours of the same brightness: the default theme's panel becomes dark grey and its amber
footer keys bright red on it (2.4:1), its blue header cyan under white text (2.9:1). ANSI themes meet the same
wall: the standard red on black is 2.7:1.

``Readable16`` downgrades each segment's pair together, before rich does: the background as rich would, the text
as the nearest standard colour that keeps ``MINIMUM`` (WCAG AA 4.5:1) on it. The palette is the Linux console's
VGA one (``VGA``, the one rich matches against); default text is its colour 7 on black.
"""

from __future__ import annotations

import math
from functools import lru_cache

from rich.color import Color, ColorSystem, ColorType
from rich.segment import Segment
from rich.style import Style
from textual.color import Color as TextualColor
from textual.filter import LineFilter

MINIMUM = 4.5
#: the VGA palette of the Linux console, which is also the one rich's downgrade matches against
VGA: tuple[tuple[int, int, int], ...] = (
    (0, 0, 0), (170, 0, 0), (0, 170, 0), (170, 85, 0), (0, 0, 170), (170, 0, 170), (0, 170, 170), (170, 170, 170),
    (85, 85, 85), (255, 85, 85), (85, 255, 85), (255, 255, 85), (85, 85, 255), (255, 85, 255), (85, 255, 255),
    (255, 255, 255),
)  # fmt: skip
_RGB = VGA
DEFAULT_FG, DEFAULT_BG = 7, 0  #: the Linux console's default text and background
_GREYS = (0, 7, 8, 15)  #: black, light grey, dark grey, white


def luminance(rgb: tuple[int, int, int]) -> float:
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _standard(color: Color | None, default: int) -> tuple[int, tuple[int, int, int]]:
    """The standard colour number and the RGB it wants to be (its own for truecolor, the palette's otherwise)."""
    if color is None or color.type is ColorType.DEFAULT:
        return default, _RGB[default]
    wanted = color.triplet if color.type is ColorType.TRUECOLOR else None
    number = color.downgrade(ColorSystem.STANDARD).number
    n = default if number is None else number
    return n, (wanted.red, wanted.green, wanted.blue) if wanted is not None else _RGB[n]


def _distance(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """rich's "redmean" colour distance (what its palette match uses)."""
    red_mean = (a[0] + b[0]) / 2
    dr, dg, db = a[0] - b[0], a[1] - b[1], a[2] - b[2]
    return math.sqrt((2 + red_mean / 256) * dr * dr + 4 * dg * dg + (2 + (255 - red_mean) / 256) * db * db)


def readable_pair(fg: Color | None, bg: Color | None) -> tuple[int, int]:
    """(text, background) standard colour numbers: the background rich's, the text >= ``MINIMUM`` on it."""
    bg_n, _ = _standard(bg, DEFAULT_BG)
    fg_n, wanted = _standard(fg, DEFAULT_FG)
    if ratio(_RGB[fg_n], _RGB[bg_n]) >= MINIMUM:
        return fg_n, bg_n
    ok = [n for n in range(16) if ratio(_RGB[n], _RGB[bg_n]) >= MINIMUM]
    if max(wanted) - min(wanted) < 48:  # grey or white text stays grey or white (never blue on cyan)
        ok = [n for n in ok if n in _GREYS] or ok
    return min(ok, key=lambda n: _distance(_RGB[n], wanted)), bg_n


def _is_default(color: Color | None) -> bool:
    return color is None or color.type is ColorType.DEFAULT


@lru_cache(maxsize=1024)
def readable_style(style: Style) -> Style:
    """``style`` with both colours as standard ones and its text readable on its background (reverse too)."""
    fg, bg = (style.bgcolor, style.color) if style.reverse else (style.color, style.bgcolor)
    fg_n, bg_n = readable_pair(fg, bg)
    # a default colour the pair keeps stays the terminal's own (its default may not be the console's)
    text = fg if _is_default(fg) and fg_n == DEFAULT_FG else Color.from_ansi(fg_n)
    back = bg if _is_default(bg) and bg_n == DEFAULT_BG else Color.from_ansi(bg_n)
    if style.reverse:
        text, back = back, text
    return style + Style(color=text, bgcolor=back) if text is not fg or back is not bg else style


class Readable16(LineFilter):
    """Every segment's colours as a readable pair of the 16 standard colours (see the module's note)."""

    def apply(self, segments: list[Segment], background: TextualColor) -> list[Segment]:
        return [
            seg if seg.style is None or seg.control else Segment(seg.text, readable_style(seg.style), seg.control)
            for seg in segments
        ]
