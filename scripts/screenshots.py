"""Regenerate ``screenshots/*.svg`` from the demo tenant (``make screenshots``).

Drives the real app by keys, as a user would, on the in-process demo tenant (seeded, 500 machines):

- ``main-80x24.svg``: the main view at 80x24
- ``machines-120x40.svg``, ``sequence-120x40.svg``, ``run-confirm-120x40.svg``, ``activity-120x40.svg``,
  ``results-120x40.svg``, ``requestlog-120x40.svg``, ``help-80x24.svg``: each pane at 120x40 along one session
  (search, mark three machines, PutFile + RunScript + GetFile, run, watch, read the output)
- ``theme-<name>.svg``: the 120x40 main view in each bundled theme

The palette's "Screenshot" command also saves into ``screenshots/`` here (``make_app(screenshot_dir=...)``).
A step that cannot be reached (a pane changed its keys) is reported and skipped; the others still run.

    python scripts/screenshots.py [--out screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PUT_FILE = "rules.yar"
RUN_SCRIPT = "Get-NetConnections.ps1"
GET_FILE = r"C:\Windows\System32\drivers\etc\hosts"
THEMES = ("lrtui-dark", "lrtui-light", "lrtui-projector", "lrtui-terminal")


async def until(pilot: Any, predicate: Callable[[], bool], timeout: float = 10.0, what: str = "") -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            print(f"  ! gave up waiting for {what or predicate}", file=sys.stderr)
            return False
        await pilot.pause(0.05)
    return True


def new_app(out: Path) -> Any:
    from lrtui.cli.compose import runtime_factory
    from lrtui.settings import load_settings
    from lrtui.tui.app import make_app

    settings = load_settings(demo=True)
    return make_app(
        settings,
        runtime_factory=runtime_factory(settings, demo=True),
        demo=True,
        cursor_blink=False,
        screenshot_dir=str(out),
    )


async def ready(pilot: Any) -> None:
    app = pilot.app
    await until(pilot, lambda: bool(app.runtime and app.runtime.inventory.loaded), 30, "the demo tenant")
    await pilot.pause(0.3)


def save(app: Any, out: Path, name: str) -> None:
    app.save_screenshot(filename=f"{name}.svg", path=str(out))
    print(f"  saved {name}.svg")


async def palette(pilot: Any, text: str) -> bool:
    from textual.command import CommandPalette

    app = pilot.app
    await pilot.press("ctrl+p")
    if not await until(pilot, lambda: isinstance(app.screen, CommandPalette), 5, "the palette"):
        return False
    await pilot.press(*text)
    await pilot.pause(0.5)
    await pilot.press("enter")
    return await until(pilot, lambda: not isinstance(app.screen, CommandPalette), 5, f"palette command {text!r}")


async def main_view(out: Path) -> None:
    app = new_app(out)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        save(app, out, "main-80x24")
        await pilot.press("question_mark")
        await pilot.pause(0.3)
        save(app, out, "help-80x24")


async def session(out: Path) -> None:
    app = new_app(out)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("slash", *"tag:vip os:windows", "enter", "space", "space", "space", "up")
        await pilot.pause(0.3)
        save(app, out, "machines-120x40")

        await pilot.press("2")
        await palette(pilot, f"Add PutFile: {PUT_FILE}")
        await palette(pilot, f"Add RunScript: {RUN_SCRIPT}")
        await pilot.pause(0.2)
        await pilot.press("2", "g")
        await pilot.pause(0.3)
        await pilot.press(*GET_FILE, "enter")
        await pilot.pause(0.5)
        save(app, out, "sequence-120x40")

        await pilot.press("ctrl+r")
        await pilot.pause(0.8)
        save(app, out, "run-confirm-120x40")
        await pilot.press("y")
        engine = app.runtime.engine
        await until(pilot, lambda: bool(engine.jobs), 10, "jobs")
        await pilot.pause(1.5)
        save(app, out, "activity-running-120x40")
        await until(pilot, lambda: bool(engine.jobs) and all(j.is_final for j in engine.jobs), 90, "jobs to finish")
        await pilot.pause(0.8)
        save(app, out, "activity-120x40")

        await pilot.press("3", "enter")
        await pilot.pause(1.0)
        save(app, out, "results-120x40")
        await pilot.press("5")
        await pilot.pause(0.5)
        save(app, out, "requestlog-120x40")


async def themes(out: Path) -> None:
    app = new_app(out)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("space", "down", "space")
        for name in THEMES:
            if name not in app.available_themes:
                print(f"  ! theme {name} is missing", file=sys.stderr)
                continue
            app.theme = name
            await pilot.pause(0.3)
            save(app, out, f"theme-{name}")


async def console(out: Path) -> None:
    """``TERM=linux``: the console glyphs (no emoji, square corners), the Activity pane with finished jobs."""
    from lrtui.api.enums import CommandType
    from lrtui.api.sequence import Command, Sequence

    old_term = os.environ.get("TERM")
    os.environ["TERM"] = "linux"
    try:
        app = new_app(out)
        async with app.run_test(size=(80, 24)) as pilot:
            await ready(pilot)
            save(app, out, "console-80x24")
            engine = app.runtime.engine
            seq = Sequence((Command(CommandType.RUN_SCRIPT, "Get-BitLockerStatus.ps1"),), "analyst=demo case=TTY-1")
            jobs = await engine.submit(seq, windows_machines(app, 4))
            await until(pilot, lambda: all(j.is_final for j in jobs), 60, "jobs to finish")
            await pilot.press("3")
            await pilot.pause(0.8)
            save(app, out, "console-activity-80x24")
    finally:
        if old_term is None:
            os.environ.pop("TERM", None)
        else:
            os.environ["TERM"] = old_term


def windows_machines(app: Any, n: int, *, planted_first: bool = False) -> list[Any]:
    """``n`` online Windows machines of the demo tenant (with ``planted_first``: one with a planted autorun)."""
    from lrtui.sim.library.fleet import planted

    inv = app.runtime.inventory
    found = [inv[i] for i in range(len(inv)) if inv[i].os_family == "windows" and inv[i].health_status == "Active"]
    if planted_first:  # one machine with a planted autorun, the others with nothing planted
        odd = [m for m in found if planted(m.id) == "autorun"][:1]
        return odd + [m for m in found if planted(m.id) is None][: n - len(odd)]
    return found[:n]


async def fleet(out: Path) -> None:
    """A batch stacked (the table mode, a column stacked) and a canary that paused its batch."""
    from lrtui.api.enums import CommandType
    from lrtui.api.sequence import Command, Sequence
    from lrtui.engine.canary import CanaryPlan

    app = new_app(out)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        engine = app.runtime.engine
        seq = Sequence((Command(CommandType.RUN_SCRIPT, "Get-Autoruns.csv.ps1"),), "analyst=demo case=STACK-1")
        jobs = await engine.submit(seq, windows_machines(app, 8, planted_first=True))
        await until(pilot, lambda: all(j.is_final for j in jobs), 60, "jobs to finish")
        await pilot.press("3")
        await pilot.pause(0.5)
        await pilot.press("S")
        await until(pilot, lambda: type(app.screen).__name__ == "StackScreen", 10, "the stack view")
        await pilot.pause(1.5)
        save(app, out, "stack-120x40")
        await pilot.press("t")
        await pilot.pause(0.8)
        grid = app.screen.query_one("MergedTableView")
        columns = grid.table.columns if grid.table is not None else ()
        steps = columns.index("Verified") if "Verified" in columns else 1
        await pilot.press(*["right"] * steps, "c")
        await pilot.pause(0.8)
        save(app, out, "stack-column-120x40")
        await pilot.press("escape", "escape")
        await pilot.pause(0.3)
        bitlocker = Sequence((Command(CommandType.RUN_SCRIPT, "Get-BitLockerStatus.ps1"),), "analyst=demo case=CAN-1")
        batch = await engine.submit(bitlocker, windows_machines(app, 30)[10:], canary=CanaryPlan(2))
        await until(pilot, lambda: engine.batches.settled(batch[0].batch_id), 60, "the canary")
        await pilot.press("3", "G")
        await pilot.pause(0.8)
        save(app, out, "canary-paused-120x40")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "screenshots"))
    ns = parser.parse_args(argv)
    out = Path(ns.out)
    out.mkdir(parents=True, exist_ok=True)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="lrtui-shots-") as home:
        os.environ["LRTUI_HOME"] = home  # no developer config, and theme changes are not saved anywhere real
        os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
        for step in (main_view, session, themes, console, fleet):
            print(f"{step.__name__}:")
            asyncio.run(step(out))
    return served(out)


def served(out: Path) -> int:
    """The app served to a browser (``lrtui serve``) in headless Chromium: served-demo.png, served-theme.png.
    The browser test drives it and saves the pictures where ``SERVE_SCREENSHOTS_DIR`` says."""
    import subprocess

    print("served:")
    env = {**os.environ, "SERVE_SCREENSHOTS_DIR": str(out.resolve())}
    test = ["tests/serve/test_browser.py", "-k", "first_screen", "-q", "-p", "no:cacheprovider", "-rs"]
    return subprocess.run([sys.executable, "-m", "pytest", *test], cwd=REPO, env=env, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
