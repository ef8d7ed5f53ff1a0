"""The stack view (issue 12): a script run on 40 demo machines, stacked from Activity with ``S``; the outlier
found by keys and diffed against the majority; masks toggled; lines filtered; snapshots at 80x24 and 120x40."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from textual.app import App

from lrtui.api.enums import CommandType
from lrtui.api.sequence import Command, Sequence
from lrtui.engine.jobs import CommandResult, Job, JobState, Outcome
from lrtui.sim.library.fleet import planted
from lrtui.tui.widgets.stack.diff_view import DiffView
from lrtui.tui.widgets.stack.groups_table import OUTLIER, GroupTable
from lrtui.tui.widgets.stack.lines_table import LineTable
from lrtui.tui.widgets.stack.screen import StackScreen, open_stack_for
from tests.tui.conftest import DEMO_SEED, FROZEN_AT, wait_ready, wait_until
from tests.tui.pane_helpers import fast_poll, screen_text  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("fast_poll", "wide_budget")


@pytest.fixture
def wide_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's budgets opened wide (as the simulator's are in ``fleet_app``): these tests are about the
    outputs, not about pacing 40 submissions."""
    monkeypatch.setenv("LRTUI_RATE_CALLS", "1000")
    monkeypatch.setenv("LRTUI_MAX_SESSIONS", "100")


class _FleetFactory:
    """The demo runtime on a simulator whose budgets are opened wide, on the app's frozen clock."""

    def __init__(self, settings: Any, clock: Any) -> None:
        self.settings, self.clock = settings, clock

    async def __call__(self, on_device_code: Any = None) -> Any:
        from lrtui.cli.compose import build_runtime, demo_simulator
        from lrtui.sim import SimConfig

        cfg = SimConfig(seed=DEMO_SEED, machines=80, time_scale=0.02, clock=self.clock, start_time=self.clock(),
                        seeded_action_ids=True, rate_calls=1000, max_sessions=100, general_per_minute=100_000,
                        general_per_hour=1_000_000)  # fmt: skip
        simulator = demo_simulator(self.settings, cfg)
        return await build_runtime(self.settings, demo=True, simulator=simulator, on_device_code=on_device_code)


def fleet_app() -> Any:
    from lrtui.settings import load_settings
    from lrtui.sim.clock import ManualClock
    from lrtui.tui.app import make_app

    settings = load_settings(demo=True)
    clock = ManualClock(FROZEN_AT)
    return make_app(
        settings, demo=True, clock=clock, runtime_factory=_FleetFactory(settings, clock), cursor_blink=False
    )


SCRIPT = Sequence((Command(CommandType.RUN_SCRIPT, "Get-Autoruns.csv.ps1"),), "analyst=demo case=STACK-1")
FLEET = 40


def _windows(app: Any, n: int) -> list[Any]:
    inv = app.runtime.inventory
    found = [inv[i] for i in range(len(inv)) if inv[i].os_family == "windows" and inv[i].health_status == "Active"]
    assert len(found) >= n, "the demo tenant has too few Windows machines for the test"
    return found[:n]


async def _run_fleet(pilot: Any) -> list[Any]:
    """Submit the script to 40 Windows machines and wait until every job is done (the frozen clock is moved on
    a minute at a time until they are)."""
    app = pilot.app
    await wait_ready(pilot)
    jobs = await app.runtime.engine.submit(SCRIPT, _windows(app, FLEET))
    assert len(jobs) == FLEET

    def done() -> bool:
        app.clock.advance(60.0)
        return all(j.is_final for j in jobs)

    try:
        await wait_until(pilot, done, timeout=90)
    except AssertionError:
        raise AssertionError(f"jobs not done: {Counter((j.state.value, j.error_message) for j in jobs)}") from None
    return jobs


