"""Under NO_COLOR the highlighted job in Activity is told apart by its text style (reverse, bold), not by a
grey the monochrome filter makes of the cursor colour (the header row got the same grey)."""

from __future__ import annotations

import pytest

from tests.tui.conftest import wait_ready, wait_until
from tests.tui.pane_helpers import fast_poll  # noqa: F401 (fixture)


def _row_styles(app, y: int) -> set[tuple[bool, bool]]:
    """(reverse, bold) of each text segment on screen line ``y``."""
    strip = app.screen._compositor.render_strips()[y]
    return {(bool(s.style.reverse), bool(s.style.bold)) for s in strip if s.text.strip() and s.style is not None}


@pytest.mark.usefixtures("fast_poll")
@pytest.mark.parametrize("no_color", [True, False], ids=["no-color", "colour"])
async def test_the_highlighted_job_is_reversed_under_no_color(make_demo_app, monkeypatch, no_color):
    from tests.tui.test_activity_pane import NETCONNS, machines

    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    app = make_demo_app(frozen=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        jobs = await app.runtime.engine.submit(NETCONNS, machines(app, "KIOSK-001", "app-prd-001"))
        await wait_until(pilot, lambda: all(j.is_final for j in jobs), timeout=20)
        await pilot.press("3")
        table = app.activity_pane.table
        await wait_until(pilot, lambda: table.row_count == 2)
        table.focus()
        table.move_cursor(row=1)
        await pilot.pause()
        top = table.region.y + 1  # inside the border: the header row, then the jobs
        header, first, cursor = (_row_styles(app, top + i) for i in range(3))
        assert app.has_class("-no-color") is no_color
        assert (True, True) in cursor if no_color else (True, True) not in cursor
        assert not any(rev for rev, _ in header) and not any(rev for rev, _ in first)
