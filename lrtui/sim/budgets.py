"""Rolling-window call budgets (deterministic, on the simulator clock)."""

from __future__ import annotations

import math
from collections import deque

from .clock import SimClock
from .config import SimConfig

__all__ = ["BUDGET_KEYS", "QUOTA_KEY", "Budgets", "RollingWindow", "budget_key", "retry_after_header"]

#: the general budget each route counts against: one per API page, grouped as lrtui's engine groups them
#: (``lrtui.api.endpoints``): every machine lookup is ``machines``, every library call ``library``
BUDGET_KEYS = {
    "machines": "machines",
    "machines/$count": "machines",
    "findbyip": "machines",
    "findbytag": "machines",
    "machine": "machines",
    "machineactions": "machineactions",
    "machineaction": "machineaction",
    "resultlink": "resultlink",
    "cancel": "cancel",
    "libraryfiles": "library",
    "libraryfile": "library",
}
QUOTA_KEY = "Destination+TenantID+AppID"  # what the service's 429 text names as the throttling key


def budget_key(endpoint: str) -> str:
    """The general budget a route (``sim.state.calls_per_minute`` name) counts against; ``other`` if unknown."""
    return BUDGET_KEYS.get(endpoint, "other")


class RollingWindow:
    """At most ``limit`` calls in any ``window_s`` seconds."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = int(limit)
        self.window_s = float(window_s)
        self._calls: deque[float] = deque()

    def _trim(self, now: float) -> None:
        while self._calls and self._calls[0] <= now - self.window_s:
            self._calls.popleft()

    def retry_after(self, now: float) -> float | None:
        """None when one more call fits now, else the seconds until it will."""
        self._trim(now)
        if len(self._calls) < self.limit:
            return None
        if self.limit <= 0:
            return self.window_s
        return self._calls[-self.limit] + self.window_s - now

    def record(self, now: float) -> None:
        self._calls.append(now)

    def used(self, now: float) -> int:
        self._trim(now)
        return len(self._calls)


def retry_after_header(seconds: float) -> str:
    """Whole seconds, at least 1 (the header carries integers)."""
    return str(max(1, math.ceil(seconds - 1e-9)))


class Budgets:
    """The tenant's call budgets: one live response window (POST runliveresponse) and the general per-minute and
    per-hour windows: one pair per API (:func:`budget_key`), or one pair shared by all without
    ``general_per_endpoint``."""

    def __init__(self, config: SimConfig, clock: SimClock) -> None:
        self._config = config
        self._clock = clock
        self.lr_window = RollingWindow(config.rate_calls, self._window(config.rate_window_s))
        self._minute: dict[str, RollingWindow] = {}
        self._hour: dict[str, RollingWindow] = {}

    def _window(self, seconds: float) -> float:
        return self._clock.scaled(seconds) if self._config.scale_rate_window else seconds

    def general_windows(self, endpoint: str) -> tuple[RollingWindow, RollingWindow]:
        """(per-minute, per-hour) windows that ``endpoint`` counts against."""
        c = self._config
        k = budget_key(endpoint) if c.general_per_endpoint else "*"
        if k not in self._minute:
            self._minute[k] = RollingWindow(c.general_per_minute, self._window(60.0))
            self._hour[k] = RollingWindow(c.general_per_hour, self._window(3600.0))
        return self._minute[k], self._hour[k]
