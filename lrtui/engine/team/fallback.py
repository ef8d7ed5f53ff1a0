"""``FallbackShare``: what a process may use on its own while the team's store is unavailable, and when to
try the store again.

The rule: each limit times ``share`` (half by default), rounded down but never below 1, so two processes that
both fall back stay within the app registration's budgets. Reconnecting backs off exponentially from
``first_retry_s`` to ``max_retry_s``; one success resets it."""

from __future__ import annotations

import math

from lrtui.engine.team.models import TeamLimits


class FallbackShare:
    def __init__(
        self, limits: TeamLimits, *, share: float = 0.5, first_retry_s: float = 1.0, max_retry_s: float = 30.0
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError("the fallback share must be more than 0 and at most 1 (e.g. 0.5 for half)")
        if not 0 < first_retry_s <= max_retry_s:
            raise ValueError("the reconnect delays must be more than 0, the first at most the longest")
        self.share = share
        self._limits = limits
        self._first = first_retry_s
        self._max = max_retry_s
        self._failures = 0
        self._next_try = -math.inf

    def _part(self, n: int) -> int:
        return max(1, math.floor(n * self.share))

    def local_limits(self) -> TeamLimits:
        """The limits this process keeps to on its own (the windows' spans unchanged)."""
        lim = self._limits
        return TeamLimits(
            rate_calls=self._part(lim.rate_calls),
            rate_window_s=lim.rate_window_s,
            max_sessions=self._part(lim.max_sessions),
            general_per_minute=self._part(lim.general_per_minute),
            general_per_hour=self._part(lim.general_per_hour),
            minute_s=lim.minute_s,
            hour_s=lim.hour_s,
        )

    @property
    def degraded(self) -> bool:
        """True after a failure until the next success."""
        return self._failures > 0

    def on_failure(self, now: float) -> float:
        """The store failed at ``now`` (monotonic seconds): returns the delay before the next attempt."""
        delay = min(self._max, self._first * 2.0**self._failures)
        self._failures += 1
        self._next_try = now + delay
        return delay

    def on_success(self) -> None:
        self._failures = 0
        self._next_try = -math.inf

    def should_try(self, now: float) -> bool:
        """Whether to try the store at ``now`` (always while it works; after a failure, once the delay passed)."""
        return now >= self._next_try
