"""Clocks and timestamp formatting.

The simulator reads time only through a ``clock`` callable returning epoch seconds (or an aware
datetime). :class:`ManualClock` is a frozen clock that moves only when told (UI snapshots, tests).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import overload

__all__ = ["EPOCH", "ManualClock", "SimClock", "iso7", "parse_iso"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ManualClock:
    """A clock that stands still until :meth:`advance` or :meth:`set` (thread-safe)."""

    def __init__(self, start: float | datetime = 1_780_000_000.0) -> None:
        self._lock = threading.Lock()
        self._t = _to_epoch(start)

    def __call__(self) -> float:
        with self._lock:
            return self._t

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._t += float(seconds)
            return self._t

    def set(self, t: float | datetime) -> None:
        with self._lock:
            self._t = _to_epoch(t)


def _to_epoch(t: float | datetime) -> float:
    if isinstance(t, datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=UTC)
        return t.timestamp()
    return float(t)


class SimClock:
    """Wall time from the configured callable, plus the ``time_scale`` for service durations."""

    def __init__(self, clock: Callable[[], float | datetime] | None, time_scale: float) -> None:
        self._clock = clock or time.time
        self.time_scale = float(time_scale)

    def now(self) -> float:
        return _to_epoch(self._clock())

    def scaled(self, service_seconds: float) -> float:
        """A service duration (e.g. 600 s script timeout) in simulator seconds."""
        return service_seconds * self.time_scale


@overload
def iso7(t: float) -> str: ...
@overload
def iso7(t: None) -> None: ...
def iso7(t: float | None) -> str | None:
    """Epoch seconds -> ``2024-06-02T08:00:00.1234567Z`` (7 fractional digits, like the service)."""
    if t is None:
        return None
    ticks = round(t * 10_000_000)
    secs, frac = divmod(ticks, 10_000_000)
    g = time.gmtime(secs)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%07dZ" % (g.tm_year, g.tm_mon, g.tm_mday, g.tm_hour, g.tm_min, g.tm_sec, frac)


def parse_iso(text: str) -> float:
    """ISO-8601 (``2018-08-01Z``, ``2024-06-01T08:00:00Z``, ``...T08:00:00.1234567+02:00``) -> epoch."""
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    # Python accepts at most 6 fractional digits
    if "." in s:
        head, _, rest = s.partition(".")
        digits = ""
        i = 0
        while i < len(rest) and rest[i].isdigit():
            digits += rest[i]
            i += 1
        s = head + ("." + (digits[:6].ljust(6, "0")) if digits else "") + rest[i:]
    if len(s) >= 10 and "T" not in s and " " not in s:
        date, tz = s[:10], s[10:]
        s = date + "T00:00:00" + tz
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()
