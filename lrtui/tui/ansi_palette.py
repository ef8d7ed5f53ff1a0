"""The truecolor values Textual paints for Rich's named colours ("red", "bold green", ...).

Textual converts the 16 ANSI colours to truecolor through a terminal theme (``App.ansi_theme_dark`` /
``ansi_theme_light``); its defaults (Monokai, Alabaster) give red and blue under 4.5:1 on lrtui's dark surfaces
and green/yellow under 4.5:1 on the light ones (and, through NO_COLOR's grey filter, greys ~1.8:1 on black).
These two keep every named colour at >= 4.5:1 (WCAG AA) on the bundled themes' backgrounds, surfaces and
panels (``tests/tui/test_contrast.py`` measures what is painted).
"""

from __future__ import annotations

from rich.terminal_theme import TerminalTheme

READABLE_DARK = TerminalTheme(
    (12, 12, 12),
    (217, 217, 217),
    [
        (26, 26, 26),  # black
        (255, 118, 118),  # red
        (110, 220, 130),  # green
        (240, 196, 90),  # yellow
        (130, 176, 255),  # blue
        (230, 150, 255),  # magenta
        (100, 215, 235),  # cyan
        (210, 212, 205),  # white
        (150, 150, 150),  # bright black
    ],
    [
        (255, 140, 140),
        (140, 235, 155),
        (250, 215, 120),
        (160, 195, 255),
        (240, 170, 255),
        (130, 225, 240),
        (246, 246, 239),
    ],
)

READABLE_LIGHT = TerminalTheme(
    (247, 247, 247),
    (0, 0, 0),
    [
        (0, 0, 0),  # black
        (165, 30, 30),  # red
        (25, 105, 45),  # green
        (130, 85, 0),  # yellow
        (30, 85, 165),  # blue
        (120, 50, 150),  # magenta
        (0, 100, 130),  # cyan
        (247, 247, 247),  # white
        (95, 95, 95),  # bright black
    ],
    [
        (150, 25, 25),
        (20, 95, 40),
        (115, 75, 0),
        (25, 75, 150),
        (110, 40, 140),
        (0, 90, 115),
        (247, 247, 247),
    ],
)
