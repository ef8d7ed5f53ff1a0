"""Device output with terminal escapes and markup-like text renders literally (and harmlessly)."""

from __future__ import annotations

import pytest

from lrtui.api.enums import CommandType
from lrtui.api.sequence import Command, Sequence
from tests.tui.conftest import wait_ready, wait_until
from tests.tui.pane_helpers import fast_poll, press_text, screen_text, svg_text  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("fast_poll")


async def test_escapes_stripped_and_brackets_literal(make_demo_app):
    app = make_demo_app(frozen=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        inv = app.runtime.inventory
        m = next(inv[i] for i in range(len(inv)) if inv[i].name.startswith("fin-ws-0002"))
        seq = Sequence((Command(CommandType.RUN_SCRIPT, "Get-Processes.ps1"),), "analyst=t case=U-1: untrusted")
        [job] = await app.runtime.engine.submit(seq, [m])
        await wait_until(pilot, lambda: job.is_final, timeout=30)
        raw = job.results[0].script.script_output
        assert "\x1b[31m" in raw and "[bold]notmalware[/bold]" in raw  # the device really sent these
        app.open_results(job.id)
        await app.workers.wait_for_complete()
        view = app.results_pane.output
        await wait_until(pilot, lambda: len(view.lines) > 10)
        joined = "\n".join(view.lines)
        assert "\x1b" not in joined and "\x07" not in joined and "\u202e" not in joined
        assert "PWNED" not in joined  # the OSC title sequence is gone entirely
        assert "--color RED" in joined
        view.focus()
        await pilot.press("slash")
        await press_text(pilot, "notmal")
        await pilot.press("enter")
        await wait_until(pilot, lambda: view.matches and view.current >= 0 and app.focused is view, timeout=10)
        await wait_until(pilot, lambda: "[bold]notmalware[/bold]" in screen_text(app))
        line = next(x for x in view.lines if "notmalware" in x)
        assert r"C:\Users\Public\[bold]notmalware[/bold].exe [/] [link=https://evil.example]click[/link]" in line
        shown = screen_text(app)
        assert "[bold]notmalware[/bold]" in shown  # scrolled to the match: the brackets are on screen
        assert "[bold]notmalware[/bold]" in svg_text(app)
        assert "\x1b" not in app.export_screenshot()
