"""The Activity pane on the real in-process demo: live rows, gauges, and the keys (x r F p enter)."""

from __future__ import annotations

import re
import time

import pytest

from lrtui.api.enums import CommandType
from lrtui.api.sequence import Command, Sequence
from lrtui.engine.jobs import JobChanged, JobState, Outcome
from lrtui.tui.widgets.activity.pane import ActivityPane
from lrtui.tui.widgets.sequence.confirm import ConfirmScreen
from tests.tui.conftest import wait_ready, wait_until
from tests.tui.pane_helpers import fast_poll, screen_text  # noqa: F401 (fixture)

NETCONNS = Sequence((Command(CommandType.RUN_SCRIPT, "Get-NetConnections.ps1"),), "analyst=t case=ACT-1: test")
TRIAGE = Sequence((Command(CommandType.RUN_SCRIPT, "Invoke-Triage.ps1", "-Quick"),), "analyst=t case=ACT-2: test")


def machines(app, *prefixes):
    inv = app.runtime.inventory
    out = []
    for p in prefixes:
        out.append(next(inv[i] for i in range(len(inv)) if inv[i].name.startswith(p)))
    return out


pytestmark = pytest.mark.usefixtures("fast_poll")


def cell(pane: ActivityPane, job_id: str, column: str) -> str:
    try:
        return pane.table.get_cell(job_id, column).plain.strip()
    except Exception:
        return ""


class Spy:
    def __init__(self, table):
        self.added = 0
        self.cleared = 0
        add, clear = table.add_row, table.clear

        def add_row(*a, **kw):
            self.added += 1
            return add(*a, **kw)

        def clear_(*a, **kw):
            self.cleared += 1
            return clear(*a, **kw)

        table.add_row, table.clear = add_row, clear_


async def test_rows_update_in_place_with_coalesced_flushes(make_demo_app):
    app = make_demo_app(frozen=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        pane = app.activity_pane
        spy = Spy(pane.table)
        engine = app.runtime.engine
        events: list[JobChanged] = []
        engine.subscribe(lambda e: isinstance(e, JobChanged) and events.append(e))
        flushes_before = pane.flushes
        t0 = time.monotonic()
        jobs = await engine.submit(NETCONNS, machines(app, "eng-lt-0002", "eng-lt-0003", "eng-lt-0004"))
        await pilot.press("3")
        await wait_until(pilot, lambda: all(j.is_final for j in jobs), timeout=30)
        await wait_until(pilot, lambda: all(cell(pane, j.id, "state") == "✓ done" for j in jobs))
        elapsed = time.monotonic() - t0
        assert pane.table.row_count == 3
        assert spy.added == 3 and spy.cleared == 0  # one row per job, never a rebuild
        flushes = pane.flushes - flushes_before
        assert flushes < len(events), (flushes, len(events))  # many events, fewer flushes
        assert flushes <= elapsed / 0.1 + 2
        assert all(cell(pane, j.id, "cmds") == "✓" for j in jobs)
        assert "3 jobs: 3 succeeded" in screen_text(app)


async def test_countdowns_tick_while_a_script_runs(make_demo_app):
    app = make_demo_app(frozen=False, time_scale=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        pane = app.activity_pane
        [job] = await app.runtime.engine.submit(TRIAGE, machines(app, "fin-ws-0002"))
        await pilot.press("3")
        await wait_until(pilot, lambda: job.state is JobState.RUNNING and bool(cell(pane, job.id, "left")), timeout=20)
        left = cell(pane, job.id, "left")
        assert re.fullmatch(r"\d+:\d\d", left) and left.startswith("9:")
        first = cell(pane, job.id, "elapsed")
        await wait_until(pilot, lambda: cell(pane, job.id, "elapsed") != first or job.is_final, timeout=3)
        assert "Sessions" in screen_text(app) and "/25" in screen_text(app)


async def test_pause_cancel_and_resume_the_queue(demo_app):
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await pilot.press("3")
        pane = demo_app.activity_pane
        engine = demo_app.runtime.engine
        await pilot.press("p")
        await pilot.pause()
        assert engine.budget_snapshot().paused
        jobs = await engine.submit(NETCONNS, machines(demo_app, "hr-ws-0003", "hr-ws-0004"))
        await wait_until(pilot, lambda: pane.table.row_count == 2)
        await wait_until(pilot, lambda: "PAUSED" in screen_text(demo_app))
        assert all(cell(pane, j.id, "state") == "paused" for j in jobs)
        assert {cell(pane, j.id, "elapsed") for j in jobs} == {"#1", "#2"}  # queue positions while waiting
        pane.table.move_cursor(row=0)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: jobs[0].outcome is Outcome.CANCELLED)
        await wait_until(pilot, lambda: cell(pane, jobs[0].id, "state") == "cancelled")
        await pilot.press("p")
        await pilot.pause()
        assert not engine.budget_snapshot().paused
        await wait_until(pilot, lambda: jobs[1].state is not JobState.PAUSED)


async def test_error_inline_retry_and_retry_class(demo_app):
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await pilot.press("3")
        pane = demo_app.activity_pane
        engine = demo_app.runtime.engine
        jobs = await engine.submit(NETCONNS, machines(demo_app, "KIOSK-001", "KIOSK-002"))
        await wait_until(pilot, lambda: all(j.is_final for j in jobs), timeout=10)
        await wait_until(pilot, lambda: "DisallowedOperation" in cell(pane, jobs[0].id, "info"))
        assert cell(pane, jobs[0].id, "state") == "✗ denied"
        pane.table.move_cursor(row=0)
        await pilot.pause()
        assert "DisallowedOperation" in screen_text(demo_app)  # code and message under the table
        await pilot.press("r")
        await wait_until(pilot, lambda: pane.table.row_count == 3)
        await wait_until(pilot, lambda: all(j.is_final for j in engine.jobs), timeout=10)
        pane.table.move_cursor(row=1)
        await pilot.press("F")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: pane.table.row_count >= 4)


async def test_enter_opens_the_results(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        [job] = await demo_app.runtime.engine.submit(NETCONNS, machines(demo_app, "KIOSK-001"))
        await pilot.press("3")
        pane = demo_app.activity_pane
        await wait_until(pilot, lambda: pane.table.row_count == 1)
        pane.table.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: demo_app.current_pane == "results")
        assert demo_app.results_pane.job_id == job.id
