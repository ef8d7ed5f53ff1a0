"""The private Textual APIs lrtui uses (``lrtui.tui.textual_compat``) still exist and still do what lrtui needs.

When one of these fails after a Textual upgrade, fix ``textual_compat`` (or drop the call if Textual now has a
public one); nothing else in lrtui touches a private Textual name.
"""

from __future__ import annotations

import inspect

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.widget import Widget

from lrtui.tui.textual_compat import CrashReportingApp, update_scrollbars


def test_scroll_update_exists_with_the_expected_signature():
    assert list(inspect.signature(Widget._scroll_update).parameters) == ["self", "virtual_size"]


class _Tall(ScrollView):
    DEFAULT_CSS = "_Tall { height: 10; overflow-y: scroll; }"


class _TallApp(App[None]):
    def compose(self) -> ComposeResult:
        yield _Tall()


async def test_update_scrollbars_resizes_the_bar_and_clamps_the_offset():
    """What the machine list relies on: a virtual size set without a layout pass, then the bar follows."""
    app = _TallApp()
    async with app.run_test(size=(40, 20)) as pilot:
        view = app.query_one(_Tall)
        view.virtual_size = Size(30, 100)
        await pilot.pause()
        view.scroll_to(y=90, animate=False, immediate=True)
        assert view.scroll_y == 90
        view.set_reactive(Widget.virtual_size, Size(30, 15))  # no layout pass, as MachineList does
        update_scrollbars(view, Size(30, 15))
        assert view.vertical_scrollbar.window_virtual_size == 15
        assert view.scroll_y == 5  # clamped to the new end (15 rows in a 10-row window)


def test_fatal_error_exists_with_the_expected_signature():
    assert list(inspect.signature(App._fatal_error).parameters) == ["self"]


class _Crashing(CrashReportingApp):
    def __init__(self, message: Text | None) -> None:
        super().__init__()
        self.message = message
        self.asked = 0

    def crash_message(self) -> Text | None:
        self.asked += 1
        return self.message

    def on_mount(self) -> None:
        raise RuntimeError("boom")


@pytest.mark.parametrize("message", [Text("lrtui stopped: see the crash file"), None], ids=["own", "traceback"])
async def test_an_unexpected_exception_goes_through_crash_message(message):
    """Textual calls ``_fatal_error`` for an exception without ``__rich__``: ours asks ``crash_message``, and
    either prints that instead of the traceback or (None) lets Textual print the traceback."""
    app = _Crashing(message)
    with pytest.raises(RuntimeError, match="boom"):
        async with app.run_test():
            pass
    assert app.asked == 1
    assert app.return_code == 1
