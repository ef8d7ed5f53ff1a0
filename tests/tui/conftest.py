"""Shared TUI fixtures: the real app on the real in-process demo runtime, made deterministic.

- ``make_demo_app(machines=60, seed=7, size=None, frozen=True, **make_app_kw)`` builds an ``LrtuiApp`` on the
  in-process demo tenant (``lrtui.cli.compose.build_runtime`` with a seeded simulator). With ``frozen=True`` the
  app's clock and the simulator's clock are one ``ManualClock`` standing at ``FROZEN_AT`` (advance it with
  ``app.clock.advance(s)``); with ``frozen=False`` the simulator runs on wall time (scaled), so jobs progress.
  Cursor blink is off.
- ``demo_app``: ``make_demo_app()`` with the defaults (60 machines, frozen).
- ``simulator_of(app)``: the demo tenant's simulator behind such an app (to change the tenant under it).
- ``await wait_ready(pilot)``: until the runtime is bound and the inventory is loaded.
- ``await wait_until(pilot, predicate, timeout=5.0)``: poll (with pauses) until ``predicate()`` is true.
- ``DEMO_SEED``, ``DEMO_MACHINES``, ``FROZEN_AT`` are the defaults.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Callable
from typing import Any

import pytest

DEMO_SEED = 7
DEMO_MACHINES = 60
FROZEN_AT = 1_780_000_000.0  # 2026-05-28T20:26:40Z


class _DemoFactory:
    """The demo app's runtime factory; keeps a handle on the simulator it builds (see ``simulator_of``)."""

    def __init__(self, settings: Any, *, machines: int, seed: int, clock: Any, time_scale: float) -> None:
        self.settings, self.machines, self.seed, self.clock, self.time_scale = (
            settings,
            machines,
            seed,
            clock,
            time_scale,
        )
        self.simulator: Any = None

    async def __call__(self, on_device_code: Any = None) -> Any:
        from lrtui.cli.compose import build_runtime, demo_simulator
        from lrtui.sim import SimConfig

        clock = self.clock
        cfg = SimConfig(seed=self.seed, machines=self.machines, time_scale=self.time_scale, clock=clock,
                        start_time=clock() if clock is not None else None,
                        seeded_action_ids=True)  # snapshots show action ids: the same ones every run  # fmt: skip
        self.simulator = demo_simulator(self.settings, cfg)
        return await build_runtime(self.settings, demo=True, simulator=self.simulator, on_device_code=on_device_code)


_FACTORIES: weakref.WeakKeyDictionary[Any, _DemoFactory] = weakref.WeakKeyDictionary()


def simulator_of(app: Any) -> Any:
    """The simulator behind a ``build_demo_app`` app (once its runtime is built)."""
    return _FACTORIES[app].simulator


def build_demo_app(
    *,
    machines: int = DEMO_MACHINES,
    seed: int = DEMO_SEED,
    frozen: bool = True,
    time_scale: float = 0.02,
    **kw: Any,
) -> Any:
    from lrtui.settings import load_settings
    from lrtui.sim.clock import ManualClock
    from lrtui.tui.app import make_app

    settings = kw.pop("settings", None) or load_settings(demo=True)
    clock = ManualClock(FROZEN_AT) if frozen else None
    kw.setdefault("cursor_blink", False)
    factory = _DemoFactory(settings, machines=machines, seed=seed, clock=clock, time_scale=time_scale)
    app = make_app(settings, demo=True, clock=clock or time.time, runtime_factory=factory, **kw)
    _FACTORIES[app] = factory
    return app


@pytest.fixture
def make_demo_app() -> Callable[..., Any]:
    return build_demo_app


@pytest.fixture
def demo_app() -> Any:
    return build_demo_app()


async def wait_until(pilot: Any, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {getattr(predicate, '__name__', predicate)}")
        await pilot.pause(0.02)


async def wait_ready(pilot: Any, timeout: float = 10.0) -> None:
    app = pilot.app

    def ready() -> bool:
        inv = getattr(app.runtime, "inventory", None)
        # the app has handled the load too (the list shows it; a device-code modal is no longer closed by it)
        return inv is not None and inv.loaded and not inv.loading and getattr(app, "machines_loaded", False)

    await wait_until(pilot, ready, timeout)
    await pilot.pause()
