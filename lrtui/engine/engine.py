"""The ``Engine`` facade: submit sequences to many machines, follow them, collect results, survive restarts.

The TUI and the headless commands talk only to this class. It owns the budget, the queue and dispatcher, the
poller, the result collector and the journal writes; every change is journalled first, then published to the
``subscribe`` callbacks as events (plain dataclasses from ``jobs.py``).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from lrtui.api import errors as E
from lrtui.api.models import CommandType, LibraryFile, Machine
from lrtui.api.sequence import Sequence
from lrtui.engine.budget import GENERAL, Budget, BudgetSettings
from lrtui.engine.flow import JobFlow
from lrtui.engine.jobs import (
    WAITING_STATES,
    BudgetChanged,
    BudgetSnapshot,
    EngineNotice,
    Event,
    Job,
    JobChanged,
    JobState,
    Outcome,
    PreflightIssue,
    Priority,
    RequestLogged,
    RequestRecord,
)
from lrtui.engine.outcomes import error_code, error_text
from lrtui.engine.poller import Poller
from lrtui.engine.preflight import preflight as run_preflight
from lrtui.engine.preflight import refused_ids
from lrtui.engine.reconcile import marker
from lrtui.engine.results import ResultCollector, ResultLimits
from lrtui.engine.scheduler import Dispatcher, JobQueue

log = logging.getLogger(__name__)
__all__ = ["BudgetSettings", "Engine"]


class Engine(JobFlow):
    def __init__(
        self,
        client: Any,
        journal: Any,
        settings: BudgetSettings | None = None,
        *,
        data_dir: Path,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        limits: ResultLimits | None = None,
        download_concurrency: int = 4,
    ) -> None:
        self.client = client
        self.journal = journal
        self.settings = settings or BudgetSettings()
        self.data_dir = Path(data_dir)
        self.clock, self.wall = clock, wall
        self.budget = Budget(self.settings, clock)
        self.queue = JobQueue()
        self.dispatcher = Dispatcher(self.queue, self.budget, self._submit)
        self.poller = Poller(client, self.budget, self._on_action, clock=clock, on_missing=self._on_missing)
        self.collector = ResultCollector(client, self.data_dir / "evidence", limits=limits, clock=clock)
        self._jobs: dict[str, Job] = {}
        self._by_action: dict[str, str] = {}
        self._subs: list[Callable[[Event], None]] = []
        self._tasks: set[asyncio.Task] = set()
        self._loops: list[asyncio.Task] = []
        self._cancel_wanted: dict[str, str | None] = {}
        self._retried: set[str] = set()
        self._library: list[LibraryFile] | None = None
        self._downloads = asyncio.Semaphore(download_concurrency)
        self._changed = asyncio.Event()
        self.started = False
        self._attach_client()

    # ------------------------------------------------------------ wiring

    def _attach_client(self) -> None:
        """Give the client our general-budget gate and request log, unless it already has its own."""
        if hasattr(self.client, "general_gate") and getattr(self.client, "general_gate", None) is None:
            try:
                self.client.general_gate = self.budget.general_gate
            except AttributeError:
                pass
        prev = getattr(self.client, "on_request", None)
        if hasattr(self.client, "on_request") and getattr(prev, "__self__", None) is not self:

            def on_request(rec: RequestRecord, _prev=prev) -> None:
                if _prev is not None:
                    _prev(rec)
                self.log_request(rec)

            try:
                self.client.on_request = on_request
            except AttributeError:
                pass

    def log_request(self, rec: RequestRecord) -> None:
        """Pass as the client's ``on_request``: counts unforeseen 429s and publishes the record."""
        if rec.status == 429 and "/runliveresponse" not in rec.url:
            # the client waits Retry-After itself before its retry; hold every other general call as long
            self.budget.back_off(GENERAL, getattr(rec, "retry_after", None))
        self._emit(RequestLogged(rec))

    # ------------------------------------------------------------ events

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        self._subs.append(callback)

        def unsubscribe() -> None:
            if callback in self._subs:
                self._subs.remove(callback)

        return unsubscribe

    def _emit(self, event: Event) -> None:
        for cb in list(self._subs):
            try:
                cb(event)
            except Exception:
                log.exception("engine subscriber failed")

    def _changed_job(self, job: Job, what: str = "state", *, record: bool = True) -> None:
        if record:
            self.journal.record_state(job, what)
        self._emit(JobChanged(job, what))
        self._changed.set()

    def _notice(self, level: str, message: str) -> None:
        self._emit(EngineNotice(level, message))  # type: ignore[arg-type]

    def _budget_changed(self) -> None:
        self._emit(BudgetChanged(self.budget_snapshot()))

    def _spawn(self, coro, name: str) -> asyncio.Task:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("engine task %s failed", task.get_name(), exc_info=task.exception())

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self.started:
            return
        self.journal.open()
        self.started = True
        for job in await asyncio.to_thread(self.journal.unfinished_jobs):
            # after stop(): the job objects the UI holds are kept, and picked up again where they were
            self._resume_job(self._jobs.get(job.id) or job)
        self._loops = [
            asyncio.create_task(self.dispatcher.run(), name="lrtui-dispatch"),
            asyncio.create_task(self.poller.run(), name="lrtui-poll"),
        ]

    async def stop(self) -> None:
        self.poller.stop()
        await self.dispatcher.stop()
        for t in list(self._tasks) + self._loops:
            t.cancel()
        await asyncio.gather(*self._tasks, *self._loops, return_exceptions=True)
        self._loops = []
        self.started = False

    def _resume_job(self, job: Job) -> None:
        self._jobs[job.id] = job
        if job.action_id:
            self._by_action[job.action_id] = job.id
        if job.state in WAITING_STATES:
            job.state = JobState.PAUSED if self.dispatcher.paused else JobState.QUEUED
            self.queue.push(job)
        elif job.state is JobState.SUBMITTING or (job.action_id is None and job.state is not JobState.DONE):
            self.budget.adopt(job.id, job.machine_id)
            self._spawn(self._reconcile(job), f"reconcile-{job.id}")
        elif job.state is JobState.COLLECTING:
            self._spawn(self._collect_by_id(job), f"collect-{job.id}")
        else:
            self.budget.adopt(job.id, job.machine_id)
            self.poller.follow(job.action_id, online=job.state is not JobState.OFFLINE)
        self._emit(JobChanged(job, "resumed"))

    # ------------------------------------------------------------ jobs

    @property
    def jobs(self) -> list[Job]:
        return list(self._jobs.values())

    def job(self, job_id: str) -> Job:
        return self._jobs[job_id]

    def _unfinished(self) -> int:
        return sum(1 for j in self._jobs.values() if j.state is not JobState.DONE)

    async def wait_idle(self, timeout: float | None = None) -> None:
        async def loop() -> None:
            while self._unfinished():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(loop(), timeout)

    async def library(self, refresh: bool = False) -> list[LibraryFile]:
        if self._library is None or refresh:
            self._library = await self.client.list_library()
        return self._library

    async def preflight(self, sequence: Sequence, machines: list[Machine]) -> list[PreflightIssue]:
        needs_library = any(c.type is not CommandType.GET_FILE for c in sequence.commands)
        library = None
        if needs_library:
            try:
                library = await self.library()
                names = {f.file_name for f in library}
                if any(c.value not in names for c in sequence.commands if c.type is not CommandType.GET_FILE):
                    library = await self.library(refresh=True)  # uploaded since we last looked?
            except E.LrtuiError as e:
                self._notice(
                    "warning", f"Could not read the library, so file names were not checked: {e.user_message()}"
                )
        return run_preflight(sequence, machines, library)

    async def submit(
        self, sequence: Sequence, machines: Iterable[Machine | str], *, priority: Priority = Priority.BULK
    ) -> list[Job]:
        uniq: dict[str, Machine | str] = {}
        for m in machines:
            uniq.setdefault(m if isinstance(m, str) else m.id, m)
        targets = list(uniq.values())
        issues = await self.preflight(sequence, targets)  # type: ignore[arg-type]
        refused = refused_ids(issues)
        batch = uuid.uuid4().hex
        now = self.wall()
        jobs: list[Job] = []
        for i, m in enumerate(targets):
            mid = m if isinstance(m, str) else m.id
            job = Job(
                id=uuid.uuid4().hex,
                batch_id=batch,
                machine_id=mid,
                machine_name=m if isinstance(m, str) else m.name,
                os_family="unknown" if isinstance(m, str) else m.os_family,
                sequence=sequence,
                priority=priority,
                created_at=now + i * 1e-6,
                machine_online=False if isinstance(m, str) else m.is_online,
            )
            if mid in refused:
                job.state, job.outcome = JobState.DONE, Outcome.REFUSED
                job.error_code, job.error_message = "Preflight", refused[mid]
                job.finished_at = now
            else:
                job.state = JobState.PAUSED if self.dispatcher.paused else JobState.QUEUED
            jobs.append(job)
        # write-ahead, one transaction for the whole batch (about 0.1 ms a job: a big batch goes to a thread)
        if len(jobs) > 20:
            await asyncio.to_thread(self.journal.record_jobs, jobs)
        else:
            self.journal.record_jobs(jobs)
        for job in jobs:
            self._jobs[job.id] = job
            if job.state is not JobState.DONE:
                self.queue.push(job)
        self.queue.renumber()
        for job in jobs:
            self._emit(JobChanged(job, "new"))
        self.dispatcher.wake()
        self._budget_changed()
        self._changed.set()
        return jobs

    # ------------------------------------------------------------ control

    async def cancel(self, job_id: str, comment: str | None = None) -> None:
        job = self._jobs[job_id]
        if job.state is JobState.DONE or job.state is JobState.COLLECTING:
            return
        if self.queue.remove(job_id) is not None:
            job.error_message = "Cancelled before it was sent."
            self.queue.renumber()
            self._finish(job, Outcome.CANCELLED)
            return
        if job.action_id is None:
            self._cancel_wanted[job_id] = comment  # SUBMITTING: cancel as soon as the action id is known
            return
        text = comment or f"Cancelled from lrtui [{marker(job.id)}]"
        try:
            action = await self.client.cancel_action(job.action_id, text)
        except E.LrtuiError as e:
            self.journal.record_error(job, error_code(e), error_text(e))
            self._notice("error", f"{job.machine_name}: cancel failed: {e.user_message()}")
            return
        self.journal.record_note("cancel", {"comment": text}, job)
        await self._on_action(action)
        self.poller.poll_now()

    async def retry(self, job_id: str) -> Job:
        old = self._jobs[job_id]
        self._retried.add(job_id)
        new = replace(
            old,
            id=uuid.uuid4().hex,
            state=JobState.QUEUED,
            outcome=None,
            action_id=None,
            action_status=None,
            command_status=[],
            command_started=[],
            created_at=self.wall(),
            submitted_at=None,
            started_at=None,
            finished_at=None,
            queue_position=None,
            error_code=None,
            error_message=None,
            attempts=0,
            results=[],
        )
        new.state = JobState.PAUSED if self.dispatcher.paused else JobState.QUEUED
        self.journal.record_job(new)
        self.journal.record_note("retry", {"of": job_id}, new)
        self._jobs[new.id] = new
        self.queue.push(new)
        self.queue.renumber()
        self._emit(JobChanged(new, "new"))
        self.dispatcher.wake()
        return new

    async def retry_failed(self, outcome: Outcome) -> list[Job]:
        olds = [
            j
            for j in self._jobs.values()
            if j.state is JobState.DONE and j.outcome is outcome and j.id not in self._retried
        ]
        return [await self.retry(j.id) for j in olds]

    def pause(self) -> None:
        self.dispatcher.pause()
        self._set_waiting(JobState.PAUSED)

    def resume(self) -> None:
        self._set_waiting(JobState.QUEUED)
        self.dispatcher.resume()

    def _set_waiting(self, state: JobState) -> None:
        for job in self.queue:
            if job.state is not state:
                job.state = state
                self._changed_job(job, "state")
        self._budget_changed()

    # ------------------------------------------------------------ budgets

    def budget_snapshot(self) -> BudgetSnapshot:
        return self.budget.snapshot(
            queued=len(self.queue),
            active=sum(1 for j in self._jobs.values() if j.is_active),
            paused=self.dispatcher.paused,
        )

    def estimate(self, n_jobs: int, n_offline: int = 0) -> float:
        """Seconds until ``n_jobs`` more jobs (after those queued) are all submitted, by the rate budget."""
        return self.budget.drain_estimate(n_jobs + len(self.queue))
