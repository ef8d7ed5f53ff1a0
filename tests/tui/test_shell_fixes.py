"""Issue 11 defects 1, 3, 6, 8 and 10, each driven by keys as an analyst would press them."""

from __future__ import annotations

from typing import Any

import pytest
from textual.command import CommandPalette

from lrtui.api.enums import CommandType
from lrtui.api.sequence import Command, Sequence
from lrtui.tui.screens.run_confirm import RunConfirmScreen
from lrtui.tui.widgets.machines.search_input import SearchInput
from lrtui.tui.widgets.sequence.command_list import SequenceCommandList
from tests.tui.conftest import wait_ready, wait_until
from tests.tui.pane_helpers import add_getfile, fast_poll, open_results, pick_library, press_text, screen_text  # noqa: F401

pytestmark = pytest.mark.usefixtures("fast_poll")

SCRIPT = Sequence((Command(CommandType.RUN_SCRIPT, "Get-NetConnections.ps1"),), "analyst=t case=S-1: shell")


def _windows(app: Any, n: int) -> list[Any]:
    inv = app.runtime.inventory
    return [inv[i] for i in range(len(inv)) if inv[i].os_family == "windows" and inv[i].is_online][:n]


async def test_palette_then_2_shows_the_commands_box_and_focuses_it(demo_app: Any) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, CommandPalette))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(demo_app.screen, CommandPalette))
        await pilot.press("2")
        await wait_until(pilot, lambda: isinstance(demo_app.focused, SequenceCommandList))
        commands = demo_app.sequence_pane.command_list
        assert isinstance(demo_app.focused, SequenceCommandList)
        assert commands.region.height > 0 and "Commands" in screen_text(demo_app)
        await pilot.press("1")  # the digits still switch panes: nothing was typed into a hidden search
        await wait_until(pilot, lambda: demo_app.current_pane == "machines")
        assert demo_app.current_pane == "machines" and demo_app.machines_pane.search_input.value == ""


async def test_palette_help_text_is_not_read_as_markup(demo_app: Any) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+p")
        await press_text(pilot, "Theme: lrtui-d")
        await wait_until(pilot, lambda: "Saved as [ui] theme" in screen_text(demo_app))
        assert "Saved as [ui] theme" in screen_text(demo_app)
        await pilot.press("escape")


async def test_bulk_confirmation_field_takes_the_first_digit(make_demo_app: Any) -> None:
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        threshold = app.settings.ui.bulk_confirm_threshold
        targets = _windows(app, threshold + 1)
        app.sequence_pane.set_targets(targets)
        app.sequence_pane.load_sequence(SCRIPT)
        await pilot.press("2")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, RunConfirmScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.issues is not None)
        await pilot.press("D")  # the dialog's key, not typed into the digits-only field
        await pilot.pause()
        assert screen.query_one("#run-count").value == ""
        n = len(screen.machines)
        await press_text(pilot, str(n))  # no tab, no enter first
        await pilot.pause()
        assert screen.query_one("#run-count").value == str(n)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.runtime.engine.jobs) == n)


async def test_activity_keys_move_and_new_jobs_take_the_cursor(make_demo_app: Any) -> None:
    app = make_demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        ms = _windows(app, 30)
        await app.runtime.engine.submit(SCRIPT, ms[:25])
        await pilot.press("3")
        pane = app.activity_pane
        table = pane.table
        await wait_until(pilot, lambda: table.row_count == 25)
        table.focus()
        await pilot.pause()
        await pilot.press("j")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == 24
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("end")
        assert table.cursor_row == 24
        await pilot.press("home", "j", "j", "k")
        assert table.cursor_row == 1
        [new] = await app.runtime.engine.submit(SCRIPT, ms[25:26])
        await wait_until(pilot, lambda: table.row_count == 26)
        await wait_until(pilot, lambda: table.cursor_row == 25 and pane.highlighted_job() is new)
        assert table.cursor_row == 25 and pane.highlighted_job() is new
        name = new.machine_name.split(".")[0]
        await wait_until(pilot, lambda: name in screen_text(app))  # scrolled into view (after a refresh)


async def test_a_new_job_takes_the_cursor_even_when_the_tick_comes_before_the_flush(make_demo_app: Any) -> None:
    """The one-second tick and the flush are separate timers: a tick that runs between a new job's event and
    the flush must not add the row itself (the flush would then see no new row and leave the cursor behind)."""
    app = make_demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        ms = _windows(app, 3)
        await app.runtime.engine.submit(SCRIPT, ms[:2])
        await pilot.press("3")
        pane = app.activity_pane
        await wait_until(pilot, lambda: pane.table.row_count == 2)
        pane.table.move_cursor(row=0)
        for timer in list(pane._timers):  # the flush and the tick run below, in the order under test
            timer.pause()
        [new] = await app.runtime.engine.submit(SCRIPT, ms[2:])
        pane._tick()
        pane._flush()
        assert pane.table.row_count == 3 and pane.highlighted_job() is new