async def _open_stack(pilot: Any) -> StackScreen:
    app = pilot.app
    await pilot.press("3")
    await wait_until(pilot, lambda: app.activity_pane.table.row_count >= FLEET)
    await pilot.pause()
    await pilot.press("S")
    await wait_until(pilot, lambda: isinstance(app.screen, StackScreen))
    screen = app.screen
    assert isinstance(screen, StackScreen)
    await wait_until(pilot, lambda: screen.data is not None and not screen.busy, timeout=30)
    await pilot.pause()
    return screen


def _marked_outlier(table: GroupTable) -> bool:
    return table.get_row_at(table.cursor_row)[2].plain == OUTLIER


async def test_stack_view_finds_the_outlier_by_keys_and_diffs_it_against_the_majority() -> None:
    app = fleet_app()
    async with app.run_test(size=(120, 40)) as pilot:
        jobs = await _run_fleet(pilot)
        screen = await _open_stack(pilot)
        data = screen.data
        ran = [j for j in jobs if j.results and j.results[0].stdout_path]
        assert data is not None and len(data.outputs) == len(ran) >= FLEET - 2
        assert sum(g.size for g in data.groups) == len(ran)
        assert data.without_output == FLEET - len(ran)
        assert "masks:" in screen_text(app) and "host, time, pid, guid" in screen_text(app)
        table = screen.query_one(GroupTable)
        assert table.has_focus
        planted_names = {j.machine_name for j in jobs if planted(j.machine_id) == "autorun"} & set(data.outputs)
        assert planted_names, "seed 7 plants no autorun among the 40 machines: pick another seed"
        view = screen.query_one(DiffView)
        found: dict[str, list[str]] = {}  # outlier machine -> the lines only it prints
        for _ in range(table.row_count):  # down the groups: d on each one marked outlier, o back to the groups
            if _marked_outlier(table):
                group = table.highlighted_group()
                assert group is not None and group.size == 1
                [machine] = group.machines
                await pilot.press("d")
                await wait_until(pilot, lambda m=machine: not screen.busy and view.machine == m, timeout=30)
                await pilot.pause()
                found[machine] = [x for x in view.diff if x.startswith("+") and not x.startswith("+++")]
                if machine in planted_names:
                    extra = [x for x in found[machine] if "AppData" in x]
                    assert len(extra) == 1 and "Not verified" in extra[0], view.diff
                    assert extra[0][1:50] in screen_text(app)  # shown, not only computed
                await pilot.press("o")
                await wait_until(pilot, lambda: table.has_focus)
            await pilot.press("j")
        assert "◆ outlier" in screen_text(app)
        # every planted machine stands alone, marked outlier, and only the planted ones print an AppData autorun
        assert planted_names <= set(found)
        assert {m for m, added in found.items() if any("AppData" in x for x in added)} == planted_names

        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, StackScreen))


async def test_lines_rarest_first_filter_and_who_prints_it() -> None:
    app = fleet_app()
    async with app.run_test(size=(120, 40)) as pilot:
        jobs = await _run_fleet(pilot)
        screen = await _open_stack(pilot)
        await pilot.press("l")
        await pilot.pause()
        lines = screen.query_one(LineTable)
        assert lines.has_focus and lines.shown
        counts = [s.count for s in lines.shown]
        assert counts == sorted(counts) and counts[0] == 1 and counts[-1] >= FLEET - 2
        await pilot.press("slash", *"appdata")
        await wait_until(pilot, lambda: all("appdata" in s.text.lower() for s in lines.shown))
        assert lines.shown and all(s.count == 1 for s in lines.shown)
        await pilot.press("enter")  # back to the list
        await wait_until(pilot, lambda: lines.has_focus)
        await pilot.press("enter")  # who prints the highlighted line
        await pilot.pause()
        who = lines.shown[lines.cursor_row].machines[0]
        assert planted(next(j for j in jobs if j.machine_name == who).machine_id) == "autorun"
        assert "1 machine prints it" in screen_text(app)

        await pilot.press("m")  # masks off: the transcript stamps and GUIDs now set every output apart
        await wait_until(pilot, lambda: not screen.busy and screen.data is not None and not screen.data.masks)
        assert "masks: off" in screen_text(app)
        assert screen.data is not None and len(screen.data.groups) > len([j for j in jobs if planted(j.machine_id)]) + 1
        from lrtui.tui.screens.help import HelpScreen, binding_groups

        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        listed = {bid for _, rows in binding_groups(app, screen.active_bindings) for _, _, bid in rows}
        assert {"stack-close", "stack-outputs", "stack-lines", "stack-diff", "stack-masks", "stack-filter"} <= listed
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)


