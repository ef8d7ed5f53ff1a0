"""End to end, by keys, on the in-process demo: search, mark three machines, build PutFile + RunScript +
GetFile, run (confirm), watch Activity reach a final state, read the script output and the file's hash."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from lrtui.engine.jobs import Outcome
from lrtui.tui.screens.run_confirm import RunConfirmScreen
from tests.tui.conftest import wait_ready, wait_until
from tests.tui.pane_helpers import add_getfile, fast_poll, mark_machines, pick_library, screen_text  # noqa: F401 (fixture)

HOSTS = r"C:\Temp\a.txt"  # any file with an extension under C:\Temp exists on the demo devices


pytestmark = pytest.mark.usefixtures("fast_poll")


async def test_search_mark_build_run_watch_read(make_demo_app):
    app = make_demo_app(frozen=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        # 1. search and mark three machines
        await mark_machines(pilot, "eng-lt", 3)
        targets = app.sequence_pane.targets
        assert len(targets) == 3 and all(m.name.startswith("eng-lt") for m in targets)
        # 2. build the sequence (added out of order: each lands in its group)
        await pilot.press("2")
        await add_getfile(pilot, HOSTS)
        await pick_library(pilot, "s", "minid", "lsass")  # a script with parameters: its Args are asked for
        await pick_library(pilot, "p", "rules")
        seq = app.sequence_pane.sequence
        assert [c.type.value for c in seq.commands] == ["PutFile", "RunScript", "GetFile"]
        # 3. run: confirm shows the targets, the estimate and the body; y submits
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, RunConfirmScreen))
        await wait_until(pilot, lambda: app.screen.issues is not None)
        text = screen_text(app)
        assert "3 machines:" in text and "calls a minute" in text and "Pre-flight: no issues" in text
        assert "eng-lt-0001" in text
        await pilot.press("y")
        await wait_until(pilot, lambda: app.current_pane == "activity")
        engine = app.runtime.engine
        await wait_until(pilot, lambda: len(engine.jobs) == 3)
        # 4. activity reaches a final state
        pane = app.activity_pane
        await wait_until(pilot, lambda: all(j.is_final for j in engine.jobs), timeout=40)
        await wait_until(
            pilot, lambda: all(pane.table.get_cell(j.id, "state").plain.strip() == "✓ done" for j in engine.jobs)
        )
        assert all(j.outcome is Outcome.SUCCEEDED for j in engine.jobs)
        assert "3 jobs: 3 succeeded" in screen_text(app)
        # 5. open the first job's results: the script output, then the saved file's hash
        pane.table.focus()
        pane.table.move_cursor(row=0)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.current_pane == "results")
        await app.workers.wait_for_complete()
        results = app.results_pane
        await wait_until(pilot, lambda: any("Dumping lsass" in line for line in results.output.lines))
        assert "Exit code 0" in screen_text(app)
        await pilot.press("down")  # to the GetFile
        await app.workers.wait_for_complete()
        await pilot.pause()
        job = engine.job(results.job_id)
        r = next(x for x in job.results if x.type == "GetFile")
        assert hashlib.sha256(Path(r.file_path).read_bytes()).hexdigest() == r.sha256
        assert r.sha256 in screen_text(app)
