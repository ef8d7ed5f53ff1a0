"""The live response engine: budgets, scheduler, poller, results, journal (no Textual anywhere here).

Lazy exports (PEP 562): ``from lrtui.engine import Engine`` imports the engine only when asked for.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "Engine": "lrtui.engine.engine",
    "BudgetSettings": "lrtui.engine.budget",
    "Budget": "lrtui.engine.budget",
    "Journal": "lrtui.engine.journal",
    "verify_chain": "lrtui.engine.journal",
    "ResultLimits": "lrtui.engine.results",
    "preflight": "lrtui.engine.preflight",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module 'lrtui.engine' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value
    return value
