"""The engine's jobs and everyone who watches them.

``JobBoard`` holds every job of the session (by id, and by action id once the service gave one) and the
``subscribe`` callbacks. A change is journalled first (``job_changed(..., record=True)``), then published as a
``JobChanged`` event; ``wait_idle`` wakes on every change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from lrtui.engine.jobs import EngineNotice, Event, Job, JobChanged, JobState, NoticeLevel
from lrtui.engine.journal import Journal

log = logging.getLogger("lrtui.engine.engine")


class JobBoard:
    """Jobs by id and by action id, and the event subscribers (single event loop, no locks)."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._jobs: dict[str, Job] = {}
        self._by_action: dict[str, str] = {}
        self._subs: list[Callable[[Event], None]] = []
        self._changed = asyncio.Event()
        self._soon: set[Callable[[], Event]] = set()  #: events made at the end of this turn of the loop

    # ------------------------------------------------------------ jobs

    def add(self, job: Job) -> None:
        self._jobs[job.id] = job
        if job.action_id:
            self._by_action[job.action_id] = job.id

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def __getitem__(self, job_id: str) -> Job:
        return self._jobs[job_id]

    def all(self) -> list[Job]:
        return list(self._jobs.values())

    def link_action(self, action_id: str, job_id: str) -> None:
        self._by_action[action_id] = job_id

    def for_action(self, action_id: str) -> Job | None:
        job_id = self._by_action.get(action_id)
        return self._jobs.get(job_id) if job_id else None

    def unfinished(self) -> int:
        return sum(1 for j in self._jobs.values() if j.state is not JobState.DONE)

    def active(self) -> int:
        return sum(1 for j in self._jobs.values() if j.is_active)

    # ------------------------------------------------------------ events

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        self._subs.append(callback)

        def unsubscribe() -> None:
            if callback in self._subs:
                self._subs.remove(callback)

        return unsubscribe

    def emit(self, event: Event) -> None:
        for cb in list(self._subs):
            try:
                cb(event)
            except Exception:
                log.exception("engine subscriber failed")

    def emit_soon(self, make: Callable[[], Event]) -> None:
        """Emit ``make()`` once at the end of this turn of the event loop, however often it is asked for (a poll
        that finishes 3,000 jobs publishes one budget snapshot, not 3,000 made over every job)."""
        if make in self._soon:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a plain call): now
            self.emit(make())
            return
        self._soon.add(make)
        loop.call_soon(self._emit_made, make)

    def _emit_made(self, make: Callable[[], Event]) -> None:
        self._soon.discard(make)
        self.emit(make())

    def notice(self, level: NoticeLevel, message: str) -> None:
        self.emit(EngineNotice(level, message))

    def job_changed(self, job: Job, what: str = "state", *, record: bool = True) -> None:
        """Journal the job's new state (unless the caller already did), publish it, wake ``wait_idle``."""
        if record:
            self.journal.record_state(job, what)
        self.emit(JobChanged(job, what))
        self._changed.set()

    def poke(self) -> None:
        """Wake ``wait_idle`` (jobs were added or finished without a single change event)."""
        self._changed.set()

    async def wait_idle(self) -> None:
        """Return once every job is DONE."""
        while self.unfinished():
            self._changed.clear()
            await self._changed.wait()
