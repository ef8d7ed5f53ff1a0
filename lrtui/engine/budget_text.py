"""The budgets' words and arithmetic for people: the notices of an unforeseen 429 or a clamped Retry-After, and
the shortest makespan the budgets allow (benches and estimates)."""

from __future__ import annotations

import math

from lrtui.engine.budget import SHARED, BudgetSettings, Lowered


def lowered_notice(lowered: Lowered, wait_s: float) -> str:
    """The notice for an unforeseen 429 that lowered an API's budget."""
    what = "an API call (one budget for all)" if lowered.endpoint == SHARED else f"the {lowered.endpoint} API"
    return (
        f"The service answered 429 on {what} although lrtui's budget had room: waiting {wait_s:.0f} s, then "
        f"at most {lowered.per_minute} calls a minute and {lowered.per_hour} an hour for the rest of this session."
    )


def held_notice(endpoint: str, asked_s: float, wait_s: float) -> str:
    """The notice for a Retry-After longer than lrtui holds work for."""
    return (
        f"The service asked to wait {asked_s:.0f} s before the next {endpoint} call; lrtui holds that work "
        f"for {wait_s:.0f} s at most, then tries again. To stop now: quit, and `lrtui resume` picks it up later."
    )


def lower_bound_s(n_jobs: int, duration_s: float, settings: BudgetSettings) -> float:
    """The shortest makespan the budgets allow for ``n_jobs`` actions lasting ``duration_s`` each."""
    if n_jobs <= 0:
        return 0.0
    rate = (math.ceil(n_jobs / settings.rate_calls) - 1) * settings.rate_window_s + duration_s
    sessions = math.ceil(n_jobs / settings.max_sessions) * duration_s
    return max(rate, sessions)
