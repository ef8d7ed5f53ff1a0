"""The job queue and the dispatcher that spends the budgets.

Order: interactive before bulk, then oldest first (creation time, then arrival). A job whose machine already
has an active action is skipped, not blocking the jobs behind it (one per machine, fair to the rest). A job
put back after an unforeseen 429 keeps its place at the front.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterator

from lrtui.engine.budget import Budget, Ticket
from lrtui.engine.jobs import Job, Priority

log = logging.getLogger(__name__)
_RANK = {Priority.INTERACTIVE: 0, Priority.BULK: 1}


class JobQueue:
    """Waiting jobs, kept sorted by (priority, created_at, arrival)."""

    def __init__(self) -> None:
        self._keys: list[tuple[int, float, int]] = []
        self._jobs: list[Job] = []
        self._ids: dict[str, tuple[int, float, int]] = {}
        self._ever: dict[str, tuple[int, float, int]] = {}  # a job put back keeps its first place
        self._arrival = itertools.count()

    def key(self, job: Job) -> tuple[int, float, int]:
        return (_RANK.get(job.priority, 1), job.created_at, next(self._arrival))

    def push(self, job: Job, key: tuple[int, float, int] | None = None) -> None:
        if job.id in self._ids:
            return
        k = key or self._ever.get(job.id) or self.key(job)
        self._ever[job.id] = k
        i = bisect.bisect(self._keys, k)
        self._keys.insert(i, k)
        self._jobs.insert(i, job)
        self._ids[job.id] = k

    def remove(self, job_id: str) -> Job | None:
        k = self._ids.pop(job_id, None)
        if k is None:
            return None
        i = bisect.bisect_left(self._keys, k)
        self._keys.pop(i)
        return self._jobs.pop(i)

    def key_of(self, job_id: str) -> tuple[int, float, int] | None:
        return self._ids.get(job_id)

    def __contains__(self, job_id: str) -> bool:
        return job_id in self._ids

    def __len__(self) -> int:
        return len(self._jobs)

    def __iter__(self) -> Iterator[Job]:
        return iter(list(self._jobs))

    def first_eligible(self, busy: Callable[[str], bool]) -> Job | None:
        """The first job (in order) whose machine is free, skipping any machine seen earlier in the queue."""
        seen: set[str] = set()
        for job in self._jobs:
            if job.machine_id in seen or busy(job.machine_id):
                seen.add(job.machine_id)
                continue
            return job
        return None

    def renumber(self) -> None:
        for i, job in enumerate(self._jobs, 1):
            job.queue_position = i


SubmitFn = Callable[[Job, Ticket], Awaitable[None]]


class Dispatcher:
    """Takes jobs off the queue as the budgets allow and hands each to ``submit`` in its own task."""

    def __init__(
        self, queue: JobQueue, budget: Budget, submit: SubmitFn, *, blocked: Callable[[str], bool] | None = None
    ) -> None:
        self.queue = queue
        self.budget = budget
        self.submit = submit
        self.blocked = blocked  #: machines held elsewhere (a teammate's action): their jobs wait, the rest go
        self.paused = False
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        self.wake()

    async def _sleep(self, timeout: float) -> None:
        waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(self.budget.changed(timeout))]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()
            self._wake.clear()

    def step(self) -> tuple[tuple[Job, Ticket] | None, float]:
        """One decision: (the job to send now with its booked ticket, or None) and how long to wait when none."""
        if self.paused or not self.queue:
            return None, 3600.0
        job = self.queue.first_eligible(self._busy)
        if job is None:
            return None, 3600.0  # every queued machine is busy: wait for a release
        wait = self.budget.submit_wait()
        if wait > 0:
            return None, wait
        if self.budget.sessions_used >= self.budget.max_sessions:
            return None, 3600.0
        ticket = self.budget.reserve(job.id, job.machine_id)
        if ticket is None:
            return None, 0.05
        self.queue.remove(job.id)
        return (job, ticket), 0.0

    def _busy(self, machine_id: str) -> bool:
        return self.budget.machine_busy(machine_id) or (self.blocked is not None and self.blocked(machine_id))

    async def run(self) -> None:
        self._stopping = False  # a stopped engine can be started again
        while not self._stopping:
            booked, wait = self.step()
            if booked is None:
                await self._sleep(wait)
                continue
            job, ticket = booked
            task = asyncio.create_task(self._guard(job, ticket), name=f"submit-{job.id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            await asyncio.sleep(0)

    async def _guard(self, job: Job, ticket: Ticket) -> None:
        try:
            await self.submit(job, ticket)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("submit of job %s crashed", job.id)

    async def stop(self) -> None:
        self._stopping = True
        self.wake()
        for t in list(self._tasks):
            t.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
