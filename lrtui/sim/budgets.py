"""Rolling-window call budgets (deterministic, on the simulator clock)."""

from __future__ import annotations

import math
from collections import deque

__all__ = ["RollingWindow", "retry_after_header"]


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
