"""The embedded MDE simulator: a demo tenant served in-process (ASGI) or on loopback (``lrtui sim``).

Public surface (imported lazily so ``import lrtui.sim`` stays cheap)::

    SimConfig, FaultSpec, parse_faults, Simulator, TenantState, make_demo_simulator, serve,
    running_simulator, ManualClock, sim_main

Subpackages: ``routes`` (the API), ``odata`` (query language), ``tenant`` (machines), ``library`` (scripts and
device files)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .cli import sim_main
    from .clock import ManualClock
    from .config import FaultSpec, SimConfig, parse_faults
    from .server import serve
    from .simulator import Simulator, make_demo_simulator
    from .state import TenantState
    from .testing import running_simulator

__all__ = [
    "FaultSpec",
    "ManualClock",
    "SimConfig",
    "Simulator",
    "TenantState",
    "make_demo_simulator",
    "parse_faults",
    "running_simulator",
    "serve",
    "sim_main",
]


def __getattr__(name: str) -> object:
    """Import a public name on first use (``Simulator`` pulls in starlette, ``serve`` and ``sim_main`` uvicorn)."""
    value = _load(name)
    globals()[name] = value
    return value


def _load(name: str) -> object:
    if name in ("SimConfig", "FaultSpec", "parse_faults"):
        from . import config

        return {"SimConfig": config.SimConfig, "FaultSpec": config.FaultSpec, "parse_faults": config.parse_faults}[name]
    if name in ("Simulator", "make_demo_simulator"):
        from . import simulator

        return simulator.Simulator if name == "Simulator" else simulator.make_demo_simulator
    if name == "TenantState":
        from .state import TenantState

        return TenantState
    if name == "serve":
        from .server import serve

        return serve
    if name == "running_simulator":
        from .testing import running_simulator

        return running_simulator
    if name == "ManualClock":
        from .clock import ManualClock

        return ManualClock
    if name == "sim_main":
        from .cli import sim_main

        return sim_main
    raise AttributeError(f"module 'lrtui.sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
