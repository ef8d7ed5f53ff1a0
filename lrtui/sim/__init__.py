"""The embedded MDE simulator: a demo tenant served in-process (ASGI) or on loopback (``lrtui sim``).

Public surface (imported lazily so ``import lrtui.sim`` stays cheap)::

    SimConfig, FaultSpec, Simulator, make_demo_simulator, serve, running_simulator, ManualClock, sim_main
"""

from __future__ import annotations

from typing import Any

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

_WHERE = {
    "SimConfig": "config",
    "FaultSpec": "config",
    "parse_faults": "config",
    "Simulator": "simulator",
    "TenantState": "simulator",
    "make_demo_simulator": "simulator",
    "serve": "server",
    "running_simulator": "testing",
    "ManualClock": "clock",
    "sim_main": "cli",
}


def __getattr__(name: str) -> Any:
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module 'lrtui.sim' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
