"""The request log: every API call with method, redacted URL, status and timing; newest last; bounded."""

from __future__ import annotations

import time

import pytest

from lrtui.api.records import RequestRecord
from lrtui.tui.widgets.requestlog.pane import MAX_LINES
from tests.tui.conftest import wait_ready, wait_until
from tests.tui.pane_helpers import fast_poll, screen_text  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("fast_poll")


async def test_calls_are_listed_newest_last_and_bounded(demo_app):
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await pilot.press("5")
        pane = demo_app.request_log_pane
        await wait_until(pilot, lambda: any("/api/machines" in line for line in pane.lines))
        first = next(line for line in pane.lines if "/api/machines" in line)
        assert "GET" in first and " 200 " in first and " ms " in first
        assert "calls" in screen_text(demo_app)
        engine = demo_app.runtime.engine
        for i in range(MAX_LINES + 50):
            engine.log_request(
                RequestRecord(
                    at=time.time(),
                    method="GET",
                    url=f"https://x/api/machineactions/{i}",
                    status=429 if i % 100 == 0 else 200,
                    elapsed_ms=12.0,
                )
            )
        engine.log_request(
            RequestRecord(
                at=time.time(),
                method="POST",
                url="https://x/api/last",
                status=None,
                elapsed_ms=30000.0,
                error="ConnectTimeout [bold]x[/bold]",
            )
        )
        await wait_until(pilot, lambda: pane.lines and "/api/last" in pane.lines[-1])
        assert len(pane.lines) == MAX_LINES
        assert "ConnectTimeout [bold]x[/bold]" in pane.lines[-1]  # literal, never markup
        assert "throttled (429)" in screen_text(demo_app) and "1 failed" in screen_text(demo_app)
