"""A script that exits 0 but writes to stderr: Activity says `✓ stderr` (glyph and word), and the detail under
the table gives the first stderr line whole; enter opens the results, where stderr is shown."""

from __future__ import annotations

from typing import Any

import pytest

from lrtui.api.enums import CommandType
from lrtui.api.sequence import Command, Sequence
from lrtui.engine.jobs import Outcome
from tests.tui.conftest import wait_ready, wait_until
from tests.tui.pane_helpers import fast_poll, screen_text  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("fast_poll")

AUTORUNS = Sequence((Command(CommandType.RUN_SCRIPT, "Get-Autoruns.ps1"),), "analyst=t case=S-1: autoruns")


async def test_activity_names_the_stderr_of_a_successful_script(make_demo_app: Any) -> None:
    app = make_demo_app(frozen=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        inv = app.runtime.inventory
        ms = [inv[i] for i in range(len(inv)) if inv[i].os_family == "windows" and inv[i].is_online][:2]
        jobs = await app.runtime.engine.submit(AUTORUNS, ms)
        await wait_until(pilot, lambda: all(j.is_final for j in jobs), timeout=30)
        assert all(j.outcome is Outcome.SUCCEEDED for j in jobs)
        await pilot.press("3")
        table = app.activity_pane.table
        await wait_until(pilot, lambda: table.row_count == 2 and "✓ stderr" in screen_text(app))
        table.focus()
        await pilot.press("home")
        whole = "WARNING: Access to HKU\\S-1-5-21-1004336348-1177238915-682003330-1001 was denied; skipped."
        await wait_until(pilot, lambda: whole in " ".join(screen_text(app).split()))
        assert "failed" not in screen_text(app)
        await pilot.press("enter")
        view = app.results_pane.output
        await wait_until(pilot, lambda: app.current_pane == "results" and any("was denied" in x for x in view.lines))
