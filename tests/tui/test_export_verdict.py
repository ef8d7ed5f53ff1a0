"""The Results pane's export (E) reports export_bundle's verdict: "Exported N jobs" only when it verifies."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrtui.tui.widgets.results.pane import export_verdict
from tests.tui.conftest import wait_ready, wait_until
from tests.tui.pane_helpers import fast_poll, press_text, screen_text  # noqa: F401 (fixture)
from tests.tui.test_activity_pane import NETCONNS, machines

pytestmark = pytest.mark.usefixtures("fast_poll")


def test_problems_are_listed_and_never_called_exported(tmp_path):
    summary, details = export_verdict(False, 2, 3, ["file a.zip: sha256 differs", "journal chain: broken"], tmp_path)
    assert "Exported" not in summary and "2 problem(s)" in summary
    assert details.splitlines() == ["- file a.zip: sha256 differs", "- journal chain: broken"]
    assert export_verdict(False, 0, 0, [], tmp_path)[0].startswith("Nothing exported")
    assert export_verdict(True, 2, 3, [], tmp_path) == (f"Exported 2 jobs (3 files) to {tmp_path}", "")


async def _export(pilot, case: str | None) -> str:
    app = pilot.app
    await pilot.press("E")
    await pilot.pause()
    if case is not None:
        await pilot.press("end", *(["backspace"] * 40))
        await press_text(pilot, case)
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    return str(app.query_one("#results-status").render())


async def test_export_says_what_happened(demo_app, monkeypatch):
    app = demo_app
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        [job] = await app.runtime.engine.submit(NETCONNS, machines(app, "KIOSK-001"))
        await wait_until(pilot, lambda: job.is_final, timeout=10)
        await pilot.press("3")
        pane = app.activity_pane
        await wait_until(pilot, lambda: pane.table.row_count == 1)
        pane.table.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.current_pane == "results")

        status = await _export(pilot, "NO-SUCH-CASE")
        assert "Nothing exported" in status and "Exported" not in status

        status = await _export(pilot, None)  # prefilled: case=ACT-1
        assert "Exported 1 jobs" in status

        import lrtui.tui.widgets.results.pane as pane_module

        monkeypatch.setattr(pane_module.time, "strftime", lambda *a: "20260101-000000")
        taken = Path(app.runtime.data_dir) / "exports" / "ACT-1-20260101-000000"
        taken.mkdir(parents=True)
        (taken / "notes.txt").write_text("someone else's", encoding="utf-8")
        status = await _export(pilot, None)
        assert "Export refused" in status and "not an empty folder" in status
        assert (taken / "notes.txt").read_text(encoding="utf-8") == "someone else's"
        assert "refused" in screen_text(app)
