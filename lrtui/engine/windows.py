"""Rolling windows of calls (the budgets' arithmetic) and what one holds at an instant, for planning.

A ``Window`` counts calls in a rolling window of ``length`` seconds, at most ``limit`` of them. Calls in flight
(sent, no answer yet) count whatever the time until :meth:`Window.confirm` dates them at their answer.
``GeneralWindows`` is one API's minute and hour windows with its back-off; ``Caps`` are limits a budget keeps to
below its settings for a while (the team's store unreachable).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass


class Window:
    """Calls in a rolling window of ``length`` seconds, at most ``limit`` of them. ``pending`` calls are in
    flight: they count whatever the time until :meth:`confirm` dates them."""

    __slots__ = ("length", "limit", "pending", "times")

    def __init__(self, limit: int, length: float) -> None:
        self.limit = limit
        self.length = length
        self.times: deque[float] = deque()  # kept sorted
        self.pending = 0

    def _trim(self, now: float) -> None:
        while self.times and self.times[0] <= now - self.length:
            self.times.popleft()

    def used(self, now: float) -> int:
        self._trim(now)
        return len(self.times) + self.pending

    def used_at(self, t: float) -> int:
        """Calls still counted at a future instant ``t`` (does not forget anything)."""
        return sum(1 for x in self.times if x > t - self.length) + self.pending

    def wait(self, now: float) -> float:
        """Seconds until one more call fits (0 when it fits now; a window's length while only answers to calls
        in flight can free a slot)."""
        self._trim(now)
        over = len(self.times) + self.pending - self.limit  # this many must leave first, then one more
        if over < 0:
            return 0.0
        if over >= len(self.times):
            return self.length
        return max(0.0, self.times[over] + self.length - now)

    def expiries(self, now: float) -> list[float]:
        """Seconds from ``now`` until each dated call leaves the window (sorted)."""
        self._trim(now)
        return [t + self.length - now for t in self.times]

    def book(self, at: float) -> None:
        self.times.append(at)
        if len(self.times) > 1 and self.times[-2] > at:
            self.times = deque(sorted(self.times))

    def confirm(self, at: float) -> None:
        """A call in flight got its answer at ``at``."""
        self.pending = max(0, self.pending - 1)
        self.book(at)


#: an unforeseen 429 multiplies the API's limits by this (at least 1 call stays allowed)
LOWER_FACTOR = 0.75


@dataclass(frozen=True, slots=True)
class Caps:
    """Limits a process keeps to below its settings for a while (the team's store unreachable: a share of each)."""

    rate_calls: int
    max_sessions: int
    general_per_minute: int
    general_per_hour: int


class GeneralWindows:
    """One API's (or the shared) general budget: a minute and an hour window, and its back-off."""

    __slots__ = ("backoff", "hour", "lowered", "minute", "own")

    def __init__(self, per_minute: int, per_hour: int, minute_s: float, hour_s: float, caps: Caps | None) -> None:
        self.own = (per_minute, per_hour)  # the API's own limits (lowered after a 429)
        self.minute = Window(per_minute, minute_s)
        self.hour = Window(per_hour, hour_s)
        self.backoff = 0.0
        self.lowered = False
        self.apply(caps)

    def apply(self, caps: Caps | None) -> None:
        m, h = self.own
        if caps is not None:
            m, h = min(m, caps.general_per_minute), min(h, caps.general_per_hour)
        self.minute.limit, self.hour.limit = m, h

    def wait(self, now: float) -> float:
        return max(self.minute.wait(now), self.hour.wait(now), self.backoff - now, 0.0)

    def lower(self, caps: Caps | None) -> None:
        self.own = (
            max(1, math.floor(self.minute.limit * LOWER_FACTOR)),
            max(1, math.floor(self.hour.limit * LOWER_FACTOR)),
        )
        self.lowered = True
        self.apply(caps)


@dataclass(frozen=True, slots=True)
class WindowView:
    """What one window holds at an instant: the limit, its length, calls counted, and when each dated one leaves."""

    limit: int
    length: float
    used: int
    expiries: tuple[float, ...] = ()  #: seconds from now, sorted


def view(w: Window, now: float) -> WindowView:
    return WindowView(w.limit, w.length, w.used(now), tuple(w.expiries(now)))


def restored_times(
    rows: Iterable[tuple[str, float, float | None]], wall_now: float, now: float, window_s: float
) -> list[float]:
    """Journalled submissions ``(job id, sent, answered or None)`` in wall seconds, as instants on the budget's
    clock (``now`` is ``wall_now`` there) for those still in the window. One whose answer never came was in
    flight when the process stopped: it counts from now."""
    out: list[float] = []
    for _job, _sent, answered in rows:
        at = now if answered is None else now - max(0.0, wall_now - answered)
        if at > now - window_s:
            out.append(at)
    return out
