"""The ``Engine`` facade: submit sequences to many machines, follow them, collect results, survive restarts.

The TUI and the headless commands talk only to this class. It is built from its parts, all made here (or
given): the budget (given, shared with the client's general gate), the queue and its dispatcher, the poller,
the result collector, the job board (jobs and subscribers), the task set and the job flow (``flow.py``) that
moves each job. Every change is journalled first, then published to the ``subscribe`` callbacks as events
(plain dataclasses from ``jobs.py``).

Wiring (the composer does it once): ``budget = Budget(settings, clock)``, ``requests = RequestHub()``,
``client = MdeClient(..., on_request=requests, general_gate=budget.general_gate)``, then
``Engine(client, journal, budget, requests=requests, data_dir=...)``.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from lrtui.api import errors as E
from lrtui.api.enums import CommandType
from lrtui.api.records import RequestHub, RequestRecord
from lrtui.api.sequence import Sequence
from lrtui.engine.batch_control import BatchControl
from lrtui.engine.batches import record_batch
from lrtui.engine.board import JobBoard
from lrtui.engine.budget import Budget, BudgetSettings, Ticket
from lrtui.engine.budget_text import held_notice, lowered_notice
from lrtui.engine.canary import CanaryPlan
from lrtui.engine.flow import JobFlow
from lrtui.engine.jobs import (
    BudgetSnapshot,
    Event,
    Job,
    JobChanged,
    JobState,
    Outcome,
    PreflightIssue,
    Priority,
    RequestLogged,
)
from lrtui.engine.journal import Journal
from lrtui.engine.poller import Poller
from lrtui.engine.preflight import active_actions, refused_ids
from lrtui.engine.preflight import preflight as run_preflight
from lrtui.engine.results import ResultCollector, ResultLimits
from lrtui.engine.scheduler import Dispatcher, JobQueue
from lrtui.engine.tasks import TaskSet
from lrtui.engine.waits import within
from lrtui.engine.windows import restored_times

if TYPE_CHECKING:
    from lrtui.api.client import MdeClient
    from lrtui.api.models import LibraryFile, Machine, MachineAction
    from lrtui.engine.team.coordinator import TeamCoordinator

__all__ = ["BudgetSettings", "Engine"]
#: a batch bigger than this is journalled in a thread (about 0.1 ms a job)
JOURNAL_IN_THREAD = 20


class Engine:
    """Jobs for many machines: queued within the budgets, submitted once, followed, collected, journalled."""

    def __init__(
        self,
        client: MdeClient,
        journal: Journal,
        budget: Budget,
        *,
        requests: RequestHub,
        data_dir: Path,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        limits: ResultLimits | None = None,
        download_concurrency: int = 4,
        team: TeamCoordinator | None = None,
    ) -> None:
        self.client = client
        self.team = team  #: the team's shared budgets (``[profiles.NAME.team]``), None: budgets are local
        self.journal = journal
        self.budget = budget
        self.data_dir = Path(data_dir)
        self.clock, self.wall = clock, wall
        self.queue = JobQueue()
        self.dispatcher = Dispatcher(self.queue, budget, self._submit, blocked=team.machine_blocked if team else None)
        self.poller = Poller(
            client, budget, self._on_action, clock=clock, on_missing=self._on_missing, queued=lambda: len(self.queue)
        )
        self.collector = ResultCollector(client, self.data_dir / "evidence", limits=limits, clock=clock)
        self.board = JobBoard(journal)
        self.tasks = TaskSet()
        self.flow = JobFlow(
            client=client,
            journal=journal,
            budget=budget,
            queue=self.queue,
            dispatcher=self.dispatcher,
            poller=self.poller,
            collector=self.collector,
            board=self.board,
            tasks=self.tasks,
            wall=wall,
            download_concurrency=download_concurrency,
            team=team,
        )
        if team is not None:
            team.attach(self.board, self.dispatcher.wake, self.flow.budget_changed)
        #: canary runs, failure limits, pause/resume/retry/cancel per batch (``batch_control.py``)
        self.batches = BatchControl(
            journal=journal, board=self.board, queue=self.queue, flow=self.flow, retry=self.retry, wall=wall
        )
        self._retried: set[str] = set()
        self._library: list[LibraryFile] | None = None
        self._loops: list[asyncio.Task[None]] = []
        self._budget_restored = False  #: the journal's recent submissions were counted (first start only)
        self.started = False
        requests.add(self.log_request)

    @property
    def settings(self) -> BudgetSettings:
        """The budget's settings (limits, windows, poll intervals)."""
        return self.budget.settings

    # ------------------------------------------------------------ the parts' callbacks

    async def _submit(self, job: Job, ticket: Ticket) -> None:
        await self.flow.submit(job, ticket)

    async def _on_action(self, action: MachineAction) -> None:
        await self.flow.on_action(action)

    def _on_missing(self, action_id: str) -> None:
        self.flow.on_missing(action_id)

    def log_request(self, rec: RequestRecord) -> None:
        """Subscribed to the ``RequestHub``: publishes the record; an unforeseen 429 on an API holds that API's
        calls (the client waits Retry-After itself before its retry) and lowers its budget, said in a notice."""
        self.board.emit(RequestLogged(rec))
        if rec.status == 429 and rec.endpoint and rec.endpoint != "runliveresponse":
            wait, lowered = self.budget.endpoint_429(rec.endpoint, rec.retry_after)
            if lowered is not None:
                self.board.notice("warning", lowered_notice(lowered, wait))
            if rec.retry_after is not None and not rec.retry_after <= self.budget.settings.retry_after_limit_s:
                self.board.notice("warning", held_notice(rec.endpoint, rec.retry_after, wait))
            self.flow.budget_changed()

    # ------------------------------------------------------------ events

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback`` with every event; returns the function that unsubscribes it."""
        return self.board.subscribe(callback)

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Open the journal, pick up its unfinished jobs, and run the dispatcher and the poller."""
        if self.started:
            return
        self.journal.open()
        self.started = True
        for job in await asyncio.to_thread(self.journal.claim_unfinished):  # not those of a running process
            # after stop(): the job objects the UI holds are kept, and picked up again where they were
            self.flow.resume(self.board.get(job.id) or job)
        if not self._budget_restored:
            self._budget_restored = True
            await self._restore_rate_window()
        self._loops = [
            asyncio.create_task(self.dispatcher.run(), name="lrtui-dispatch"),
            asyncio.create_task(self.poller.run(), name="lrtui-poll"),
        ] + ([asyncio.create_task(self.team.run(), name="lrtui-team")] if self.team else [])

    async def _restore_rate_window(self) -> None:
        """A restart keeps the runliveresponse window: recent submissions in the journal (this process's earlier
        life, or another process on the same journal) count as if made here; sessions come back with the jobs."""
        s = self.settings
        wall_now, now = self.journal.wall(), self.budget.clock()
        since = wall_now - s.rate_window_s - s.reconcile_grace_s
        rows = await asyncio.to_thread(self.journal.recent_submissions, since)
        self.budget.restore_calls(restored_times(rows, wall_now, now, s.rate_window_s))

    async def stop(self) -> None:
        """Stop the loops and the tasks; service-side actions keep running and the journal stays consistent."""
        self.poller.stop()
        await self.dispatcher.stop()
        await self.tasks.cancel_all(*self._loops)
        self._loops = []
        self.started = False

    # ------------------------------------------------------------ jobs

    @property
    def jobs(self) -> list[Job]:
        return self.board.all()

    def job(self, job_id: str) -> Job:
        return self.board[job_id]

    async def wait_idle(self, timeout: float | None = None) -> None:
        """Return once every job is DONE (``TimeoutError`` after ``timeout`` seconds)."""
        await within(self.board.wait_idle(), timeout)

    async def library(self, refresh: bool = False) -> list[LibraryFile]:
        if self._library is None or refresh:
            self._library = await self.client.library.list()
        return self._library

    async def preflight(self, sequence: Sequence, machines: Iterable[Machine | str]) -> list[PreflightIssue]:
        """Every reason a machine would be refused or would wait (library names checked against a fresh list if
        needed; active actions listed to find busy machines)."""
        machines = list(machines)
        needs_library = any(c.type is not CommandType.GET_FILE for c in sequence.commands)
        library = None
        if needs_library:
            try:
                library = await self.library()
                names = {f.file_name for f in library}
                if any(c.value not in names for c in sequence.commands if c.type is not CommandType.GET_FILE):
                    library = await self.library(refresh=True)  # uploaded since we last looked?
            except E.LrtuiError as e:
                self.board.notice(
                    "warning", f"Could not read the library, so file names were not checked: {e.user_message()}"
                )
        known = [m for m in machines if not isinstance(m, str)]
        active = None
        try:
            active = await active_actions(self.client, (m.id for m in known))
        except E.LrtuiError as e:
            self.board.notice(
                "warning", f"Could not list active actions, so busy machines were not checked: {e.user_message()}"
            )
        issues = run_preflight(sequence, machines, library, active=active)
        return issues + (await self.team.preflight_issues(known) if self.team else [])

    async def submit(
        self,
        sequence: Sequence,
        machines: Iterable[Machine | str],
        *,
        priority: Priority = Priority.BULK,
        out_dir: Path | None = None,
        canary: CanaryPlan | None = None,
    ) -> list[Job]:
        """One job per machine (with ``canary``: the rest held until the canary machines pass, see
        ``batch_control.py``); a plain string is an id or name nobody could resolve (refused, like pre-flight
        errors: those jobs are DONE with outcome REFUSED and nothing is sent for them). Each job records its
        evidence folder and ``out_dir`` (the run's ``--out``), so ``resume`` writes where the run did."""
        uniq: dict[str, Machine | str] = {}
        for m in machines:
            uniq.setdefault(m if isinstance(m, str) else m.id, m)
        targets = list(uniq.values())
        refused = refused_ids(await self.preflight(sequence, targets))
        jobs = self._new_jobs(sequence, targets, refused, priority, out_dir)
        held = self.batches.admit(jobs, targets, canary)  # held jobs are PAUSED before they are journalled
        # write-ahead, one transaction for the whole batch
        if len(jobs) > JOURNAL_IN_THREAD:
            await asyncio.to_thread(self.journal.record_jobs, jobs)
        else:
            self.journal.record_jobs(jobs)
        record_batch(self.journal, jobs)  # one short write: the batch, so it can be listed and stacked
        for job in jobs:
            self.board.add(job)
            if job.state is not JobState.DONE and job.id not in held:
                self.queue.push(job)
        self.queue.renumber()
        for job in jobs:
            self.board.emit(JobChanged(job, "new"))
        self.dispatcher.wake()
        self.flow.budget_changed()
        self.board.poke()
        return jobs

    def _new_jobs(
        self,
        sequence: Sequence,
        targets: list[Machine | str],
        refused: dict[str, str],
        priority: Priority,
        out_dir: Path | None = None,
    ) -> list[Job]:
        batch = uuid.uuid4().hex
        evidence, out = os.path.abspath(self.collector.root), os.path.abspath(out_dir) if out_dir else None
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
                evidence_dir=evidence,
                out_dir=out,
            )
            if mid in refused:
                job.state, job.outcome = JobState.DONE, Outcome.REFUSED
                job.error_code, job.error_message = "Preflight", refused[mid]
                job.finished_at = now
            else:
                job.state = self.flow.waiting_state()
            jobs.append(job)
        return jobs

    # ------------------------------------------------------------ control

    async def cancel(self, job_id: str, comment: str | None = None) -> None:
        """Cancel a job: a queued one is dropped, a submitted one is cancelled on the service."""
        if not self.batches.cancel_held(self.board[job_id]):  # a job its batch holds: dropped, nothing sent
            await self.flow.cancel(self.board[job_id], comment)

    async def retry(self, job_id: str) -> Job:
        """A new job with the same machine and sequence, queued (the old one stays as it ended)."""
        old = self.board[job_id]
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
        new.state = self.flow.waiting_state()
        self.journal.record_job(new)
        self.journal.record_note("retry", {"of": job_id}, new)
        self.board.add(new)
        self.queue.push(new)
        self.queue.renumber()
        self.board.emit(JobChanged(new, "new"))
        self.dispatcher.wake()
        return new

    async def retry_failed(self, outcome: Outcome) -> list[Job]:
        """Retry every finished job with ``outcome`` that was not retried yet."""
        olds = [
            j
            for j in self.board.all()
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
                self.board.job_changed(job, "state")
        self.flow.budget_changed()

    # ------------------------------------------------------------ budgets

    def budget_snapshot(self) -> BudgetSnapshot:
        return self.flow.budget_snapshot()

    def estimate(self, n_jobs: int, n_offline: int = 0) -> float:
        """Seconds until ``n_jobs`` more jobs (after those queued) are all submitted, by the rate budget."""
        return self.budget.drain_estimate(n_jobs + len(self.queue))