async def test_a_search_count_stays_with_its_job(make_demo_app: Any) -> None:
    app = make_demo_app(frozen=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        jobs = await app.runtime.engine.submit(SCRIPT, _windows(app, 2))
        await wait_until(pilot, lambda: all(j.is_final for j in jobs), timeout=30)
        view = await open_results(pilot, jobs[0].id)
        await wait_until(pilot, lambda: len(view.lines) > 2)
        view.focus()
        await pilot.press("slash")
        await press_text(pilot, "TCP")
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(view.matches))
        assert "match" in screen_text(app)
        await pilot.press("right_square_bracket")  # the other machine's results
        await wait_until(pilot, lambda: app.results_pane.job_id == jobs[1].id and "match" not in screen_text(app))
        assert app.results_pane.job_id == jobs[1].id
        assert view.search_text == "" and not view.matches and "match" not in screen_text(app)


async def test_a_command_added_out_of_order_is_announced(demo_app: Any) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await pilot.press("2")
        await add_getfile(pilot, r"C:\T\x.zip")
        await pick_library(pilot, "p", "yara6")
        assert [c.type.value for c in demo_app.sequence_pane.command_list.commands] == ["PutFile", "GetFile"]
        assert "Added PutFile before GetFile" in screen_text(demo_app)
        await add_getfile(pilot, r"C:\T\y.zip")  # at the end: nothing to say
        assert "Added PutFile" not in screen_text(demo_app)


async def test_escape_leaves_the_machine_search_keeping_the_query(demo_app: Any) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await pilot.press("slash")
        await press_text(pilot, "tag:vip")
        await pilot.press("escape")
        await pilot.pause()
        search = demo_app.machines_pane.search_input
        assert search.value == "tag:vip" and not isinstance(demo_app.focused, SearchInput)
        await pilot.press("slash")
        await pilot.pause()
        assert "^l Clear" in screen_text(demo_app)  # the clearing key is on screen
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert search.value == ""


async def test_a_refused_job_explains_itself_whole_in_activity_and_results(make_demo_app: Any) -> None:
    from tests.tui.conftest import simulator_of

    app = make_demo_app(frozen=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        [m] = _windows(app, 1)
        simulator_of(app).state.portal_sessions.add(m.id.lower())  # a hidden portal session holds the machine
        [job] = await app.runtime.engine.submit(SCRIPT, [m])
        await wait_until(pilot, lambda: job.is_final, timeout=30)
        assert job.error_message and len(job.error_message) > 80
        await pilot.press("3")
        whole = " ".join(job.error_message.split())
        await wait_until(pilot, lambda: whole in " ".join(screen_text(app).split()))
        shown = " ".join(screen_text(app).split())
        assert job.error_code in shown
        assert " ".join(job.error_message.split()) in shown  # whole: wrapped, not cut with an ellipsis
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.current_pane == "results" and whole in " ".join(screen_text(app).split()))
        assert app.current_pane == "results"
        shown = " ".join(screen_text(app).split())
        assert "No output yet" not in shown
        assert " ".join(job.error_message.split()) in shown


async def test_upload_checkbox_says_its_state_in_a_glyph_and_words(demo_app: Any) -> None:
    from textual.widgets import Checkbox

    from lrtui.tui.widgets.sequence.library_manage import LibraryManageScreen, UploadScreen

    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await pilot.press("2", "m")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, LibraryManageScreen))
        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, UploadScreen))
        upload = demo_app.screen
        assert "☐ Takes parameters: no" in screen_text(demo_app)
        params = upload.query_one("#upload-params")
        params.focus()
        await press_text(pilot, "-Out x")
        await pilot.pause()
        assert "'Takes parameters' is no" in screen_text(demo_app)  # the hint would not be asked for
        upload.query_one("#upload-has-params", Checkbox).focus()
        await pilot.press("space")
        await pilot.pause()
        shown = screen_text(demo_app)
        assert "☑ Takes parameters: yes" in shown and "'Takes parameters' is no" not in shown


async def test_run_confirmation_shows_every_preflight_warning(make_demo_app: Any, monkeypatch: Any) -> None:
    from lrtui.engine.jobs import PreflightIssue

    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        targets = _windows(app, 2)
        kinds = ["busy", "agent", "never-ends", "parameters", "os", "offline", "a", "b", "c", "d", "e", "f"]
        issues = [
            PreflightIssue(targets[0].id, targets[0].name, "warning", f"Warning {k}: what to do about it.", kind=k)
            for k in kinds
        ]

        async def preflight(sequence: Any, machines: Any) -> list[Any]:
            return issues

        monkeypatch.setattr(app.runtime.engine, "preflight", preflight)
        app.sequence_pane.set_targets(targets)
        app.sequence_pane.load_sequence(SCRIPT)
        await pilot.press("2")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, RunConfirmScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.issues is not None)
        await pilot.pause()
        shown = str(screen.query_one("#run-issues").render())
        assert all(f"Warning {k}: what to do about it." in shown for k in kinds)  # all twelve, none cut
        assert "no issues" not in shown
