"""The stack view's table mode (issue 12): Get-Autoruns.csv.ps1 on 40 demo machines, stacked from Activity with
``S``; ``t`` shows the merged table with a machine column (filtered as you type, sorted by a column by key), ``c``
stacks the column under the cursor rarest first, ``enter`` names the machines of the planted value; device text
is never markup; snapshots at 80x24 and 120x40."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lrtui.sim.library.fleet import planted
from lrtui.tui.widgets.stack.column_stack import ColumnStackTable
from lrtui.tui.widgets.stack.merged_table import MergedTableView
from lrtui.tui.widgets.stack.screen import StackScreen
from tests.tui.conftest import wait_until
from tests.tui.pane_helpers import fast_poll, screen_text  # noqa: F401 (fixture)
from tests.tui.test_stack_view import _job, _open_stack, _run_fleet, _StackHost, fleet_app, wide_budget  # noqa: F401

pytestmark = pytest.mark.usefixtures("fast_poll", "wide_budget")


async def _to_column(pilot: Any, grid: MergedTableView, name: str) -> None:
    assert grid.table is not None
    await pilot.press(*["left"] * len(grid.table.columns), *["right"] * grid.table.columns.index(name))
    await pilot.pause()
    assert grid.cursor_column_name() == name


async def test_table_mode_stacks_a_column_and_finds_the_planted_value_and_its_machines() -> None:
    app = fleet_app()
    async with app.run_test(size=(120, 40)) as pilot:
        jobs = await _run_fleet(pilot)
        screen = await _open_stack(pilot)
        assert screen.data is not None and screen.data.table is not None
        want = {j.machine_name for j in jobs if planted(j.machine_id) == "autorun"} & set(screen.data.outputs)
        assert want, "the seed plants no autorun among the 40 machines"
        await pilot.press("t")
        await pilot.pause()
        grid = screen.query_one(MergedTableView)
        assert grid.has_focus and grid.table is not None
        assert grid.table.columns[:2] == ("machine", "Category") and "Verified" in grid.table.columns
        assert len(grid.table.rows) == 12 * len(screen.data.outputs) + len(want)
        assert "machine" in screen_text(app) and "Stack column" in screen_text(app)  # the keys, in the footer

        await _to_column(pilot, grid, "Verified")
        await pilot.press("c")
        values = screen.query_one(ColumnStackTable)
        await wait_until(pilot, lambda: values.has_focus)
        assert [v.value for v in values.values] == ["Not verified", "Verified"]  # rarest first
        await pilot.press("enter")
        await pilot.pause()
        rare = values.values[0]
        assert set(rare.machines) == want and rare.rows == len(want)
        text = screen_text(app)
        assert f"{len(want)} machine" in text and all(m in text for m in want)

        await pilot.press("escape")  # back to the table: filter as you type, sort by key
        await wait_until(pilot, lambda: grid.has_focus)
        await pilot.press("slash", *"appdata")
        await wait_until(pilot, lambda: grid.matched == len(want))
        assert {r["machine"] for r in grid.shown} == want
        await pilot.press("enter")
        await wait_until(pilot, lambda: grid.has_focus)
        await pilot.press("slash", *["backspace"] * len("appdata"), "enter")  # the filter cleared
        await wait_until(pilot, lambda: grid.matched == len(grid.table.rows) if grid.table else False)
        await _to_column(pilot, grid, "Entry")
        await pilot.press("S")
        await pilot.pause()
        entries = [r["Entry"] for r in grid.shown]
        assert entries == sorted(entries, key=str.lower)
        await pilot.press("S")  # again: reversed
        await pilot.pause()
        assert [r["Entry"] for r in grid.shown] == sorted(entries, key=str.lower, reverse=True)

        await pilot.press("question_mark")
        from lrtui.tui.screens.help import HelpScreen, binding_groups

        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        listed = {bid for _, rows in binding_groups(app, screen.active_bindings) for _, _, bid in rows}
        assert {"stack-table", "stack-table-stack", "stack-table-sort", "stack-filter"} <= listed


async def test_table_cells_are_device_text_never_markup_and_non_tables_say_so(tmp_path: Path) -> None:
    head = "Entry,Image\n"
    common = head + "SecurityHealth,C:\\Windows\\System32\\SecurityHealthSystray.exe\n"
    hostile = common + "[bold]Updater[/bold],\x1b]0;pwned\x07C:\\Users\\x\\AppData\\u.exe\n"
    jobs = [_job(tmp_path, f"ws-{i}", common) for i in range(3)] + [_job(tmp_path, "ws-odd", hostile)]
    late = _job(tmp_path, "ws-late", common + "Late,C:\\late.exe\n")
    jobs.append(late)
    late_result = late.results.pop()  # not finished when the view opens
    app = _StackHost(jobs)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, StackScreen))
        screen = app.screen
        assert isinstance(screen, StackScreen)
        await wait_until(pilot, lambda: screen.data is not None and not screen.busy)
        await pilot.press("t", "c", "enter")
        values = screen.query_one(ColumnStackTable)
        await wait_until(pilot, lambda: values.has_focus)
        assert values.column == "machine"
        await pilot.press("escape", "right", "c", "enter")
        await wait_until(pilot, lambda: values.column == "Entry" and values.has_focus)
        await pilot.pause()
        text = screen_text(app)
        assert "[bold]Updater[/bold]" in text and "\x1b" not in text and "pwned\x07" not in text
        assert "1 machine (1 row) with [bold]Updater[/bold]: ws-odd" in text

        late.results.append(late_result)  # r reads again: the stacked column is stacked again
        await pilot.press("r")
        await wait_until(pilot, lambda: not screen.busy and any(v.value == "Late" for v in values.values))
        assert screen.mode == "columns" and values.column == "Entry"

    plain_jobs = [_job(tmp_path, f"p-{i}", "just text\n") for i in range(2)]
    app = _StackHost(plain_jobs)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, StackScreen))
        screen = app.screen
        assert isinstance(screen, StackScreen)
        await wait_until(pilot, lambda: screen.data is not None and not screen.busy)
        await pilot.press("t")
        await pilot.pause()
        assert screen.mode == "outputs" and "not a table" in screen_text(app)


async def _stacked_column(pilot: Any) -> None:
    await _run_fleet(pilot)
    screen = await _open_stack(pilot)
    await pilot.press("t")
    await pilot.pause()
    await _to_column(pilot, screen.query_one(MergedTableView), "Verified")
    await pilot.press("c", "enter")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.wait_for_scheduled_animations()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_stack_table_snapshot(snap_compare: Any, size: tuple[int, int]) -> None:
    """The Verified column of the merged autoruns table stacked: the planted "Not verified" first, its machines
    named below."""
    assert snap_compare(fleet_app(), run_before=_stacked_column, terminal_size=size)
