"""The served app in headless Chromium: the demo's first screen, a search, a theme switch through the command
palette, and an abrupt disconnect after which the app's process is gone within seconds."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from tests.serve.conftest import Served

_SGR = re.compile(r"\x1b\[[0-9;]*m")
_BACKGROUNDS = re.compile(r"\x1b\[[0-9;]*48;2;(\d+);(\d+);(\d+)")


class Screen:
    """What the app sent to the page (the websocket's data frames, as text)."""

    def __init__(self, page: object) -> None:
        from playwright.sync_api import Page, WebSocket

        assert isinstance(page, Page)
        self.page = page
        self.frames: list[str] = []

        def on_ws(ws: WebSocket) -> None:
            ws.on(
                "framereceived",
                lambda p: self.frames.append(p.decode("utf-8", "replace") if isinstance(p, bytes) else p),
            )

        page.on("websocket", on_ws)

    def mark(self) -> int:
        return len(self.frames)

    def since(self, mark: int) -> str:
        return "".join(self.frames[mark:])

    def wait_for(self, test: Callable[[str], bool], mark: int = 0, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.since(mark)
            if test(text):
                return text
            self.page.wait_for_timeout(100)
        raise AssertionError(f"the app did not show it within {timeout} s; last output: {self.since(mark)[-400:]!r}")


def _open(context: object, served: Served) -> Screen:
    from playwright.sync_api import BrowserContext

    assert isinstance(context, BrowserContext)
    page = context.pages[0] if context.pages else context.new_page()
    screen = Screen(page)
    page.goto(served.url)
    screen.wait_for(lambda t: "500" in t and "machines" in t)
    page.locator(".xterm-helper-textarea").focus()  # keys go to the terminal, as after a click
    return screen


def test_first_screen_search_and_theme_switch(context: object, served: Served, shots: Path) -> None:
    screen = _open(context, served)
    page = screen.page
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots / "served-demo.png"))

    mark = screen.mark()
    page.keyboard.press("/")
    page.keyboard.type("app-prd-007")
    page.keyboard.press("Enter")
    screen.wait_for(lambda t: "1 of 500 machines" in _SGR.sub("", t), mark)

    before = set(_BACKGROUNDS.findall(screen.since(0)))
    mark = screen.mark()
    page.keyboard.press("Escape")
    page.keyboard.press("Control+p")
    page.wait_for_timeout(300)
    page.keyboard.type("Theme: textual-light")
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")
    screen.wait_for(lambda t: len(set(_BACKGROUNDS.findall(t)) - before) >= 3, mark)
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots / "served-theme.png"))
    assert (shots / "served-demo.png").stat().st_size > 10_000


def test_an_abrupt_disconnect_ends_the_app_within_seconds(context: object, served: Served) -> None:
    _open(context, served)
    apps = served.apps()
    assert len(apps) == 1
    browsers = [p for p in psutil.Process().children(recursive=True) if "chrom" in p.name()]
    assert browsers
    for b in browsers:  # no goodbye: the browser's processes die at once
        b.kill()
    deadline = time.monotonic() + 8
    while psutil.pid_exists(apps[0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    gone_after = 8 - (deadline - time.monotonic())
    assert not psutil.pid_exists(apps[0]) or psutil.Process(apps[0]).status() == psutil.STATUS_ZOMBIE
    assert gone_after < 8
    assert served.proc.poll() is None  # the server keeps serving other tabs


@pytest.mark.parametrize("path", ["", "wrong-token/", "static/js/textual.js"])
def test_a_url_without_the_token_is_refused(served: Served, path: str) -> None:
    import urllib.error
    import urllib.request

    base = served.url.rsplit("/", 2)[0] + "/"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(base + path, timeout=5)
    assert refused.value.code == 403
    with urllib.request.urlopen(served.url, timeout=5) as ok:
        assert ok.status == 200
