"""Text contrast >= 4.5:1 (WCAG AA) on what the app paints: every bundled truecolor theme in truecolor and at 16
colours, the ANSI ``lrtui-terminal`` theme at 16 colours, each with and without NO_COLOR.

The ratios are computed from the segments' colours after Textual's filters and lrtui's (``tests/tui/contrast.py``):
the list rows, the focused cursor row, muted text, the search placeholder, footer keys, header and tab strip, the
Activity rows and the Results of a done and of a refused job, the Sequence pane (its highlighted command and the
"Ready" line) and the run confirmation. At 16 colours rich's downgrade is applied and the
colours are read through the Linux console's VGA palette. A headless test run has no terminal: the app is told
it has 16 colours (``terminal_colours``), as rich would tell it on ``TERM=linux``.
"""

from __future__ import annotations

import pytest

from lrtui.tui.console_mode import GlyphsApp
from lrtui.tui.readable16 import ratio
from tests.tui.conftest import wait_ready, wait_until
from tests.tui.contrast import MINIMUM, low_contrast
from tests.tui.pane_helpers import fast_poll  # noqa: F401 (fixture)

TRUECOLOR_THEMES = ("lrtui-dark", "lrtui-light", "lrtui-projector")
#: (theme, colours): an ANSI theme's colours are the terminal's palette, so it is measured at 16 colours only
CASES = [(t, "truecolor") for t in TRUECOLOR_THEMES] + [(t, "16") for t in (*TRUECOLOR_THEMES, "lrtui-terminal")]
IDS = [f"{t}-{c}" for t, c in CASES]


@pytest.fixture
def coloured_app(make_demo_app, monkeypatch):
    def build(theme: str, colours: str, no_color: bool, **kw):
        from lrtui.settings import load_settings

        if no_color:
            monkeypatch.setenv("NO_COLOR", "1")
        else:
            monkeypatch.delenv("NO_COLOR", raising=False)
        if colours == "16":
            monkeypatch.setattr(GlyphsApp, "terminal_colours", lambda self: 16)
        settings = load_settings(demo=True)
        settings.ui.theme = theme
        return make_demo_app(settings=settings, **kw)

    return build


def test_the_ratio_is_wcag():
    assert ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert ratio((119, 119, 119), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "no-color"])
@pytest.mark.parametrize(("theme", "colours"), CASES, ids=IDS)
async def test_machines_screen_text_contrast(coloured_app, theme, colours, no_color):
    app = coloured_app(theme, colours, no_color)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        assert app.theme == theme
        for focus in ("MachineList", "#machine-search"):
            app.query_one(focus).focus()
            await pilot.pause()
            low = low_contrast(app, standard=colours == "16")
            assert not low, f"{theme} {colours} ({focus}): text under {MINIMUM}:1: {low[:5]}"


@pytest.mark.usefixtures("fast_poll")
@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "no-color"])
@pytest.mark.parametrize(("theme", "colours"), CASES, ids=IDS)
async def test_activity_and_results_text_contrast(coloured_app, theme, colours, no_color):
    """Outcome words (✓ done, ✗ denied, exit codes), command names and the job detail stay readable."""
    from tests.tui.test_activity_pane import NETCONNS, machines

    app = coloured_app(theme, colours, no_color, frozen=False)
    standard = colours == "16"
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
            low = low_contrast(app, standard=standard)
            assert not low, f"{theme} {colours} Activity row {row}: text under {MINIMUM}:1: {low[:5]}"
            await pilot.press("enter")
            await wait_until(pilot, lambda: app.current_pane == "results")
            await pilot.pause()
            low = low_contrast(app, standard=standard)
            assert not low, f"{theme} {colours} Results of row {row}: text under {MINIMUM}:1: {low[:5]}"
            await pilot.press("3")
            pane.table.focus()


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "no-color"])
@pytest.mark.parametrize(("theme", "colours"), CASES, ids=IDS)
async def test_sequence_and_run_confirmation_text_contrast(coloured_app, theme, colours, no_color):
    from tests.tui.test_activity_pane import NETCONNS, machines

    app = coloured_app(theme, colours, no_color, frozen=False)
    standard = colours == "16"
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        app.sequence_pane.set_targets(machines(app, "app-prd-001"))
        app.sequence_pane.load_sequence(NETCONNS)
        await pilot.press("2")
        await wait_until(pilot, lambda: app.focused is app.sequence_pane.command_list)
        await pilot.pause()
        low = low_contrast(app, standard=standard)
        assert not low, f"{theme} {colours} Sequence: text under {MINIMUM}:1: {low[:5]}"
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: bool(app.screen.query("#run-issues")))
        await app.workers.wait_for_complete()
        await pilot.pause()
        dialog = app.screen.query_one("#run-dialog").region
        low = low_contrast(app, standard=standard, region=dialog)
        assert not low, f"{theme} {colours} run confirmation: text under {MINIMUM}:1: {low[:5]}"


async def test_rich_alone_at_16_colours_is_unreadable(coloured_app):
    """Without lrtui's pairing (a truecolor app whose output a 16-colour terminal downgrades colour by colour),
    the default theme's footer keys land bright red on dark grey: the measurement sees it."""
    app = coloured_app("lrtui-dark", "truecolor", False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        low = low_contrast(app, standard=True)
        assert low and low[0].ratio < 3, low[:3]


async def test_a_low_contrast_theme_fails(coloured_app):
    """The measurement fails a theme with a low-contrast colour (a user theme with grey footer keys on grey)."""
    from lrtui.settings import user_themes_dir

    folder = user_themes_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "murky.toml").write_text(
        'name = "murky"\ndark = true\nprimary = "#2a67a3"\nbackground = "#12161c"\npanel = "#222a35"\n'
        '[variables]\nfooter-key-foreground = "#3a4250"\n',
        encoding="utf-8",
    )
    app = coloured_app("murky", "truecolor", False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        assert app.theme == "murky"
        low = low_contrast(app)
        assert any(lo.line == 23 for lo in low), low[:5]
