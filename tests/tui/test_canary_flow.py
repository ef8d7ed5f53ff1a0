"""A canary run by keys, on the in-process demo: mark three servers, build a RunScript that fails on servers,
run with the confirmation's canary field set to 1 (a bad value is refused inline first and what was typed stays),
see Activity say the batch is paused and why (in words), and resume it with P."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from lrtui.engine.jobs import JobState
from lrtui.tui.screens.help import HelpScreen
from lrtui.tui.screens.run_confirm import RunConfirmScreen
from lrtui.tui.widgets.sequence.confirm import ConfirmScreen
from tests.tui.conftest import wait_ready, wait_until
from tests.tui.pane_helpers import fast_poll, mark_machines, pick_library, press_text, screen_text  # noqa: F401

pytestmark = pytest.mark.usefixtures("fast_poll")


async def _focus(pilot, widget_id: str) -> None:
    for _ in range(8):
        if pilot.app.focused is not None and pilot.app.focused.id == widget_id:
            return
        await pilot.press("tab")
    raise AssertionError(f"tab never reached #{widget_id}")


async def test_canary_run_pauses_and_resumes_by_key(make_demo_app):
    app = make_demo_app(frozen=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await mark_machines(pilot, "app-prd", 3)
        await pilot.press("2")
        await pick_library(pilot, "s", "bitlocker")  # exit 5 on every server
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, RunConfirmScreen))
        confirm = app.screen
        await wait_until(pilot, lambda: confirm.issues is not None)
        await _focus(pilot, "canary-size")
        await press_text(pilot, "3")  # not fewer than the 3 targets: refused inline
        assert "Canary: give 1 to 2 machines" in screen_text(app)
        await pilot.press("y")
        assert app.screen is confirm and "Canary: give 1 to 2 machines" in screen_text(app)
        await pilot.press("backspace")
        await press_text(pilot, "1")
        assert confirm.query_one("#canary-size", Input).value == "1"
        assert "1 canary machine(s) first" in screen_text(app)
        await pilot.press("y")
        await wait_until(pilot, lambda: app.current_pane == "activity")
        engine = app.runtime.engine
        await wait_until(pilot, lambda: len(engine.jobs) == 3)
        bid = engine.jobs[0].batch_id
        await wait_until(pilot, lambda: engine.batches.state(bid).paused, timeout=30)
        await wait_until(pilot, lambda: f"Batch {bid[:8]} paused: canary: 1 of 1 failed" in screen_text(app))
        text = screen_text(app)
        assert "2 held" in text and "P resume" in text
        assert sum(j.state is JobState.PAUSED for j in engine.jobs) == 2
        app.activity_pane.table.focus()
        await pilot.press("question_mark")  # the batch keys are in the help, with their keymap ids
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        keys = {(k, bid) for _title, entries in app.screen.groups for k, _desc, bid in entries}
        assert {("P", "activity-batch-pause"), ("R", "activity-batch-retry"), ("X", "activity-batch-cancel")} <= keys
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, HelpScreen))
        await pilot.press("P")
        await pilot.pause()
        state = engine.batches.state(bid)
        assert state.phase == "running" and state.held == 0
        assert f"Batch {bid[:8]} resumed" in screen_text(app)
        await wait_until(pilot, lambda: all(j.action_id is not None for j in engine.jobs), timeout=30)


async def test_batch_keys_retry_the_failed_canary_and_cancel_the_batch(make_demo_app):
    app = make_demo_app(frozen=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await mark_machines(pilot, "app-prd", 3)
        await pilot.press("2")
        await pick_library(pilot, "s", "bitlocker")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, RunConfirmScreen))
        await wait_until(pilot, lambda: app.screen.issues is not None)
        await _focus(pilot, "canary-size")
        await press_text(pilot, "1")
        await pilot.press("y")
        await wait_until(pilot, lambda: app.current_pane == "activity")
        engine = app.runtime.engine
        await wait_until(pilot, lambda: len(engine.jobs) == 3)
        bid = engine.jobs[0].batch_id
        await wait_until(pilot, lambda: engine.batches.state(bid).paused, timeout=30)
        app.activity_pane.table.focus()
        await pilot.press("R")  # the failed canary again (the rest stay held)
        await wait_until(pilot, lambda: len(engine.jobs) == 4)
        assert engine.batches.state(bid).held == 2
        await pilot.press("X")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await wait_until(pilot, lambda: "Cancel batch" in screen_text(app))
        assert "(2 held, never" in screen_text(app)
        await pilot.press("y")
        await wait_until(pilot, lambda: engine.batches.state(bid).held == 0)
        held_before = [j for j in engine.jobs if j.batch_id == bid and j.action_id is None]
        assert len(held_before) == 2
        assert all(j.outcome is not None and j.outcome.value == "cancelled" for j in held_before)
        await wait_until(pilot, lambda: all(j.is_final for j in engine.jobs), timeout=30)
        assert engine.batches.state(bid).phase == "done"
