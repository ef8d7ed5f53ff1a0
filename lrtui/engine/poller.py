"""Following every submitted action with one list call per cycle, at the pace the windows allow.

``GET /api/machineactions?$filter=id in (...)`` with up to ``poll_chunk`` ids per call: with the default 25
sessions that is one call per cycle whatever the number of actions, so calls per minute do not grow with the
number of sessions.

The interval is derived from what the machineactions budget's minute and hour windows actually have left and
how long the work is expected to last (:func:`poll_interval`): a short batch polls every second or two, a long
one settles to the rate the hour sustains, and what is left of the hour is spread over the work so it is never
exhausted before the work is done. When every followed action is queued for an offline device the poller slows
to ``poll_slow_s``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lrtui.api import odata
from lrtui.api.errors import LrtuiError, NotFound, ODataError, RateLimited
from lrtui.engine.budget import Budget
from lrtui.engine.waits import wait_event
from lrtui.engine.windows import WindowView

if TYPE_CHECKING:
    from lrtui.api.client import MdeClient
    from lrtui.api.models import MachineAction

log = logging.getLogger(__name__)


#: how followed ids are put into the list call's $filter. ``in`` is what the brief asks for but is UNCONFIRMED
#: on the service; when it answers 400 ODataError the poller falls back to ``or`` of ``eq``, then to one GET per
#: action (still inside the general budget, at a longer interval).
FILTER_MODES = ("in", "or", "get")


def ids_filter(ids: list[str], mode: str = "in") -> str:
    if mode == "or":
        return odata.or_(*(odata.eq("id", i) for i in ids))
    return odata.in_("id", ids)


@dataclass(slots=True)
class Followed:
    action_id: str
    online: bool
    running: bool = False
    since: float = 0.0
    last_seen: float | None = None


def chunks(ids: list[str], size: int) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), max(1, size))]


#: the shortest horizon the hour's budget is spread over, as a share of the hour: even a batch expected to end
#: soon keeps budget in hand should it last longer
HORIZON_MIN_SHARE = 0.25
#: an action running longer than expected is assumed to need at least this share of the expected time more
OVERRUN_SHARE = 0.25


def _rooms(w: WindowView, limit: int, span: float) -> list[tuple[float, int]]:
    """(instant c, calls that may still be made by c) at the right end of each step of the window up to ``span``."""
    left = limit - w.used
    out: list[tuple[float, int]] = []
    gone = 0
    margin = w.length * 1e-9  # an old call is gone just after its expiry, not on it (where rounding decides)
    for expiry in w.expiries:
        e = expiry + margin
        if e >= span:
            break
        if e > 0:
            out.append((e, left + gone))
        gone += 1
    out.append((span, left + gone))
    return out


def affordable_interval(n_calls: int, w: WindowView, limit: int, horizon_s: float) -> float:
    """The shortest interval at which ``n_calls`` every interval, from now over ``horizon_s`` seconds, keep the
    window ``w`` at or under ``limit`` (its old calls leave at their expiries). When not even a steady pace fits,
    the time until one cycle fits (the poller recomputes after each cycle)."""
    n = max(1, n_calls)
    span = min(horizon_s, w.length)
    steady = 0.0
    if horizon_s > w.length:  # windows holding only new calls: at most ceil(length / I) cycles of n in one
        q = limit // n
        steady = w.length / q if q >= 1 else w.length
    rooms = _rooms(w, limit, span)
    needs = [n * c / room if room > 0 else math.inf for c, room in rooms]
    suffix = list(needs)
    for k in range(len(suffix) - 2, -1, -1):
        suffix[k] = max(suffix[k], suffix[k + 1])
    prev = 0.0
    for (c, _), need in zip(rooms, suffix, strict=True):
        interval = max(need, math.nextafter(prev, math.inf) if prev > 0 else 0.0)
        if interval <= c * (1 + 1e-12):  # the steady pace fits (the first call of this pace falls after ``prev``)
            return max(interval, steady)
        prev = c
    # not even one cycle fits within the span: wait until enough old calls have left for one, then look again
    missing = n - (limit - w.used)
    if missing <= 0:
        return steady  # one cycle fits now
    fits = w.expiries[missing - 1] if missing <= len(w.expiries) else w.length
    fits += w.length * 1e-9  # just after the old call has left (not on the boundary, where rounding decides)
    return max(fits, steady)


def poll_interval(n_calls: int, windows: tuple[WindowView, ...], *, horizon_s: float, floor_s: float) -> float:
    """Seconds until the next cycle: the longest of what each window affords ``n_calls`` a cycle over
    ``horizon_s`` seconds of expected work, and ``floor_s``. The poller passes the API's minute and hour (every
    call counted, the whole limit) and its own calls' minute and hour (limited to its share)."""
    need = floor_s
    for w in windows:
        need = max(need, affordable_interval(n_calls, w, w.limit, horizon_s))
    return need


