"""WCAG contrast of what the app actually paints: every text segment of the screen, after Textual's filters
(NO_COLOR's monochrome filter) and, for a 16-colour terminal, after rich's downgrade to the standard colours."""

from __future__ import annotations

from dataclasses import dataclass

from rich.color import Color as RichColor
from rich.color import ColorSystem
from rich.terminal_theme import DEFAULT_TERMINAL_THEME
from textual.app import App
from textual.color import Color

MINIMUM = 4.5
#: drawing characters (borders, scrollbars, rules) are not text
_DRAWING = tuple(range(0x2500, 0x25A0))


def luminance(rgb: tuple[int, int, int]) -> float:
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _rgb(color: RichColor | None, standard: bool, default: tuple[int, int, int]) -> tuple[int, int, int]:
    if color is None or color.is_default:
        return default
    if standard:
        color = color.downgrade(ColorSystem.STANDARD)
    t = color.get_truecolor(DEFAULT_TERMINAL_THEME)
    return (t.red, t.green, t.blue)


@dataclass(frozen=True)
class Low:
    ratio: float
    line: int
    text: str
    colours: str = ""


def low_contrast(app: App[None], *, standard: bool = False) -> list[Low]:
    """Every text segment on screen under ``MINIMUM`` (default colours: white on black, as most terminals)."""
    strips = app.screen._compositor.render_strips()
    for flt in app._filters:
        strips = [s.apply_filter(flt, Color(0, 0, 0)) for s in strips]
    found: list[Low] = []
    for y, strip in enumerate(strips):
        for seg in strip:
            text = "".join(ch for ch in seg.text if ord(ch) not in _DRAWING).strip()
            if not text or seg.style is None:
                continue
            fg = _rgb(seg.style.color, standard, (229, 229, 229))
            bg = _rgb(seg.style.bgcolor, standard, (0, 0, 0))
            r = ratio(fg, bg)
            if r < MINIMUM:
                found.append(Low(round(r, 2), y, text[:40], f"{_hex(fg)} on {_hex(bg)}"))
    return sorted(found, key=lambda low: low.ratio)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#%02x%02x%02x" % rgb
