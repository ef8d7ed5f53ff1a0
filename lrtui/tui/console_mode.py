"""Console mode and 16 colours on the app.

- The glyph table, chosen once before anything is drawn (``[ui] glyphs``, ``LRTUI_GLYPHS``; "auto" is console on
  ``TERM=linux`` and on a terminal of 16 colours or fewer, ``lrtui.tui.glyphs.pick``); in console mode Textual's
  own chrome (rounded corners, eighth blocks, the palette's search icon, arrow key names) is kept to what a Linux
  console font shows, and the app carries the ``-console`` class.
- At 16 colours (and with an ANSI theme) every segment's colours become a readable pair of the 16 standard
  colours (``lrtui.tui.readable16``) before rich's own colour-by-colour downgrade.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.command import CommandPalette, SearchIcon

from lrtui.tui.glyphs import CONSOLE, ConsoleChrome, current, key_display, pick, use
from lrtui.tui.readable16 import Readable16
from lrtui.tui.textual_compat import CrashReportingApp

if TYPE_CHECKING:
    from textual.binding import Binding
    from textual.filter import LineFilter
    from textual.theme import Theme

    from lrtui.settings.sections import GlyphMode

#: colours of rich's colour systems
COLOURS = {"standard": 16, "windows": 16, "256": 256, "truecolor": 1 << 24}


class GlyphsApp(CrashReportingApp):
    _console_chrome: ConsoleChrome | None = None
    _readable16: Readable16 | None = None
    _ansi_theme = False  #: the theme uses the terminal's ANSI colours (kept in step with the theme)

    def terminal_colours(self) -> int | None:
        """How many colours the terminal has (rich's detection: ``TERM``, ``COLORTERM``,
        ``TEXTUAL_COLOR_SYSTEM``); None when unknown, as in a headless run (tests), which has no terminal (an
        SVG snapshot is truecolor: ``tests/tui/test_contrast.py`` measures the 16-colour output)."""
        return None if self.is_headless else COLOURS.get(self.console.color_system or "")

    def choose_glyphs(self, mode: GlyphMode) -> None:
        """Once, before anything is drawn (from ``compose``)."""
        colours = self.terminal_colours()
        glyphs = pick(mode, term=os.environ.get("TERM", ""), colours=colours)
        use(glyphs)
        self.set_class(glyphs is CONSOLE, "-console")
        self.set_class(self.no_color, "-no-color")  # NO_COLOR: the cursor rows get a text style, not a grey
        self._console_chrome = ConsoleChrome() if glyphs is CONSOLE else None
        self._readable16 = Readable16(enabled=colours is not None and colours <= 16)
        self._ansi_theme = self.native_ansi_color
        self.theme_changed_signal.subscribe(self, self._on_theme_for_colours)

    def _on_theme_for_colours(self, _: Theme) -> None:
        self._ansi_theme = self.native_ansi_color

    @property
    def console_mode(self) -> bool:
        return self._console_chrome is not None

    def get_line_filters(self) -> Sequence[LineFilter]:
        filters = super().get_line_filters()
        readable = self._readable16 is not None and (self._readable16.enabled or self._ansi_theme)
        if not readable and self._console_chrome is None:
            return filters  # the common case (truecolor, unicode): nothing added, nothing copied
        extra = [f for f in (self._readable16 if readable else None, self._console_chrome) if f is not None]
        return [*filters, *extra]

    def get_key_display(self, binding: Binding) -> str:
        return key_display(super().get_key_display(binding))

    def on_command_palette_opened(self, _: CommandPalette.Opened) -> None:
        """The palette's search icon is an emoji: the glyph table's instead."""
        for icon in self.screen.query(SearchIcon):
            icon.icon = current().search