def own_view(times: Iterable[float], now: float, limit: int, length: float) -> WindowView:
    """The poller's own calls (``times``) as a window of ``length`` seconds limited to ``limit``."""
    live = sorted(t + length - now for t in times if t > now - length)
    return WindowView(limit, length, len(live), tuple(live))


def expected_left_s(ages: list[float], typical_s: float, queued: int, max_sessions: int, drain_s: float) -> float:
    """How long the followed and queued work is expected to last: each followed action its typical duration
    minus its age (an overrunning one a quarter more), then the queued ones in waves of ``max_sessions``."""
    running = max((max(typical_s - a, typical_s * OVERRUN_SHARE) for a in ages), default=0.0)
    if queued <= 0:
        return running
    waves = math.ceil(queued / max_sessions)
    return max(running + waves * typical_s, drain_s + typical_s)


OnAction = Callable[["MachineAction"], Awaitable[None]]


class Poller:
    def __init__(
        self,
        client: MdeClient,
        budget: Budget,
        on_action: OnAction,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_missing: Callable[[str], None] | None = None,
        queued: Callable[[], int] | None = None,
    ) -> None:
        self.client = client
        self.budget = budget
        self.settings = budget.settings
        self.on_action = on_action
        self.on_missing = on_missing  #: an action the list has not shown for ``reconcile_grace_s``
        self.clock = clock
        self.followed: dict[str, Followed] = {}
        self._wake = asyncio.Event()
        self.cycles = 0
        self.calls = 0
        self._stopping = False
        self._slow = False  #: the current wait is the slow (all offline) one
        self.mode = "in"  #: see FILTER_MODES
        self.queued = queued  #: jobs waiting to be submitted (the work still to come)
        self.typical_s = self.settings.expected_action_s  #: learnt from the actions seen to end (online ones)
        self._ended = 0
        self._own: deque[float] = deque()  #: when the poller's own calls went (the last hour of them)

    def follow(self, action_id: str, *, online: bool = True) -> None:
        if action_id not in self.followed:
            self.followed[action_id] = Followed(action_id, online, since=self.clock())
            if len(self.followed) == 1 or (online and self._slow):
                self._wake.set()  # the loop sleeps long (nothing followed, or all offline): start a cycle now

    def unfollow(self, action_id: str) -> None:
        self.followed.pop(action_id, None)

    def poll_now(self) -> None:
        self._wake.set()

    async def poll_once(self) -> list[MachineAction]:
        """One cycle: a list call per chunk of followed ids; every action seen goes to ``on_action``."""
        ids = sorted(self.followed)
        seen: list[MachineAction] = []
        for chunk in chunks(ids, self.chunk_size()):
            try:
                spent = len(chunk) if self.mode == "get" else 1
                self.calls += spent
                self._spent(spent)
                actions = await self._fetch(chunk)
            except ODataError as e:
                if self.mode == "get":
                    raise
                self.mode = FILTER_MODES[FILTER_MODES.index(self.mode) + 1]
                log.warning("the service refused the poll filter (%s); polling with %r from now on", e.code, self.mode)
                break
            except RateLimited:
                break  # the engine saw the 429 in the request log: the endpoint backs off and its budget is lowered
            except LrtuiError as e:
                log.warning("poll failed: %s", e.user_message())
                break
            now = self.clock()
            for a in actions:
                f = self.followed.get(a.id)
                if f is not None:
                    f.last_seen = now
                    f.running = a.status == "InProgress"
                    if a.is_final and (f.online or f.running):
                        self._learn(now - f.since)
                seen.append(a)
                await self.on_action(a)
        self.cycles += 1
        self._check_missing()
        return seen

    def _check_missing(self) -> None:
        """A just-created action may be invisible for a while; one never listed is looked up on its own."""
        if self.on_missing is None:
            return
        now = self.clock()
        for f in list(self.followed.values()):
            ref = f.last_seen if f.last_seen is not None else f.since
            if now - ref > self.settings.reconcile_grace_s:
                f.since, f.last_seen = now, None
                self.on_missing(f.action_id)

    def chunk_size(self) -> int:
        # an or-chain makes long URLs: keep it shorter than an in-list
        return self.settings.poll_chunk if self.mode == "in" else max(1, min(self.settings.poll_chunk, 15))

    async def _fetch(self, chunk: list[str]) -> list[MachineAction]:
        if self.mode != "get":
            return await self.client.actions.list(filter=ids_filter(chunk, self.mode), top=len(chunk))
        out: list[MachineAction] = []
        for action_id in chunk:
            try:
                out.append(await self.client.actions.get(action_id))
            except NotFound:
                continue  # not visible yet (or gone): the missing-action check decides
        return out

    def _learn(self, duration_s: float) -> None:
        """One more action seen to end: the typical duration is the running mean (the prior counts once)."""
        self._ended += 1
        self.typical_s += (duration_s - self.typical_s) / (self._ended + 1)

    def _spent(self, n: int) -> None:
        now = self.clock()
        self._own.extend([now] * n)
        while self._own and self._own[0] <= now - self.settings.general_hour_s:
            self._own.popleft()

    def windows(self) -> tuple[WindowView, ...]:
        """The API's minute and hour (all its calls, its whole limits) and the poller's own (its share)."""
        minute, hour = self.budget.general_view(self.endpoint())
        share, now = min(1.0, self.settings.poll_share), self.clock()
        mine = tuple(own_view(self._own, now, max(1, math.floor(w.limit * share)), w.length) for w in (minute, hour))
        return minute, hour, *mine

    def endpoint(self) -> str:
        """The API budget the cycle spends: the list, or one action per GET in the last fallback mode."""
        return "machineaction" if self.mode == "get" else "machineactions"

    def work_left_s(self) -> float:
        """How long the followed and queued work is expected to last (see :func:`expected_left_s`)."""
        now = self.clock()
        ages = [now - f.since for f in self.followed.values() if f.online or f.running]
        queued = self.queued() if self.queued is not None else 0
        drain = self.budget.drain_estimate(queued)
        return expected_left_s(ages, self.typical_s, queued, self.settings.max_sessions, drain)

    def interval(self) -> float:
        followed = list(self.followed.values())
        if not followed:
            return self.settings.poll_slow_s
        per_call = 1 if self.mode == "get" else max(1, self.chunk_size())
        n_calls = math.ceil(len(followed) / per_call)
        s = self.settings
        horizon = max(self.work_left_s(), s.general_hour_s * HORIZON_MIN_SHARE)
        need = poll_interval(n_calls, self.windows(), horizon_s=horizon, floor_s=s.poll_fast_s)
        quick = any(f.running or f.online for f in followed)
        return need if quick else max(need, s.poll_slow_s)

    async def run(self) -> None:
        self._stopping = False  # a stopped engine can be started again
        while not self._stopping:
            if not self.followed:
                self._wake.clear()
                await self._wait(3600.0)
                continue
            started = self.clock()
            await self.poll_once()
            interval = self.interval()
            left = interval - (self.clock() - started)
            if left > 0:
                self._wake.clear()
                self._slow = interval >= self.settings.poll_slow_s
                await self._wait(left)
                self._slow = False

    async def _wait(self, timeout: float) -> None:
        await wait_event(self._wake, timeout)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
