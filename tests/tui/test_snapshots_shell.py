"""Snapshots of the shell and the Machines pane (plain ``def`` tests: ``snap_compare`` runs its own loop).

Deterministic: seeded 60-machine demo tenant, one frozen clock for the app and the simulator, no cursor blink,
no animations. Review changes in snapshot_report.html, then ``pytest --snapshot-update``.
"""

from __future__ import annotations

from tests.tui.conftest import build_demo_app, wait_ready


async def _ready(pilot):
    await wait_ready(pilot)
    await pilot.pause()


def _keys(*keys: str):
    async def run_before(pilot):
        await _ready(pilot)
        for key in keys:
            await pilot.press(key)
        await pilot.pause(0.3)  # the details follow a typed search after a short pause (DETAILS_DELAY)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    return run_before


def test_main_view_80x24(snap_compare):
    """At 80x24 the Machines pane fills the screen under the header and the tab strip."""
    assert snap_compare(build_demo_app(), terminal_size=(80, 24), run_before=_keys())


def test_main_view_120x40(snap_compare):
    """From 120 columns the machine list and the Sequence pane sit side by side."""
    assert snap_compare(build_demo_app(), terminal_size=(120, 40), run_before=_keys())


def test_machines_search_and_marks_80x24(snap_compare):
    """Typing filters the whole tenant; marks show in the list and the count."""
    keys = ["slash", *"os:linux", "enter", "space", "down", "space"]
    assert snap_compare(build_demo_app(), terminal_size=(80, 24), run_before=_keys(*keys))


def test_machines_offline_details_120x40(snap_compare):
    """An offline machine's details say that live response will queue up to 3 days."""
    keys = ["slash", *"health:offline", "enter"]
    assert snap_compare(build_demo_app(), terminal_size=(120, 40), run_before=_keys(*keys))


def test_search_box_focused_80x24(snap_compare):
    """The search box with a query typed, focus still in it (no blinking cursor)."""
    assert snap_compare(build_demo_app(), terminal_size=(80, 24), run_before=_keys("slash", *"tag:vip"))


def test_help_screen_80x24(snap_compare):
    """? lists the focused pane's keys and the app's."""
    assert snap_compare(build_demo_app(), terminal_size=(80, 24), run_before=_keys("question_mark"))


def test_theme_projector_80x24(snap_compare):
    """The high-contrast projector theme."""

    async def run_before(pilot):
        await _ready(pilot)
        pilot.app.theme = "lrtui-projector"
        await pilot.pause()

    assert snap_compare(build_demo_app(), terminal_size=(80, 24), run_before=run_before)


def test_theme_light_120x40(snap_compare):
    """The light theme at 120x40."""

    async def run_before(pilot):
        await _ready(pilot)
        pilot.app.theme = "lrtui-light"
        await pilot.pause()

    assert snap_compare(build_demo_app(), terminal_size=(120, 40), run_before=run_before)


def test_device_code_modal_80x24(snap_compare):
    """Device-code sign-in: the URL and the code, large."""

    async def run_before(pilot):
        await _ready(pilot)
        pilot.app.show_device_code("https://microsoft.com/devicelogin", "F7KQ-2PXM",
                                   "To sign in, use a web browser to open the page and enter the code.")  # fmt: skip
        await pilot.pause(0.2)

    assert snap_compare(build_demo_app(), terminal_size=(80, 24), run_before=run_before)
