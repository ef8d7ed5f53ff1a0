"""Helpers for the sequence/activity/results/request-log pane tests (keys as a user presses them)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from tests.tui.conftest import wait_until


def screen_lines(app: Any) -> list[str]:
    """The text of every row of the current screen as rendered (what a user reads)."""
    strips = app.screen._compositor.render_strips()
    return ["".join(seg.text for seg in strip) for strip in strips]


def screen_text(app: Any) -> str:
    return "\n".join(screen_lines(app))


def svg_text(app: Any) -> str:
    """The visible text of ``export_screenshot()``: tags removed, entities decoded."""
    svg = app.export_screenshot()
    body = svg.split("</style>", 1)[-1]
    return html.unescape(re.sub(r"<[^>]+>", "", body)).replace("\xa0", " ")


async def open_results(pilot: Any, job_id: str) -> Any:
    """Open a job's results and wait for the pane's own default focus (the commands list, set after a refresh),
    so a test's later ``focus()`` is not taken back by it; returns the output view."""
    app = pilot.app
    app.open_results(job_id)
    commands = app.results_pane.query_one("#results-commands")
    await wait_until(pilot, lambda: app.focused is commands, timeout=30)
    return app.results_pane.output


async def press_text(pilot: Any, text: str) -> None:
    """Type text key by key, as a user would (Pilot maps punctuation to key names)."""
    await pilot.press(*text)


async def mark_machines(pilot: Any, query: str, n: int) -> None:
    """Search the machines pane and mark the first ``n`` rows with space."""
    await pilot.press("1")
    await pilot.press("slash")
    await press_text(pilot, query)
    await pilot.press("enter")
    await pilot.pause()
    for _ in range(n):
        await pilot.press("space")
    await pilot.pause()
    app = pilot.app
    await wait_until(pilot, lambda: len(app.sequence_pane.targets) == n)


async def pick_library(pilot: Any, key: str, query: str, args: str | None = None) -> None:
    """In the sequence pane: open the picker with ``key`` (p/s), filter, pick, and type Args if asked."""
    from lrtui.tui.widgets.sequence.library_picker import ArgsScreen, LibraryPicker

    app = pilot.app
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(app.screen, LibraryPicker))
    picker = app.screen
    await wait_until(pilot, lambda: bool(picker._files))
    await press_text(pilot, query)
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    if isinstance(app.screen, ArgsScreen):
        if args:
            await press_text(pilot, args)
        await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(app.screen, (LibraryPicker, ArgsScreen)))


async def add_getfile(pilot: Any, path: str) -> None:
    from lrtui.tui.widgets.sequence.getfile_input import GetFileScreen

    app = pilot.app
    await pilot.press("g")
    await wait_until(pilot, lambda: isinstance(app.screen, GetFileScreen))
    await press_text(pilot, path)
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(app.screen, GetFileScreen))


@pytest.fixture
def fast_poll(monkeypatch):
    """The engine's pacing knobs (``LRTUI_POLL_*``, read by the settings): poll running actions often in tests."""
    monkeypatch.setenv("LRTUI_POLL_FAST_S", "0.3")
    monkeypatch.setenv("LRTUI_POLL_SHARE", "10")  # lifts the poller's per-hour floor (tests make few calls)
