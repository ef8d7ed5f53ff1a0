"""Following every submitted action with one list call per cycle.

``GET /api/machineactions?$filter=id in (...)`` with up to ``poll_chunk`` ids per call: with the default 25
sessions that is one call per cycle whatever the number of actions, so calls per minute do not grow with the
number of sessions. The cycle is quick (``poll_fast_s``) while any followed action is running or waiting on an
online device, slow (``poll_slow_s``) when every one is queued for an offline device, and never shorter than
the poller's share of the general budget allows.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lrtui.api import odata
from lrtui.api.errors import LrtuiError, NotFound, ODataError, RateLimited
from lrtui.engine.budget import GENERAL, Budget, BudgetSettings

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


def cycle_interval(followed: list[Followed], n_calls: int, settings: BudgetSettings) -> float:
    """Seconds between cycles: fast when something can move soon, slow when all wait offline."""
    if not followed:
        return settings.poll_slow_s
    quick = any(f.running or f.online for f in followed)
    base = settings.poll_fast_s if quick else settings.poll_slow_s
    per_window = max(1.0, settings.general_per_minute * settings.poll_share)
    floor = n_calls * settings.general_window_s / per_window
    per_hour = max(1.0, settings.general_per_hour * settings.poll_share)
    floor = max(floor, n_calls * settings.general_hour_s / per_hour)
    return max(base, floor)


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
                self.calls += len(chunk) if self.mode == "get" else 1
                actions = await self._fetch(chunk)
            except ODataError as e:
                if self.mode == "get":
                    raise
                self.mode = FILTER_MODES[FILTER_MODES.index(self.mode) + 1]
                log.warning("the service refused the poll filter (%s); polling with %r from now on", e.code, self.mode)
                break
            except RateLimited as e:
                self.budget.back_off(GENERAL, e.retry_after)
                break
            except LrtuiError as e:
                log.warning("poll failed: %s", e.user_message())
                break
            now = self.clock()
            for a in actions:
                f = self.followed.get(a.id)
                if f is not None:
                    f.last_seen = now
                    f.running = a.status == "InProgress"
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

    def interval(self) -> float:
        followed = list(self.followed.values())
        per_call = 1 if self.mode == "get" else max(1, self.chunk_size())
        n_calls = math.ceil(len(followed) / per_call) or 1
        return cycle_interval(followed, n_calls, self.settings)

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
        try:
            await asyncio.wait_for(self._wake.wait(), timeout)
        except TimeoutError:
            pass

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
