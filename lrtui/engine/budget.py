"""Rate and session budgets, as plain arithmetic over an injected clock.

Four limits are enforced together before a call is spent:

* ``runliveresponse`` calls per rolling window (default 10 per 60 s);
* live response sessions in use (default 25; a session counts until its action is final);
* one active live response action per machine;
* the general budget shared by every other endpoint (default 100 per minute and 1,500 per hour).

Nothing here sleeps or does I/O except :meth:`Budget.general_gate`, the awaitable the client calls before each
general call. Every timestamp is taken from ``clock`` (monotonic seconds), so tests can drive time by hand.

A slot is booked when a call is about to go and re-dated to the moment its answer arrived
(:meth:`Budget.confirm_call`), because the service counts the call when it *arrives*: counting from the later
instant keeps the rolling window safe whatever the network latency.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from lrtui.engine.jobs import BudgetSnapshot

RATE = "rate"  #: the runliveresponse budget
GENERAL = "general"  #: everything else


@dataclass(frozen=True, slots=True)
class BudgetSettings:
    rate_calls: int = 10
    rate_window_s: float = 60.0
    max_sessions: int = 25
    general_per_minute: int = 100
    general_per_hour: int = 1500
    bulk_confirm_threshold: int = 20
    #: length of the general "minute"; the hour is 60 of them (shrink both with a scaled simulator)
    general_window_s: float = 60.0
    #: share of the general budget (minute and hour) the poller may spend; the rest is for links and searches
    poll_share: float = 0.5
    poll_fast_s: float = 5.0  #: poll interval while an action runs on an online device
    poll_slow_s: float = 60.0  #: poll interval when every followed action is queued for an offline device
    poll_chunk: int = 40  #: action ids per list call
    retry_after_default_s: float = 60.0  #: back-off when a 429 carries no usable Retry-After
    reconcile_grace_s: float = 120.0  #: how long a just-POSTed action may stay invisible in the list

    @property
    def general_hour_s(self) -> float:
        return self.general_window_s * 60.0


class _Window:
    """Timestamps of calls in a rolling window of ``length`` seconds, at most ``limit`` of them."""

    __slots__ = ("length", "limit", "times")

    def __init__(self, limit: int, length: float) -> None:
        self.limit = limit
        self.length = length
        self.times: deque[float] = deque()

    def _trim(self, now: float) -> None:
        while self.times and self.times[0] <= now - self.length:
            self.times.popleft()

    def used(self, now: float) -> int:
        self._trim(now)
        return len(self.times)

    def used_at(self, t: float) -> int:
        """Calls still counted at a future instant ``t`` (does not forget anything)."""
        return sum(1 for x in self.times if x > t - self.length)

    def wait(self, now: float) -> float:
        """Seconds until one more call fits (0 when it fits now)."""
        self._trim(now)
        if len(self.times) < self.limit:
            return 0.0
        oldest = self.times[len(self.times) - self.limit]  # kept sorted
        return max(0.0, oldest + self.length - now)

    def book(self, at: float) -> None:
        self.times.append(at)
        if len(self.times) > 1 and self.times[-2] > at:
            self.times = deque(sorted(self.times))

    def redate(self, booked: float, at: float) -> None:
        """Move one booking at ``booked`` to the later instant ``at`` (kept sorted-ish: we re-sort)."""
        try:
            self.times.remove(booked)
        except ValueError:
            return
        self.times.append(max(booked, at))
        if len(self.times) > 1 and self.times[-2] > self.times[-1]:
            self.times = deque(sorted(self.times))


@dataclass(frozen=True, slots=True)
class Ticket:
    """A booked runliveresponse call: give it back to :meth:`Budget.confirm_call`."""

    job_id: str
    machine_id: str
    booked_at: float


class Budget:
    """The engine-wide budgets. Single event loop: callers never yield between a check and a booking."""

    def __init__(self, settings: BudgetSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.clock = clock
        self._rate = _Window(settings.rate_calls, settings.rate_window_s)
        self._minute = _Window(settings.general_per_minute, settings.general_window_s)
        self._hour = _Window(settings.general_per_hour, settings.general_hour_s)
        self._sessions: set[str] = set()  # job ids holding a session
        self._machines: dict[str, str] = {}  # machine id -> job id holding it
        self._backoff: dict[str, float] = {RATE: 0.0, GENERAL: 0.0}
        self._changed = asyncio.Event()
        self.unforeseen_429: int = 0

    # ------------------------------------------------------------ runliveresponse: rate + sessions + machine

    @property
    def sessions_used(self) -> int:
        return len(self._sessions)

    def machine_busy(self, machine_id: str) -> bool:
        return machine_id in self._machines

    def holds(self, job_id: str) -> bool:
        return job_id in self._sessions

    def submit_wait(self, now: float | None = None) -> float:
        """Seconds until a runliveresponse call could go, ignoring sessions (``inf`` is never returned)."""
        now = self.clock() if now is None else now
        return max(self._rate.wait(now), self._backoff[RATE] - now, 0.0)

    def can_submit(self, machine_id: str, now: float | None = None) -> bool:
        now = self.clock() if now is None else now
        return (
            self.submit_wait(now) == 0.0
            and len(self._sessions) < self.settings.max_sessions
            and machine_id not in self._machines
        )

    def reserve(self, job_id: str, machine_id: str, now: float | None = None) -> Ticket | None:
        """Book a call, a session and the machine for ``job_id``, all or nothing."""
        now = self.clock() if now is None else now
        if not self.can_submit(machine_id, now):
            return None
        self._rate.book(now)
        self._sessions.add(job_id)
        self._machines[machine_id] = job_id
        self._notify()
        return Ticket(job_id, machine_id, now)

    def confirm_call(self, ticket: Ticket, now: float | None = None) -> None:
        """The answer to the booked call arrived: count the call from now (the latest the service saw it)."""
        self._rate.redate(ticket.booked_at, self.clock() if now is None else now)

    def adopt(self, job_id: str, machine_id: str) -> None:
        """Hold a session and the machine for an action that already exists (resume), without a call."""
        self._sessions.add(job_id)
        self._machines.setdefault(machine_id, job_id)
        self._notify()

    def release(self, job_id: str, machine_id: str | None = None) -> None:
        """The job's action is final (or was never created): free its session and its machine."""
        self._sessions.discard(job_id)
        if machine_id is not None and self._machines.get(machine_id) == job_id:
            del self._machines[machine_id]
        else:
            for m, j in list(self._machines.items()):
                if j == job_id:
                    del self._machines[m]
        self._notify()

    def next_slot_in(self, now: float | None = None) -> float:
        """Seconds until the next runliveresponse slot opens (rate window and back-off)."""
        return self.submit_wait(now)

    # ------------------------------------------------------------ general budget

    def general_wait(self, now: float | None = None) -> float:
        now = self.clock() if now is None else now
        return max(self._minute.wait(now), self._hour.wait(now), self._backoff[GENERAL] - now, 0.0)

    def try_general(self, now: float | None = None) -> bool:
        now = self.clock() if now is None else now
        if self.general_wait(now) > 0:
            return False
        self._minute.book(now)
        self._hour.book(now)
        return True

    async def general_gate(self) -> None:
        """Awaited by the client before every general call: returns once a slot is booked."""
        # a slot opens as time passes (no event to wait for): sleep exactly until then, then try again
        while not self.try_general():  # noqa: ASYNC110
            await asyncio.sleep(max(self.general_wait(), 0.001))

    def general_used(self, now: float | None = None) -> tuple[int, int]:
        now = self.clock() if now is None else now
        return self._minute.used(now), self._hour.used(now)

    # ------------------------------------------------------------ 429s nobody foresaw

    def back_off(self, kind: str, retry_after: float | None, now: float | None = None) -> float:
        """Stop every call of ``kind`` until ``retry_after`` seconds from now. Returns the wait applied."""
        now = self.clock() if now is None else now
        wait = retry_after if retry_after is not None and retry_after >= 0 else self.settings.retry_after_default_s
        self._backoff[kind] = max(self._backoff[kind], now + wait)
        self.unforeseen_429 += 1
        self._notify()
        return wait

    def backoff_left(self, now: float | None = None) -> float:
        now = self.clock() if now is None else now
        return max(0.0, max(self._backoff.values()) - now)

    # ------------------------------------------------------------ observation

    def rate_used(self, now: float | None = None) -> int:
        return self._rate.used(self.clock() if now is None else now)

    def drain_estimate(self, n_jobs: int, now: float | None = None) -> float:
        """Seconds until ``n_jobs`` more calls could be spent by the rate window alone."""
        if n_jobs <= 0:
            return 0.0
        now = self.clock() if now is None else now
        first = self.submit_wait(now)
        free_now = max(0, self.settings.rate_calls - self._rate.used_at(now + first))
        rest = n_jobs - max(1, min(free_now, n_jobs))
        waves = math.ceil(rest / self.settings.rate_calls) if rest > 0 else 0
        return first + waves * self.settings.rate_window_s

    def snapshot(
        self, *, queued: int = 0, active: int = 0, paused: bool = False, now: float | None = None
    ) -> BudgetSnapshot:
        """Everything the UI shows about the budgets, at one instant."""
        now = self.clock() if now is None else now
        s = self.settings
        gm, gh = self.general_used(now)
        return BudgetSnapshot(
            calls_used=self.rate_used(now),
            calls_limit=s.rate_calls,
            window_s=s.rate_window_s,
            next_slot_in_s=self.next_slot_in(now),
            sessions_used=self.sessions_used,
            sessions_limit=s.max_sessions,
            queued=queued,
            active=active,
            eta_drain_s=self.drain_estimate(queued, now),
            general_used_minute=gm,
            general_limit_minute=s.general_per_minute,
            general_used_hour=gh,
            general_limit_hour=s.general_per_hour,
            backoff_until_s=self.backoff_left(now),
            paused=paused,
        )

    async def changed(self, timeout: float) -> None:
        """Wait until a booking is released (or ``timeout`` seconds pass)."""
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            pass
        self._changed.clear()

    def _notify(self) -> None:
        self._changed.set()


def lower_bound_s(n_jobs: int, duration_s: float, settings: BudgetSettings) -> float:
    """The shortest makespan the budgets allow for ``n_jobs`` actions lasting ``duration_s`` each."""
    if n_jobs <= 0:
        return 0.0
    rate = (math.ceil(n_jobs / settings.rate_calls) - 1) * settings.rate_window_s + duration_s
    sessions = math.ceil(n_jobs / settings.max_sessions) * duration_s
    return max(rate, sessions)
