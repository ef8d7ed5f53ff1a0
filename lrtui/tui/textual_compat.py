"""The private Textual APIs lrtui still needs (Textual is pinned to 8.2.8), each behind one name here.

- ``update_scrollbars(widget, virtual_size)`` calls ``Widget._scroll_update``: after a virtual size set with
  ``set_reactive`` (no screen-wide layout pass), it resizes the scrollbars and clamps the scroll offset.
  Textual has no public call that does only this; setting ``virtual_size`` publicly costs a layout pass per
  keystroke in the machine list.
- ``CrashReportingApp`` overrides ``App._fatal_error``, which ``App._handle_exception`` calls for an
  unexpected exception: Textual has no public hook to replace the traceback it prints on exit.

``tests/tui/test_textual_compat.py`` fails when an upgrade renames or changes either of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App

if TYPE_CHECKING:
    from rich.console import RenderableType
    from textual.geometry import Size
    from textual.widget import Widget


def update_scrollbars(widget: Widget, virtual_size: Size) -> None:
    """Resize ``widget``'s scrollbars to ``virtual_size`` and clamp its scroll offset (no layout pass)."""
    widget._scroll_update(virtual_size)


class CrashReportingApp(App[None]):
    """An app that may print its own message instead of Textual's traceback after an unexpected exception."""

    def crash_message(self) -> RenderableType | None:
        """What to print on exit instead of the traceback (called inside the exception's handler); None keeps
        Textual's traceback."""
        return None

    def _fatal_error(self) -> None:
        message = self.crash_message()
        if message is None:
            super()._fatal_error()
            return
        self.bell()
        self.panic(message)
