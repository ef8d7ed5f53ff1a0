"""Rate and session budgets, as plain arithmetic over an injected clock.

Four limits are enforced together before a call is spent:

* ``runliveresponse`` calls per rolling window (default 10 per 60 s);
* live response sessions in use (default 25; a session counts until its action is final);
* one active live response action per machine;
* the general budgets: each API ("machines", "machineactions", "machineaction", "resultlink", "library",
  "cancel") has its own 100 per minute and 1,500 per hour (mde-api.md 11); ``general_budget = "shared"`` keeps
  one budget for all of them (the conservative mode).

Nothing here sleeps or does I/O except :meth:`Budget.general_gate`, the awaitable the client calls with the
endpoint key before each general call. Every timestamp is taken from ``clock`` (monotonic seconds), so tests
can drive time by hand.

A runliveresponse slot is booked when the call is about to go. Until its answer arrives the call is *in flight*:
the service may receive it at any moment, so it counts in the window whatever the time. When the answer arrives
(:meth:`Budget.confirm_call`) it is dated at that instant, the latest the service can have counted it, and
leaves the window one window later.

An unforeseen 429 on an API (lrtui's budget had room, the service disagreed) lowers that API's budget for the
rest of the process (:meth:`Budget.endpoint_429`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from lrtui.api.errors import ConfigError
from lrtui.engine.jobs import BudgetSnapshot, EndpointBudget
from lrtui.engine.waits import wait_event
from lrtui.engine.windows import Caps, GeneralWindows, Window, WindowView, view

RATE = "rate"  #: the runliveresponse budget
ENDPOINTS = ("machines", "machineactions", "machineaction", "resultlink", "library", "cancel")
SHARED = "*"  #: the one general budget of ``general_budget = "shared"``
GeneralBudgetMode = Literal["per-endpoint", "shared"]
GENERAL_BUDGET_MODES: tuple[str, ...] = get_args(GeneralBudgetMode)


@dataclass(frozen=True, slots=True)
class BudgetSettings:
    rate_calls: int = 10
    rate_window_s: float = 60.0
    max_sessions: int = 25
    general_per_minute: int = 100  #: per API (or for all of them with ``general_budget = "shared"``)
    general_per_hour: int = 1500
    bulk_confirm_threshold: int = 20
    #: length of the general "minute"; the hour is 60 of them (shrink both with a scaled simulator)
    general_window_s: float = 60.0
    #: share of the machineactions budget (minute and hour) the poller may spend; the rest is for reconciling
    poll_share: float = 0.5
    poll_fast_s: float = 1.0  #: the shortest poll interval (the windows' budget decides how much longer)
    poll_slow_s: float = 60.0  #: poll interval when every followed action is queued for an offline device
    poll_chunk: int = 40  #: action ids per list call
    retry_after_default_s: float = 60.0  #: back-off when a 429 carries no usable Retry-After
    #: the longest back-off lrtui holds work for; a longer Retry-After is clamped (and said): resume picks up later
    retry_after_limit_s: float = 3600.0
    reconcile_grace_s: float = 120.0  #: how long a just-POSTed action may stay invisible in the list
    general_budget: GeneralBudgetMode = "per-endpoint"
    #: how long an action is expected to last before any has finished (the poller then learns it)
    expected_action_s: float = 120.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "general_budget":
                if value not in GENERAL_BUDGET_MODES:
                    raise ConfigError(
                        f"general_budget={value!r} is not a budget mode.",
                        hint='Set general_budget to "per-endpoint" (each API its own budget) or "shared".',
                    )
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"The budget value {f.name}={value!r} is not a number.", hint=_HINT)
            elif f.type == "int" and (not isinstance(value, int) or value < 1):
                raise ConfigError(
                    f"The budget value {f.name}={value!r} must be a whole number of at least 1.", hint=_HINT
                )
            elif not math.isfinite(value) or value <= 0:
                raise ConfigError(f"The budget value {f.name}={value!r} must be a finite positive number.", hint=_HINT)

    @property
    def general_hour_s(self) -> float:
        return self.general_window_s * 60.0


_HINT = "Check the profile's [budgets] table and the LRTUI_* variables; unset a value to use its default."


@dataclass(frozen=True, slots=True)
class Lowered:
    """An API's budget after an unforeseen 429 lowered it."""

    endpoint: str
    per_minute: int
    per_hour: int


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
        self._rate = Window(settings.rate_calls, settings.rate_window_s)
        self._open: set[Ticket] = set()  # booked calls whose answer has not arrived
        self._general: dict[str, GeneralWindows] = {}
        self._sessions: set[str] = set()  # job ids holding a session
        self._machines: dict[str, str] = {}  # machine id -> job id holding it
        self._rate_backoff = 0.0
        self._caps: Caps | None = None
        self._changed = asyncio.Event()
        self.unforeseen_429: int = 0

    # ------------------------------------------------------------ runliveresponse: rate + sessions + machine

    @property
    def sessions_used(self) -> int:
        return len(self._sessions)

    @property
    def max_sessions(self) -> int:
        """Sessions this process may hold now (its settings', or less while capped)."""
        cap = self._caps.max_sessions if self._caps else self.settings.max_sessions
        return min(self.settings.max_sessions, cap)

    @property
    def rate_calls(self) -> int:
        """runliveresponse calls this process may make per window now (its settings', or less while capped)."""
        return self._rate.limit

    def apply_caps(self, caps: Caps | None) -> None:
        """Keep to ``caps`` (each limit at most its setting) until called again; ``None`` restores the settings."""
        self._caps = caps
        self._rate.limit = min(self.settings.rate_calls, caps.rate_calls) if caps else self.settings.rate_calls
        for g in self._general.values():
            g.apply(caps)
        self._notify()

    def machine_busy(self, machine_id: str) -> bool:
        return machine_id in self._machines

    def holds(self, job_id: str) -> bool:
        return job_id in self._sessions

    def submit_wait(self, now: float | None = None) -> float:
        """Seconds until a runliveresponse call could go, ignoring sessions (``inf`` is never returned)."""
        now = self.clock() if now is None else now
        return max(self._rate.wait(now), self._rate_backoff - now, 0.0)

    def can_submit(self, machine_id: str, now: float | None = None) -> bool:
        now = self.clock() if now is None else now
        return (
            self.submit_wait(now) == 0.0
            and len(self._sessions) < self.max_sessions
            and machine_id not in self._machines
        )

    def reserve(self, job_id: str, machine_id: str, now: float | None = None) -> Ticket | None:
        """Book a call (in flight until confirmed), a session and the machine for ``job_id``, all or nothing."""
        now = self.clock() if now is None else now
        if not self.can_submit(machine_id, now):
            return None
        self._rate.pending += 1
        ticket = Ticket(job_id, machine_id, now)
        self._open.add(ticket)
        self._sessions.add(job_id)
        self._machines[machine_id] = job_id
        self._notify()
        return ticket

    def confirm_call(self, ticket: Ticket, now: float | None = None) -> None:
        """The answer to the booked call arrived: it counts from now (the latest the service saw it)."""
        if ticket not in self._open:
            return
        self._open.discard(ticket)
        self._rate.confirm(max(ticket.booked_at, self.clock() if now is None else now))
        self._notify()

    def unbook(self, ticket: Ticket) -> None:
        """A booked call that was never sent (the team said wait or busy): its slot, session and machine return."""
        if ticket in self._open:
            self._open.discard(ticket)
            self._rate.pending = max(0, self._rate.pending - 1)
        self.release(ticket.job_id, ticket.machine_id)

    def restore_calls(self, at: Iterable[float]) -> int:
        """Calls a previous process sent (from the journal), dated on this clock: they count as if made here."""
        n = 0
        for t in at:
            self._rate.book(t)
            n += 1
        if n:
            self._notify()
        return n

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

    # ------------------------------------------------------------ general budgets (one per API, or shared)

    def _bucket(self, endpoint: str) -> GeneralWindows:
        key = SHARED if self.settings.general_budget == "shared" else endpoint
        g = self._general.get(key)
        if g is None:
            s = self.settings
            g = self._general[key] = GeneralWindows(
                s.general_per_minute, s.general_per_hour, s.general_window_s, s.general_hour_s, self._caps
            )
        return g

    def general_wait(self, endpoint: str, now: float | None = None) -> float:
        """Seconds until one more call to ``endpoint`` fits its budget (0 now)."""
        return self._bucket(endpoint).wait(self.clock() if now is None else now)

    def try_general(self, endpoint: str, now: float | None = None) -> bool:
        now = self.clock() if now is None else now
        g = self._bucket(endpoint)
        if g.wait(now) > 0:
            return False
        g.minute.book(now)
        g.hour.book(now)
        return True

    async def general_gate(self, endpoint: str) -> None:
        """Awaited by the client before every general call to ``endpoint``: returns once a slot is booked."""
        # a slot opens as time passes (no event to wait for): sleep exactly until then, then try again
        while not self.try_general(endpoint):  # noqa: ASYNC110
            await asyncio.sleep(max(self.general_wait(endpoint), 0.001))

    def general_used(self, endpoint: str, now: float | None = None) -> tuple[int, int]:
        now = self.clock() if now is None else now
        g = self._bucket(endpoint)
        return g.minute.used(now), g.hour.used(now)

    def general_view(self, endpoint: str, now: float | None = None) -> tuple[WindowView, WindowView]:
        """(minute, hour) of ``endpoint``'s budget as they stand (for the poller's interval)."""
        now = self.clock() if now is None else now
        g = self._bucket(endpoint)
        return view(g.minute, now), view(g.hour, now)

    # ------------------------------------------------------------ 429s nobody foresaw

    def _wait_for(self, retry_after: float | None) -> float:
        ok = retry_after is not None and math.isfinite(retry_after) and retry_after >= 0
        wait = retry_after if ok and retry_after is not None else self.settings.retry_after_default_s
        return min(wait, self.settings.retry_after_limit_s)

    def back_off(self, kind: str, retry_after: float | None, now: float | None = None) -> float:
        """A 429 on ``kind`` (``RATE``, or an endpoint key): hold its calls ``retry_after`` seconds from now."""
        if kind != RATE:
            return self.endpoint_429(kind, retry_after, now)[0]
        now = self.clock() if now is None else now
        wait = self._wait_for(retry_after)
        self._rate_backoff = max(self._rate_backoff, now + wait)
        self.unforeseen_429 += 1
        self._notify()
        return wait

    def endpoint_429(
        self, endpoint: str, retry_after: float | None, now: float | None = None
    ) -> tuple[float, Lowered | None]:
        """An unforeseen 429 on ``endpoint``: hold its calls for the Retry-After and lower its budget for the rest
        of the process (once per back-off: calls already in flight when the first 429 came are not counted twice).
        Returns the wait applied and the lowered limits (None when this 429 lowered nothing)."""
        now = self.clock() if now is None else now
        g = self._bucket(endpoint)
        wait = self._wait_for(retry_after)
        lowered = None
        if g.backoff <= now:
            g.lower(self._caps)
            lowered = Lowered(
                SHARED if self.settings.general_budget == "shared" else endpoint, g.minute.limit, g.hour.limit
            )
        g.backoff = max(g.backoff, now + wait)
        self.unforeseen_429 += 1
        self._notify()
        return wait, lowered

    def backoff_left(self, now: float | None = None) -> float:
        now = self.clock() if now is None else now
        ends = [self._rate_backoff] + [g.backoff for g in self._general.values()]
        return max(0.0, max(ends) - now)

    # ------------------------------------------------------------ observation

    def rate_used(self, now: float | None = None) -> int:
        return self._rate.used(self.clock() if now is None else now)

    def drain_estimate(self, n_jobs: int, now: float | None = None) -> float:
        """Seconds until ``n_jobs`` more calls could be spent by the rate window alone."""
        if n_jobs <= 0:
            return 0.0
        now = self.clock() if now is None else now
        first = self.submit_wait(now)
        free_now = max(0, self.rate_calls - self._rate.used_at(now + first))
        rest = n_jobs - max(1, min(free_now, n_jobs))
        waves = math.ceil(rest / self.rate_calls) if rest > 0 else 0
        return first + waves * self.settings.rate_window_s

    def endpoint_budgets(self, now: float | None = None) -> tuple[EndpointBudget, ...]:
        """Every general budget in use (shared: the one), in ``ENDPOINTS`` order."""
        now = self.clock() if now is None else now
        order = {k: i for i, k in enumerate((SHARED, *ENDPOINTS))}
        keys = sorted(self._general, key=lambda k: (order.get(k, len(order)), k))
        out = []
        for k in keys:
            g = self._general[k]
            out.append(EndpointBudget(k, g.minute.used(now), g.minute.limit, g.hour.used(now), g.hour.limit, g.lowered))
        return tuple(out)

    def snapshot(
        self, *, queued: int = 0, active: int = 0, paused: bool = False, now: float | None = None
    ) -> BudgetSnapshot:
        """Everything the UI shows about the budgets, at one instant. The ``general_*`` figures are those of the
        fullest API (the one that will bind first); ``endpoints`` has every API's own."""
        now = self.clock() if now is None else now
        s = self.settings
        eps = self.endpoint_budgets(now)
        top = max(eps, key=lambda e: max(e.used_minute / e.limit_minute, e.used_hour / e.limit_hour), default=None)
        return BudgetSnapshot(
            calls_used=self.rate_used(now),
            calls_limit=self.rate_calls,
            window_s=s.rate_window_s,
            next_slot_in_s=self.next_slot_in(now),
            sessions_used=self.sessions_used,
            sessions_limit=self.max_sessions,
            queued=queued,
            active=active,
            eta_drain_s=self.drain_estimate(queued, now),
            general_used_minute=top.used_minute if top else 0,
            general_limit_minute=top.limit_minute if top else s.general_per_minute,
            general_used_hour=top.used_hour if top else 0,
            general_limit_hour=top.limit_hour if top else s.general_per_hour,
            backoff_until_s=self.backoff_left(now),
            paused=paused,
            general_endpoint=top.endpoint if top else "",
            endpoints=eps,
        )

    async def changed(self, timeout: float) -> None:
        """Wait until a booking is released (or ``timeout`` seconds pass)."""
        await wait_event(self._changed, timeout)
        self._changed.clear()

    def _notify(self) -> None:
        self._changed.set()
