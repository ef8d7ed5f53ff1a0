"""The Results pane: script output (searchable, fast on megabytes), GetFile hashes and archive listing,
copy path, export."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from lrtui.api.enums import CommandType
from lrtui.api.sequence import Command, Sequence
from lrtui.tui.widgets.results.output_view import OutputView, Section, prepare
from tests.tui.conftest import wait_ready, wait_until
from tests.tui.pane_helpers import fast_poll, press_text, screen_text  # noqa: F401 (fixture)

COMMENT = "analyst=t case=RES-1: results test"


pytestmark = pytest.mark.usefixtures("fast_poll")


def machine(app, prefix):
    inv = app.runtime.inventory
    return next(inv[i] for i in range(len(inv)) if inv[i].name.startswith(prefix))


async def run_and_open(pilot, seq: Sequence, prefix: str):
    """Submit on one machine, wait for the end, then open it from Activity with enter (as a user)."""
    app = pilot.app
    [job] = await app.runtime.engine.submit(seq, [machine(app, prefix)])
    await wait_until(pilot, lambda: job.is_final, timeout=30)
    await pilot.press("3")
    pane = app.activity_pane
    await wait_until(pilot, lambda: pane.table.row_count >= 1)
    pane.table.focus()
    pane.table.move_cursor(row=pane.table.get_row_index(job.id))
    await pilot.press("enter")
    await wait_until(pilot, lambda: app.results_pane.job_id == job.id)
    await app.workers.wait_for_complete()
    await pilot.pause()
    return job


async def test_script_output_is_shown_and_searchable(make_demo_app):
    app = make_demo_app(frozen=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        seq = Sequence((Command(CommandType.RUN_SCRIPT, "Get-InstalledSoftware.ps1"),), COMMENT)
        job = await run_and_open(pilot, seq, "fin-ws-0002")
        view = app.results_pane.output
        await wait_until(pilot, lambda: len(view.lines) > 5)
        script = job.results[0].script
        assert "Exit code" in screen_text(app)
        assert any(line.strip() for line in script.script_output.splitlines()[:3])
        assert "stderr" in view.lines  # stderr follows stdout, under its own heading
        err = view.lines[view.lines.index("stderr") + 1 :]
        assert err and err == script.script_errors.rstrip("\n").split("\n")
        view.focus()
        await pilot.press("slash")
        await press_text(pilot, "micro")
        await pilot.press("enter")
        await pilot.pause()
        assert view.matches, "expected matches"
        total = len(view.matches)
        assert f"match 1 of {total}" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert view.current == 1 and f"match 2 of {total}" in screen_text(app)
        await pilot.press("N", "N")
        await pilot.pause()
        assert view.current == total - 1  # wraps around
        line, _ = view.matches[view.current]
        assert view.scroll_offset.y <= line < view.scroll_offset.y + view.scrollable_content_region.height


async def test_getfile_hashes_listing_copy_and_export(make_demo_app):
    app = make_demo_app(frozen=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        m = machine(app, "fin-ws-0002")
        host = m.name.split(".")[0].upper()
        seq = Sequence(
            (
                Command(CommandType.RUN_SCRIPT, "Invoke-Triage.ps1", "-Quick"),  # writes C:\Windows\Temp
                Command(CommandType.GET_FILE, rf"C:\Windows\Temp\triage-{host}.zip"),
            ),
            COMMENT,
        )
        job = await run_and_open(pilot, seq, "fin-ws-0002")
        pane = app.results_pane
        await pilot.press("down")  # from the RunScript to the GetFile
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: any("manifest.json" in line for line in pane.output.lines))
        r = next(x for x in job.results if x.type == "GetFile")
        saved = Path(r.file_path)
        assert hashlib.sha256(saved.read_bytes()).hexdigest() == r.sha256
        text = screen_text(app)
        assert r.sha256 in text and "SHA-256" in text
        assert f"{saved.stat().st_size:,} bytes" in text
        assert any("EventLogs/Security.evtx.txt" in line for line in pane.output.lines)
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == r.file_path
        await pilot.press("E")
        await pilot.pause()
        await pilot.press("enter")  # case id prefilled from "case=RES-1"
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: "Exported" in screen_text(app), timeout=10)
        exports = list((Path(app.runtime.data_dir) / "exports").glob("RES-1-*/manifest.json"))
        assert exports
        # the request log shows the calls, with the result links' signatures redacted
        log = app.request_log_pane.lines
        assert any("POST" in line and "runliveresponse" in line for line in log)
        blob = [line for line in log if "blob" in line]
        assert blob and all("sig=" not in line or "sig=REDACTED" in line for line in blob)


async def test_megabytes_of_output_stay_fast(demo_app):
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await pilot.press("4")
        view = demo_app.results_pane.query_one(OutputView)
        big = "".join(
            f"{i:07d} svchost.exe C:\\Windows\\System32 [bold]not markup[/bold] \x1b[31mred\x1b[0m\n"
            for i in range(80_000)
        )
        assert len(big) > 5_000_000
        t0 = time.perf_counter()
        lines, styles, width = prepare([Section("stdout", big)])
        prep = time.perf_counter() - t0
        view.set_prepared(lines, styles, width)
        await pilot.pause()
        t0 = time.perf_counter()
        for y in range(40):
            view.render_line(y)
        render = time.perf_counter() - t0
        t0 = time.perf_counter()
        view.search("0079999")
        search = time.perf_counter() - t0
        await pilot.pause()
        assert prep < 3.0 and render < 0.05 and search < 1.5, (prep, render, search)
        # line 0 is the heading, line 1 the removal note (two SGR sequences per line were removed)
        assert view.lines[1] == "⚠ 160000 control sequences removed"
        assert view.matches == [(80_001, 0)] and view.scroll_offset.y > 79_000
        assert "\x1b" not in view.lines[2] and "[bold]not markup[/bold]" in view.lines[2]
