"""Text contrast >= 4.5:1 (WCAG AA) on what the app paints, in every bundled truecolor theme and under NO_COLOR.

The ratios are computed from the segments' colours after Textual's own filters (``tests/tui/contrast.py``):
the list rows, the focused cursor row, muted text, the search placeholder, footer keys, header and tab strip.
"""

from __future__ import annotations

import pytest

from tests.tui.conftest import wait_ready, wait_until
from tests.tui.contrast import MINIMUM, low_contrast, ratio
from tests.tui.pane_helpers import fast_poll  # noqa: F401 (fixture)

TRUECOLOR_THEMES = ("lrtui-dark", "lrtui-light", "lrtui-projector")


def test_the_ratio_is_wcag():
    assert ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert ratio((119, 119, 119), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "no-color"])
@pytest.mark.parametrize("theme", TRUECOLOR_THEMES)
async def test_machines_screen_text_contrast(make_demo_app, monkeypatch, theme, no_color):
    from lrtui.settings import load_settings

    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    settings = load_settings(demo=True)
    settings.ui.theme = theme
    app = make_demo_app(settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        assert app.theme == theme
        for focus in ("MachineList", "#machine-search"):
            app.query_one(focus).focus()
            await pilot.pause()
            low = low_contrast(app)
            assert not low, f"{theme} ({focus}): text under {MINIMUM}:1: {low[:5]}"


@pytest.mark.usefixtures("fast_poll")
@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "no-color"])
@pytest.mark.parametrize("theme", TRUECOLOR_THEMES)
async def test_activity_and_results_text_contrast(make_demo_app, monkeypatch, theme, no_color):
    """Outcome words (✓ done, ✗ denied, exit codes), command names and the job detail stay readable."""
    from lrtui.settings import load_settings
    from tests.tui.test_activity_pane import NETCONNS, machines

    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    settings = load_settings(demo=True)
    settings.ui.theme = theme
    app = make_demo_app(settings=settings, frozen=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        engine = app.runtime.engine
        jobs = await engine.submit(NETCONNS, machines(app, "KIOSK-001", "app-prd-001"))
        await wait_until(pilot, lambda: all(j.is_final for j in jobs), timeout=20)
        await pilot.press("3")
        pane = app.activity_pane
        await wait_until(pilot, lambda: pane.table.row_count == 2)
        pane.table.focus()
        for row in (0, 1):
            pane.table.move_cursor(row=row)
            await pilot.pause()
            low = low_contrast(app)
            assert not low, f"{theme} Activity row {row}: text under {MINIMUM}:1: {low[:5]}"
            await pilot.press("enter")
            await wait_until(pilot, lambda: app.current_pane == "results")
            await pilot.pause()
            low = low_contrast(app)
            assert not low, f"{theme} Results of row {row}: text under {MINIMUM}:1: {low[:5]}"
            await pilot.press("3")
            pane.table.focus()
