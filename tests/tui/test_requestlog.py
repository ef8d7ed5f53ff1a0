"""The request log: every API call with method, redacted URL, status and timing; newest last; bounded."""

from __future__ import annotations

import pytest

import time

from lrtui.engine.jobs import RequestRecord
from lrtui.tui.widgets.requestlog.pane import MAX_LINES
from tests.tui.conftest import wait_ready, wait_until
from tests.tui.pane_helpers import screen_text



@pytest.fixture(autouse=True)
def _fast_poll(monkeypatch):
    monkeypatch.setenv("LRTUI_POLL_FAST_S", "0.5")  # the engine's documented knob: poll running actions often

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
            engine.log_request(RequestRecord(at=time.time(), method="GET", url=f"https://x/api/machineactions/{i}",
                                             status=429 if i % 100 == 0 else 200, elapsed_ms=12.0))
        engine.log_request(RequestRecord(at=time.time(), method="POST", url="https://x/api/last", status=None,
                                         elapsed_ms=30000.0, error="ConnectTimeout [bold]x[/bold]"))
        await wait_until(pilot, lambda: pane.lines and "/api/last" in pane.lines[-1])
        assert len(pane.lines) == MAX_LINES
        assert "ConnectTimeout [bold]x[/bold]" in pane.lines[-1]  # literal, never markup
        assert "throttled (429)" in screen_text(demo_app) and "1 failed" in screen_text(demo_app)


async def test_result_link_signatures_are_redacted(make_demo_app):
    from lrtui.api.enums import CommandType
    from lrtui.api.sequence import Command, Sequence

    app = make_demo_app(frozen=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        inv = app.runtime.inventory
        m = next(inv[i] for i in range(len(inv)) if inv[i].name.startswith("eng-lt-0002"))
        seq = Sequence((Command(CommandType.GET_FILE, r"C:\Windows\System32\drivers\etc\hosts"),), "case=RL-1")
        [job] = await app.runtime.engine.submit(seq, [m])
        await wait_until(pilot, lambda: job.is_final, timeout=30)
        await pilot.press("5")
        pane = app.request_log_pane
        await wait_until(pilot, lambda: any("blob" in line for line in pane.lines))
        blob = [line for line in pane.lines if "blob" in line]
        assert all("sig=REDACTED" in line or "sig=" not in line for line in blob)
        assert any("runliveresponse" in line and "POST" in line for line in pane.lines)
