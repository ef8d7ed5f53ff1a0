"""Issue 11 item 7: zoom, wrap and half-page sideways scrolling; Results reads the whole output from its file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lrtui.api.enums import CommandType
from lrtui.api.models import ScriptResult
from lrtui.api.sequence import Command, Sequence
from lrtui.engine.jobs import CommandResult
from lrtui.tui.widgets.results.script_output import script_sections
from tests.tui.conftest import wait_ready, wait_until
from tests.tui.pane_helpers import fast_poll, open_results, screen_text  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("fast_poll")

SCRIPT = Sequence((Command(CommandType.RUN_SCRIPT, "Get-NetConnections.ps1"),), "analyst=t case=R-1: reading")


def test_the_whole_output_comes_from_the_file_and_nul_padding_is_trimmed(tmp_path: Path) -> None:
    from lrtui.tui.widgets.results.output_view import prepare

    out = tmp_path / "stdout.txt"
    out.write_bytes(b"line 1\n" + b"x" * 70_000 + b"\nTHE END\n" + b"\x00" * 4096)
    r = CommandResult(index=0, type="RunScript", script=ScriptResult(script_name="s.ps1", exit_code=0, script_output="line 1\n" + "x" * 100),
                      output_truncated=True, stdout_path=str(out), stderr_path=None)  # fmt: skip
    lines, _styles, _width = prepare(script_sections(r))
    assert lines[-1] == "THE END" and not any("control sequence" in x for x in lines)
    r2 = CommandResult(index=0, type="RunScript", script=ScriptResult(script_name="s.ps1", exit_code=0, script_output="preview"),
                       output_truncated=True, stdout_path=str(tmp_path / "gone.txt"))  # fmt: skip
    lines, _, _ = prepare(script_sections(r2))
    assert lines[1] == "preview" and "cannot be read" in lines[2]


async def test_zoom_gives_the_focused_pane_the_whole_width(make_demo_app: Any) -> None:
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await pilot.press("2")
        await pilot.pause()
        seq = app.sequence_pane
        assert app.machines_pane.region.width > 0 and seq.region.width < 100
        await pilot.press("z")
        await pilot.pause()
        assert app.machines_pane.region.width == 0 and seq.region.width == 120
        await pilot.press("1")
        await pilot.pause()
        assert app.machines_pane.region.width == 120 and seq.region.width == 0
        await pilot.press("z")
        await pilot.pause()
        assert app.machines_pane.region.width > 0 and seq.region.width > 0


async def test_wrap_toggle_and_half_page_sideways(make_demo_app: Any) -> None:
    app = make_demo_app(frozen=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        inv = app.runtime.inventory
        m = next(inv[i] for i in range(len(inv)) if inv[i].os_family == "windows" and inv[i].is_online)
        [job] = await app.runtime.engine.submit(SCRIPT, [m])
        await wait_until(pilot, lambda: job.is_final, timeout=30)
        view = await open_results(pilot, job.id)
        await wait_until(pilot, lambda: len(view.lines) > 2)
        long_line = max(view.lines, key=len)
        assert len(long_line) > view.scrollable_content_region.width  # there is something to scroll to
        view.focus()
        await wait_until(pilot, lambda: app.focused is view)  # the keys are the output view's
        await pilot.press("greater_than_sign")
        half = view.scrollable_content_region.width // 2
        await wait_until(pilot, lambda: view.scroll_offset.x == half)  # under load the scroll lands a frame later
        assert view.scroll_offset.x == half
        await pilot.press("less_than_sign")
        await wait_until(pilot, lambda: view.scroll_offset.x == 0)
        assert view.scroll_offset.x == 0
        await pilot.press("w")
        await pilot.pause()
        assert view.wrap and view.virtual_size.height > len(view.lines)
        tail = long_line[-10:]
        await pilot.press("G")
        await pilot.pause()
        assert any(tail in row for row in screen_text(app).splitlines()) or view.scroll_offset.y > 0
        await pilot.press("w")
        await pilot.pause()
        assert not view.wrap and view.virtual_size.height == len(view.lines)


async def test_a_focus_made_while_a_pane_opens_is_not_taken_back(make_demo_app: Any) -> None:
    """Opening a pane focuses its default widget after the next refresh; a focus given inside that pane
    meanwhile (a key typed ahead, or a call) wins, and a focus left elsewhere is still moved."""
    app = make_demo_app(frozen=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        inv = app.runtime.inventory
        m = next(inv[i] for i in range(len(inv)) if inv[i].os_family == "windows" and inv[i].is_online)
        [job] = await app.runtime.engine.submit(SCRIPT, [m])
        await wait_until(pilot, lambda: job.is_final, timeout=30)
        app.open_results(job.id)
        view = app.results_pane.output
        view.focus()  # before the refresh that would have moved focus to the commands list
        for _ in range(5):
            await pilot.pause()
        assert app.focused is view
        await pilot.press("3")  # the plain case still works: Activity takes its default focus
        await wait_until(pilot, lambda: app.focused is app.activity_pane.table)