SIZES = [(80, 24), (120, 40)]


async def _stacked(pilot: Any) -> None:
    await _run_fleet(pilot)
    screen = await _open_stack(pilot)
    await pilot.press("G")  # the last group: a machine alone with its output, marked outlier
    await pilot.pause()
    assert _marked_outlier(screen.query_one(GroupTable))
    await pilot.app.workers.wait_for_complete()
    await pilot.wait_for_scheduled_animations()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_stack_view_snapshot(snap_compare: Any, size: tuple[int, int]) -> None:
    """Get-Autoruns.csv.ps1 on 40 Windows machines, stacked with the default masks: the batch at a glance, the
    groups largest first, the last one (an outlier) highlighted."""
    assert snap_compare(fleet_app(), run_before=_stacked, terminal_size=size)


class _StackHost(App[None]):
    """A bare app that opens the stack view over jobs made from files (the view needs nothing else)."""

    def __init__(self, jobs: list[Job]) -> None:
        super().__init__()
        self.jobs = jobs

    def on_mount(self) -> None:
        open_stack_for(self, self.jobs[0], self.jobs)


def _job(tmp_path: Path, name: str, text: str) -> Job:
    path = tmp_path / f"{name}.txt"
    path.write_text(text, encoding="utf-8")
    result = CommandResult(index=0, type="RunScript", stdout_path=str(path))
    return Job(id=name, batch_id="b1", machine_id=name, machine_name=name, os_family="windows",
               sequence=SCRIPT, state=JobState.DONE, outcome=Outcome.SUCCEEDED, results=[result])  # fmt: skip


async def test_device_text_is_never_markup_and_removals_are_noted(tmp_path: Path) -> None:
    common = "Entry,Image\nSecurityHealth,C:\\Windows\\System32\\SecurityHealthSystray.exe\n"
    hostile = common + "[bold]Updater[/bold],\x1b]0;pwned\x07C:\\Users\\x\\AppData\\u.exe\n"
    jobs = [_job(tmp_path, f"ws-{i}", common) for i in range(3)] + [_job(tmp_path, "ws-odd", hostile)]
    jobs.insert(0, _job(tmp_path, "ws-running", common))
    jobs[0].results.clear()  # not finished yet
    app = _StackHost(jobs)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, StackScreen))
        screen = app.screen
        assert isinstance(screen, StackScreen)
        await wait_until(pilot, lambda: screen.data is not None and not screen.busy)
        await pilot.press("l")
        await pilot.pause()
        text = screen_text(app)
        assert "[bold]Updater[/bold]" in text  # literal brackets, not bold
        assert "⚠ 1 control sequence removed" in text
        assert "\x1b" not in text and "pwned\x07" not in text
        await pilot.press("o", "G", "d")
        view = screen.query_one(DiffView)
        await wait_until(pilot, lambda: not screen.busy and view.machine == "ws-odd")
        await pilot.pause()
        assert "+[bold]Updater[/bold]" in screen_text(app)
        assert "control sequence removed" in screen_text(app)

        late = jobs[0]  # r reads again: a job that finished since the view opened is stacked too
        assert "outputs: 4" in screen_text(app) and "(1 without)" in screen_text(app)
        late.results.append(_job(tmp_path, "ws-late", common).results[0])
        await pilot.press("r")
        await wait_until(pilot, lambda: not screen.busy and screen.data is not None and len(screen.data.outputs) == 5)
        assert "outputs: 5" in screen_text(app)
