"""``TeamCoordinator``: the engine's link to the team's shared budgets (``lrtui.engine.team.store``).

Before each runliveresponse POST (the local budget booked its ticket, the journal does not yet say SUBMITTING)
:meth:`TeamCoordinator.before_submit` takes the machine's session hold and a slot of the team's rate window,
waiting as the store says; a machine a teammate holds sends the job back to the queue, said once. The general
per-API windows go through :meth:`general_gate` (the local gate, then the team's). One task
(:meth:`run`) renews the holds of live jobs every third of the TTL, takes holds for jobs resumed with an action,
and refreshes the team's use for the gauges. A hold is given back when its job's action is final (or the job
went back to the queue), seen in the engine's ``JobChanged`` events.

When the store cannot be reached: one notice, the local budget capped at ``FallbackShare.local_limits()``, the
store tried again with the share's back-off, and a notice when it answers (caps lifted, holds taken again, the
calls made meanwhile recorded in the team's window). Nothing waits on the store while it is gone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

from lrtui.api.text import clean_line
from lrtui.engine.budget import Budget, BudgetSettings
from lrtui.engine.jobs import (
    ACTIVE_STATES,
    WAITING_STATES,
    Event,
    Job,
    JobChanged,
    JobState,
    NoticeLevel,
    PreflightIssue,
)
from lrtui.engine.team.fallback import FallbackShare
from lrtui.engine.team.models import Busy, Hold, SessionsFull, TeamLimits, TeamStoreUnavailable, TeamUsage
from lrtui.engine.waits import wait_event
from lrtui.engine.windows import Caps

if TYPE_CHECKING:
    from lrtui.api.models import Machine
    from lrtui.engine.board import JobBoard
    from lrtui.engine.team.store import TeamStore

log = logging.getLogger(__name__)
_GONE = frozenset({JobState.COLLECTING, JobState.DONE}) | WAITING_STATES  #: a job in these holds nothing


def team_limits(s: BudgetSettings) -> TeamLimits:
    """The team's limits from the profile's budgets, each window a little longer than the service's: a POST
    reaches the service a moment after the store granted it (0.75 s on a 60 s window)."""
    guard = 0.15 + 0.01 * s.rate_window_s
    return TeamLimits(
        rate_calls=s.rate_calls,
        rate_window_s=s.rate_window_s + guard,
        max_sessions=s.max_sessions,
        general_per_minute=s.general_per_minute,
        general_per_hour=s.general_per_hour,
        minute_s=s.general_window_s + guard,
        hour_s=s.general_hour_s + guard,
    )


def fallback_share(limits: TeamLimits, s: BudgetSettings, share: float) -> FallbackShare:
    """``share`` of each limit while the store is gone; tried again after 1 s, backing off to 30 s (at the
    service's clock: scaled with the windows)."""
    first = max(0.05, s.rate_window_s / 60)
    return FallbackShare(limits, share=share, first_retry_s=first, max_retry_s=max(first, s.rate_window_s / 2))


def busy_text(machine_name: str, holder: str, comment_prefix: str) -> str:
    """``HOST is busy with a teammate's action (alice@jump, "IR-7: ")``, from untrusted store text."""
    who = clean_line(holder)[:120] or "someone"
    prefix = clean_line(comment_prefix).strip()[:60]
    said = f', comment "{prefix}"' if prefix else ""
    return f"{clean_line(machine_name)} is busy with a teammate's action ({who}{said})"


class TeamCoordinator:
    """One engine's use of the team store. Single event loop; :meth:`attach` once, then :meth:`run` as a task."""

    def __init__(
        self,
        store: TeamStore,
        fallback: FallbackShare,
        budget: Budget,
        *,
        clock: Callable[[], float] = time.monotonic,
        ttl_s: float = 30.0,
        usage_every_s: float = 2.0,
        step_s: float = 0.25,
        busy_retry_s: float | None = None,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.fallback = fallback
        self.budget = budget
        self.clock = clock
        self.ttl_s = ttl_s
        self.usage_every_s = min(usage_every_s, ttl_s / 3)
        self.step_s = step_s  #: how often a job waiting for a free session asks again
        #: when a job put back for a teammate's machine is tried again (default: a third of the TTL)
        self.busy_retry_s = max(step_s, ttl_s / 3 if busy_retry_s is None else busy_retry_s)
        self.usage: TeamUsage | None = None
        self._echo = echo
        self._holds: dict[str, Hold] = {}  # job id -> its hold
        self._live: dict[str, Job] = {}  # jobs whose action exists or is being sent
        self._adopt: dict[str, Job] = {}  # resumed jobs with an action, waiting for their hold
        self._busy_until: dict[str, float] = {}  # machine id -> when to ask again
        self._told: set[tuple[str, str]] = set()  # (machine, holder) already said
        self._sessions = asyncio.Lock()  # one job at a time waits for a free session (in queue order)
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._board: JobBoard | None = None
        self._dispatch_wake: Callable[[], None] = lambda: None
        self._changed: Callable[[], None] = lambda: None
        self._renewed_at = -1e18
        self._lift_at: float | None = None  #: when the local caps end after the store came back
        self._others_end_at: float | None = None  #: when teammates' sessions seen at a loss have surely ended

    # ------------------------------------------------------------ wiring and state

    def attach(self, board: JobBoard, wake: Callable[[], None], changed: Callable[[], None]) -> None:
        """Called once by the ``Engine``: its job board (notices, events), the dispatcher's wake, and the
        callback that publishes a new budget snapshot."""
        self._board, self._dispatch_wake, self._changed = board, wake, changed
        board.subscribe(self._on_event)

    @property
    def degraded(self) -> bool:
        """True while the store is unreachable (the local budget keeps to its share)."""
        return self.fallback.degraded

    def _notice(self, level: NoticeLevel, text: str) -> None:
        if self._board is not None:
            self._board.notice(level, text)
        if self._echo is not None:
            self._echo(text)

    def machine_blocked(self, machine_id: str) -> bool:
        """A teammate held ``machine_id`` a moment ago: its jobs wait until it is time to ask again."""
        until = self._busy_until.get(machine_id)
        if until is None:
            return False
        if self.clock() >= until:
            del self._busy_until[machine_id]
            return False
        return True

    # ------------------------------------------------------------ before a POST

    async def before_submit(self, job: Job) -> bool:
        """The machine's hold and a rate slot for ``job``: True to send it now, False when it goes back to the
        queue unsent (a teammate holds the machine, said once; or the store was just lost: booked again under
        the share)."""
        if self.degraded:
            self._live[job.id] = job  # the local budget, capped, decides alone; its hold is taken when back
            return True
        try:
            answer = await self._session_for(job)
            if isinstance(answer, Busy):
                self._busy(job, answer)
                return False
            self._holds[job.id], self._live[job.id] = answer, job
            # the store says how long until a slot opens (no event to wait for): sleep that long, ask again
            while (wait := await self.store.try_rate()) > 0:  # noqa: ASYNC110
                await asyncio.sleep(wait)
        except TeamStoreUnavailable as e:
            self._lost(e)
            return False
        return True

    async def _session_for(self, job: Job) -> Hold | Busy:
        async with self._sessions:
            while True:
                answer = await self.store.acquire_session(job.id, job.machine_id)
                if not isinstance(answer, SessionsFull):
                    return answer
                await asyncio.sleep(min(answer.retry_after_s, self.step_s))

    def held_elsewhere(self, job: Job, requestor: str | None, comment: str | None) -> bool:
        """While the store is gone: the service shows an active action on the job's machine (``requestor``,
        ``comment`` as it lists them; None: refused as busy). The job waits as for a teammate's hold. True."""
        self._live.pop(job.id, None)
        self._busy(job, Busy(job.machine_id, requestor or "another lrtui or the portal", (comment or "")[:40], False))
        return True

    def _busy(self, job: Job, busy: Busy) -> None:
        self._busy_until[job.machine_id] = self.clock() + self.busy_retry_s
        asyncio.get_running_loop().call_later(self.busy_retry_s, self._dispatch_wake)
        key = (job.machine_id, busy.holder_label)
        if busy.mine or key in self._told:
            return
        self._told.add(key)
        me = self.store.holder
        if (busy.holder_label, busy.comment_prefix) == (clean_line(me.label), clean_line(me.comment_prefix)):
            self._notice(
                "info",
                f"{clean_line(job.machine_name)} is still held by an earlier lrtui of yours (stopped or killed); "
                f"its lease ends within {self.ttl_s:g} s, then the job goes.",
            )
            return
        text = busy_text(job.machine_name, busy.holder_label, busy.comment_prefix)
        self._notice("info", f"{text}; the job waits in the queue and is tried again when the machine is free.")

    async def general_gate(self, endpoint: str) -> None:
        """The client's gate before a general call: the local budget's, then the team's window for the API."""
        await self.budget.general_gate(endpoint)
        if self.degraded:
            return
        try:
            while (wait := await self.store.try_general(endpoint)) > 0:  # noqa: ASYNC110 (as try_rate)
                await asyncio.sleep(wait)
        except TeamStoreUnavailable as e:
            self._lost(e)

    # ------------------------------------------------------------ events

    def _on_event(self, event: Event) -> None:
        if not isinstance(event, JobChanged):
            return
        job = event.job
        if event.what == "resumed" and job.state in ACTIVE_STATES:
            self._live[job.id] = self._adopt[job.id] = job
            self._wake.set()
        elif job.state in _GONE:
            self._live.pop(job.id, None)
            self._adopt.pop(job.id, None)
            hold = self._holds.pop(job.id, None)
            if hold is not None and not self.degraded:
                self._spawn(self._release(hold))

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _release(self, hold: Hold) -> None:
        try:
            await self.store.release(hold)
        except TeamStoreUnavailable as e:
            self._lost(e)  # the lease ends by itself within the TTL

    # ------------------------------------------------------------ the store lost and found

    def _share(self, sessions: int | None = None) -> Caps:
        lim = self.fallback.local_limits()
        n = lim.max_sessions if sessions is None else sessions
        return Caps(lim.rate_calls, n, lim.general_per_minute, lim.general_per_hour)

    def _lost(self, e: TeamStoreUnavailable) -> None:
        now = self.clock()
        first = not self.degraded
        delay = self.fallback.on_failure(now)
        if not first:
            return
        # teammates' sessions are unknown now, but with ours they were within the limit: keep to as many as we hold
        # until the RunScript timeout (10 min at the service's clock) has ended theirs, then to the share; their
        # calls of the last window are unknown too: the window counts as full once
        share = self.fallback.local_limits()
        held = self.budget.sessions_used if self.usage is not None else share.max_sessions  # never answered: share
        sessions = min(share.max_sessions, held)
        self.budget.apply_caps(self._share(sessions))
        self._others_end_at = now + 10 * self.budget.settings.rate_window_s if sessions < share.max_sessions else None
        self._lift_at = None
        guard = max(0.0, self.store.limits.rate_window_s - self.budget.settings.rate_window_s)  # as the team's
        self.budget.restore_calls([now + guard] * share.rate_calls)
        self._holds.clear()  # their leases end by themselves; taken again when the store is back
        then = (
            f" as it holds now, {share.max_sessions} once teammates' may have ended"
            if sessions < share.max_sessions
            else ""
        )
        log.info("team store unavailable: %s", e)
        self._notice(
            "warning",
            f"The team's budget store is unavailable ({clean_line(str(e.__cause__ or 'no answer'))[:80]}): this "
            f"process keeps to a share of the budgets on its own ({share.rate_calls} runliveresponse calls a "
            f"window, {sessions} sessions{then}) and tries the store again in {delay:.2g} s.",
        )
        self._changed()

    async def _found(self) -> None:
        """The store answers again: take the live jobs' holds, record the calls made meanwhile, and lift the caps
        one rate window later (a teammate still on its share finds the store within half a window)."""
        self.fallback.on_success()
        self._others_end_at = None
        self.budget.apply_caps(self._share())
        self._lift_at = self.clock() + self.budget.settings.rate_window_s
        self._adopt.update(self._live)
        await self._take_adopted()
        for _ in range(self.budget.rate_used()):
            if await self.store.try_rate() > 0:
                break
        self._notice("info", "The team's budget store answers again: the budgets are shared with the team again.")
        self._dispatch_wake()

    async def _take_adopted(self) -> None:
        for job_id, job in list(self._adopt.items()):
            answer = await self.store.acquire_session(job_id, job.machine_id, adopt=True)
            self._adopt.pop(job_id, None)
            if isinstance(answer, Hold) and job_id in self._live:
                self._holds[job_id] = answer
            elif isinstance(answer, Busy):
                log.warning("resumed job %s: machine %s is held by %s", job_id, job.machine_id, answer.holder_label)

    # ------------------------------------------------------------ the one task

    async def run(self) -> None:
        """Renew, adopt and refresh the team's use until cancelled; retry the store while it is gone."""
        try:
            while True:
                await self._tick()
                await wait_event(self._wake, self.usage_every_s)
                self._wake.clear()
        finally:  # holds being given back go on a moment (bounded): teammates need not wait for the TTL
            if self._tasks:
                await asyncio.wait(list(self._tasks), timeout=1.0)

    async def _tick(self) -> None:
        now = self.clock()
        if self._others_end_at is not None and now >= self._others_end_at and self.degraded:
            self._others_end_at = None
            self.budget.apply_caps(self._share())  # teammates' sessions seen at the loss have ended by now
            self._dispatch_wake()
        if self.degraded and not self.fallback.should_try(now):
            return
        if self._lift_at is not None and now >= self._lift_at:
            self._lift_at = None
            self.budget.apply_caps(None)
            self._dispatch_wake()
        try:
            if self.degraded:
                await self.store.usage()
                await self._found()
            await self._take_adopted()
            if now - self._renewed_at >= self.ttl_s / 3:
                self._renewed_at = now
                await self._renew()
            usage = await self.store.usage()
        except TeamStoreUnavailable as e:
            self._lost(e)
            return
        if usage != self.usage:
            self.usage = usage
            self._changed()

    async def _renew(self) -> None:
        lost = await self.store.renew(list(self._holds.values()))
        for hold in lost:  # the lease ended (a stall longer than the TTL): take it again, the action exists
            job = self._live.get(hold.job_id)
            self._holds.pop(hold.job_id, None)
            if job is not None:
                self._adopt[job.id] = job
        if lost:
            await self._take_adopted()

    # ------------------------------------------------------------ pre-flight

    async def preflight_issues(self, machines: Iterable[Machine]) -> list[PreflightIssue]:
        """A warning for each machine a teammate holds (who, and their comment prefix); none while degraded."""
        if self.degraded:
            return []
        try:
            usage = await self.store.usage()
        except TeamStoreUnavailable as e:
            self._lost(e)
            return []
        self.usage = usage
        out = []
        for m in machines:
            h = usage.holder_of(m.id)
            if h is not None and not h.mine:
                text = busy_text(m.name, h.holder_label, h.comment_prefix)
                out.append(PreflightIssue(m.id, m.name, "warning", f"{text}; this job waits until it ends.", "busy"))
        return out
