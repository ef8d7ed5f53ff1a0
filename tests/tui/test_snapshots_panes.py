"""Snapshots of the Sequence, Activity and Results panes at 80x24 and 120x40.

Deterministic: the seeded demo tenant, a frozen clock shared by the app and the simulator (advanced by hand
where jobs must move), no blinking cursor. Activity is shown with the queue paused so no real-time value
(elapsed, countdown) appears.
"""

from __future__ import annotations

import pytest

from lrtui.api.enums import CommandType
from lrtui.api.sequence import Command, Sequence
from tests.tui.conftest import build_demo_app, wait_ready, wait_until
from tests.tui.pane_helpers import fast_poll, open_results  # noqa: F401 (fixture)

SIZES = [(80, 24), (120, 40)]


pytestmark = pytest.mark.usefixtures("fast_poll")
SEQ = Sequence((Command(CommandType.PUT_FILE, "rules.yar"),
                Command(CommandType.RUN_SCRIPT, "yara_scan.ps1", r"-Rules rules.yar -Path C:\Users"),
                Command(CommandType.GET_FILE, r"C:\Windows\Temp\yara-hits.txt")))  # fmt: skip


def _machines(app, *prefixes):
    inv = app.runtime.inventory
    return [next(inv[i] for i in range(len(inv)) if inv[i].name.startswith(p)) for p in prefixes]


async def _sequence(pilot):
    app = pilot.app
    await wait_ready(pilot)
    app.sequence_pane.set_targets(_machines(app, "eng-lt-0002", "eng-lt-0003", "lnx-k8s-001"))
    app.sequence_pane.load_sequence(SEQ)
    await pilot.press("2")
    await pilot.pause()
    app.sequence_pane.command_list.highlighted = 1
    await pilot.pause()


async def _activity(pilot):
    app = pilot.app
    await wait_ready(pilot)
    await pilot.press("3")
    await pilot.press("p")  # paused: nothing moves, nothing depends on the wall clock
    await app.runtime.engine.submit(
        SEQ.with_comment("analyst=demo case=SNAP-1"),
        _machines(app, "eng-lt-0002", "eng-lt-0003", "fin-ws-0001", "KIOSK-001"),
    )
    await wait_until(pilot, lambda: app.activity_pane.table.row_count == 4, timeout=30)
    await pilot.pause(0.4)


async def _results(pilot):
    app = pilot.app
    await wait_ready(pilot)
    seq = Sequence(
        (
            Command(CommandType.RUN_SCRIPT, "Get-NetConnections.ps1"),
            Command(CommandType.GET_FILE, r"C:\Windows\System32\drivers\etc\hosts"),
        ),
        "analyst=demo case=SNAP-2",
    )
    [job] = await app.runtime.engine.submit(seq, _machines(app, "fin-ws-0002"))
    await wait_until(pilot, lambda: job.action_id is not None, timeout=30)
    app.clock.advance(3600.0)  # one jump: every simulated time in the output is the same on every run
    await wait_until(pilot, lambda: job.is_final, timeout=60)
    view = await open_results(pilot, job.id)  # the pane's default focus first: the output is focused after it
    await app.workers.wait_for_complete()
    await wait_until(pilot, lambda: len(view.lines) > 10, timeout=30)
    view.focus()
    await wait_until(pilot, lambda: app.focused is view, timeout=30)  # `/` is the focused pane's key
    await pilot.press("slash")
    search = app.results_pane.query_one("#results-search")
    await wait_until(pilot, lambda: app.focused is search, timeout=30)
    await pilot.press(*"beacon", "enter")  # the planted "[red]beacon[/red]" is shown literally
    # under load the search box and the scroll to the match can take more than a frame: wait for the state,
    # not for a fixed time
    await wait_until(pilot, lambda: view.matches and view.current >= 0 and view.scroll_y > 0, timeout=30)
    await wait_until(pilot, lambda: app.focused is view, timeout=30)
    await app.workers.wait_for_complete()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.3)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_sequence_pane(snap_compare, size):
    """Three targets (Windows and Linux), PutFile + RunScript with args + GetFile, the JSON body."""
    assert snap_compare(build_demo_app(), run_before=_sequence, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_activity_pane(snap_compare, size):
    """Four jobs waiting in the paused queue; the gauges show the budgets and PAUSED."""
    assert snap_compare(build_demo_app(), run_before=_activity, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_results_pane(snap_compare, size):
    """A finished RunScript's output (with a planted [red]beacon[/red] shown literally) and its commands."""
    assert snap_compare(build_demo_app(), run_before=_results, terminal_size=size)
