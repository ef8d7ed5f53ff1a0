"""The live response engine: budgets, scheduler, poller, results, journal (no Textual anywhere here).

Lazy exports (PEP 562): ``from lrtui.engine import Engine`` imports the engine (and pydantic, through the API
models) only when asked for, so that importing the light modules (``lrtui.engine.jobs`` for the TUI's panes)
does not pull the rest in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lrtui.engine.budget import Budget, BudgetSettings
    from lrtui.engine.engine import Engine
    from lrtui.engine.journal import Journal, verify_chain
    from lrtui.engine.results import ResultLimits

__all__ = ["Budget", "BudgetSettings", "Engine", "Journal", "ResultLimits", "verify_chain"]


def __getattr__(name: str) -> object:
    """The export ``name``, imported on first use."""
    if name == "Engine":
        from lrtui.engine.engine import Engine

        return Engine
    if name == "Budget":
        from lrtui.engine.budget import Budget

        return Budget
    if name == "BudgetSettings":
        from lrtui.engine.budget import BudgetSettings

        return BudgetSettings
    if name == "Journal":
        from lrtui.engine.journal import Journal

        return Journal
    if name == "verify_chain":
        from lrtui.engine.journal import verify_chain

        return verify_chain
    if name == "ResultLimits":
        from lrtui.engine.results import ResultLimits

        return ResultLimits
    raise AttributeError(f"module 'lrtui.engine' has no attribute {name!r}")
