"""``lrtui serve`` driven in headless Chromium (Debian's ``chromium``) through Playwright. Skipped, saying why,
only where Playwright or the browser cannot be used. Screenshots go to ``$SERVE_SCREENSHOTS_DIR`` when the
screenshot script sets it (``screenshots/``), else to the test's temporary folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("textual_serve", reason="the serve extra is not installed: pip install 'lrtui[serve]'")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Served:
    """A running ``lrtui serve`` (as its own process) and the URL it printed."""

    def __init__(self, *options: str, env: dict[str, str] | None = None) -> None:
        argv = [sys.executable, "-m", "lrtui.cli.commands.serve", "--port", "0", *options]
        self.proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True, env=env)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.startswith("Serving lrtui (demo tenant) at http://127.0.0.1:"), line
        self.url = line.rsplit(" ", 1)[1].strip()

    def apps(self) -> list[int]:
        """The pids of the served apps (children of the server)."""
        import psutil

        kids = psutil.Process(self.proc.pid).children(recursive=True)
        return [k.pid for k in kids if "--demo" in " ".join(_cmdline(k))]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def _cmdline(p: object) -> list[str]:
    import psutil

    assert isinstance(p, psutil.Process)
    try:
        return p.cmdline()
    except psutil.Error:
        return []


@pytest.fixture
def served() -> Iterator[Served]:
    s = Served("--max-sessions", "3")
    yield s
    s.stop()


@pytest.fixture
def chromium() -> Iterator[object]:
    """Playwright's sync API, per test: it runs an event loop of its own while it is open, which the async
    tests of this folder must not meet."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium); .ci/run installs it")
    pytest.importorskip("playwright", reason="playwright is not installed (pip install playwright)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture
def context(chromium: object, tmp_path: Path) -> Iterator[object]:
    """A fresh browser (its own user-data-dir) per test."""
    from playwright.sync_api import Playwright

    assert isinstance(chromium, Playwright)
    profile = tempfile.mkdtemp(prefix="lrtui-chromium-", dir=tmp_path)
    ctx = chromium.chromium.launch_persistent_context(
        profile,
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        headless=True,
        viewport={"width": 1280, "height": 800},
    )
    yield ctx
    try:
        ctx.close()
    except Exception:  # the abrupt-disconnect test killed it already
        pass


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: the screenshot script's folder, else this test's temporary folder."""
    folder = os.environ.get("SERVE_SCREENSHOTS_DIR")
    out = Path(folder) if folder else tmp_path / "shots"
    out.mkdir(parents=True, exist_ok=True)
    return out
