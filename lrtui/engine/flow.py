"""How one job moves: submission (write-ahead, 429s, blocks, uncertain POSTs), reconciliation, cancelling,
following the action's status, and collecting its results.

``JobFlow`` is one of the ``Engine``'s parts (``engine.py`` builds it): it is given the client, the journal,
the budget, the queue and dispatcher, the poller, the result collector, the job board and the task set, and
it is what the dispatcher's ``submit`` and the poller's ``on_action``/``on_missing`` end up calling.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lrtui.api import errors as E
from lrtui.api.errors import error_code, error_text
from lrtui.engine.board import JobBoard
from lrtui.engine.budget import RATE, Budget, Ticket
from lrtui.engine.budget_text import held_notice
from lrtui.engine.jobs import WAITING_STATES, BudgetChanged, BudgetSnapshot, Job, JobChanged, JobState, Outcome
from lrtui.engine.journal import Journal, JournalError
from lrtui.engine.outcomes import final_outcome, outcome_for_error, state_for_status
from lrtui.engine.poller import Poller
from lrtui.engine.reconcile import comment_with_marker, explain_block, find_job_action, machine_actions, marker
from lrtui.engine.results import ResultCollector
from lrtui.engine.scheduler import Dispatcher, JobQueue
from lrtui.engine.tasks import TaskSet

if TYPE_CHECKING:
    from lrtui.api.client import MdeClient
    from lrtui.api.models import MachineAction
    from lrtui.engine.team.coordinator import TeamCoordinator

log = logging.getLogger("lrtui.engine.engine")
MAX_ATTEMPTS = 3  #: submissions of one job that certainly did not reach the service before giving up


class JobFlow:
    """Submission, reconciliation, cancelling, following and collecting, for every job of one engine."""

    def __init__(
        self,
        *,
        client: MdeClient,
        journal: Journal,
        budget: Budget,
        queue: JobQueue,
        dispatcher: Dispatcher,
        poller: Poller,
        collector: ResultCollector,
        board: JobBoard,
        tasks: TaskSet,
        wall: Callable[[], float],
        download_concurrency: int = 4,
        team: TeamCoordinator | None = None,
    ) -> None:
        self.client = client
        self.team = team
        self.journal = journal
        self.budget = budget
        self.settings = budget.settings
        self.queue = queue
        self.dispatcher = dispatcher
        self.poller = poller
        self.collector = collector
        self.board = board
        self.tasks = tasks
        self.wall = wall
        self._cancel_wanted: dict[str, str | None] = {}
        self._downloads = asyncio.Semaphore(download_concurrency)

    # ------------------------------------------------------------ shared

    def waiting_state(self) -> JobState:
        """The state of a job waiting in the queue: PAUSED while the queue is paused, else QUEUED."""
        return JobState.PAUSED if self.dispatcher.paused else JobState.QUEUED

    def budget_snapshot(self) -> BudgetSnapshot:
        snap = self.budget.snapshot(queued=len(self.queue), active=self.board.active(), paused=self.dispatcher.paused)
        if self.team is None:
            return snap
        return dataclasses.replace(snap, team=self.team.usage, team_degraded=self.team.degraded)

    def budget_changed(self) -> None:
        self.board.emit_soon(self._budget_event)  # once per turn of the loop: a snapshot counts every job

    def _budget_event(self) -> BudgetChanged:
        return BudgetChanged(self.budget_snapshot())

    def resume(self, job: Job) -> None:
        """Pick up a journalled job (after a restart or ``stop()``) where it was."""
        self.board.add(job)
        if job.state in WAITING_STATES:
            job.state = self.waiting_state()
            self.queue.push(job)
        elif job.state is JobState.SUBMITTING or (job.action_id is None and job.state is not JobState.DONE):
            self.budget.adopt(job.id, job.machine_id)
            self.tasks.spawn(self.reconcile(job), f"reconcile-{job.id}")
        elif job.state is JobState.COLLECTING:
            self.tasks.spawn(self._collect_by_id(job), f"collect-{job.id}")
        elif job.action_id is not None:
            self.budget.adopt(job.id, job.machine_id)
            self.poller.follow(job.action_id, online=job.state is not JobState.OFFLINE)
        self.board.emit(JobChanged(job, "resumed"))

    # ------------------------------------------------------------ submission

    def _body(self, job: Job) -> dict[str, Any]:
        body = job.sequence.to_body()
        body["Comment"] = comment_with_marker(job.sequence.comment, job.id)
        return body

    async def submit(self, job: Job, ticket: Ticket) -> None:
        """POST one job's action (the dispatcher booked ``ticket``); the journal has it as SUBMITTING first. With a
        team, the machine's hold and a team rate slot come first (still QUEUED in the journal while waiting)."""
        if self.team is not None and not await self._team_gate(job, ticket):
            return
        job.state, job.attempts, job.queue_position = JobState.SUBMITTING, job.attempts + 1, None
        job.submitted_at = self.wall()
        self.journal.record_submitting(job)  # write-ahead: before the POST
        self.queue.renumber()
        self.board.job_changed(job, "state", record=False)
        self.budget_changed()
        try:
            action = await self.client.live_response.run(job.machine_id, self._body(job), marker=marker(job.id))
        except (E.LrtuiError, OSError) as e:
            self.budget.confirm_call(ticket)
            await self._submit_failed(job, e)
            return
        self.budget.confirm_call(ticket)
        self._adopt_action(job, action)

    async def _team_gate(self, job: Job, ticket: Ticket) -> bool:
        """True to send now; else the job is back in the queue (or cancelled meanwhile) and nothing was spent."""
        assert self.team is not None
        go = await self.team.before_submit(job)
        if go and self.team.degraded:  # no machine lock while the store is gone: is a teammate's action there?
            with contextlib.suppress(E.LrtuiError):
                active = [a for a in await machine_actions(self.client, job.machine_id, top=5) if a.is_active]
                go = not active or not self.team.held_elsewhere(job, active[0].requestor, active[0].requestor_comment)
        if job.id in self._cancel_wanted:  # cancelled while it waited for the team: never sent
            self._cancel_wanted.pop(job.id)
            self.budget.unbook(ticket)
            job.error_message = "Cancelled before it was sent."
            self.finish(job, Outcome.CANCELLED)
            return False
        if not go:
            self.budget.unbook(ticket)
            job.state = self.waiting_state()
            self.queue.push(job)
            self.queue.renumber()
            self.board.job_changed(job, "requeued")
            self.dispatcher.wake()
        return go

    async def _submit_failed(self, job: Job, e: E.LrtuiError | OSError) -> None:
        if isinstance(e, E.RateLimited):
            wait = self.budget.back_off(RATE, e.retry_after)
            self._requeue(job, e, f"The service answered 429 to a submission; waiting {wait:.0f} s before the next.")
        elif isinstance(e, E.RetryAfterTooLong):  # never slept on: held for the limit at most, said, resumable
            wait = self.budget.back_off(RATE, e.retry_after)
            self._requeue(job, e, held_notice("runliveresponse", e.retry_after, wait))
        elif isinstance(e, E.SubmissionUncertain):
            self.journal.record_error(job, "SubmissionUncertain", e.user_message())
            self.board.notice("warning", f"{job.machine_name}: the submission's fate is unknown; looking for it.")
            self.tasks.spawn(self.reconcile(job), f"reconcile-{job.id}")
        elif (
            isinstance(e, E.ActiveRequestAlreadyExists)
            and self.team
            and self.team.degraded
            and job.attempts < MAX_ATTEMPTS
        ):
            self.team.held_elsewhere(job, None, None)  # most likely a teammate's, unseen while the store is gone
            self._requeue(job, e, f"{job.machine_name} is busy (the team store is unavailable); it is tried again.")
        elif isinstance(e, E.ActiveRequestAlreadyExists):
            await self._blocked(job, e)
        elif isinstance(e, E.ConnectionFailed):  # the connection never opened: certainly not sent, safe to queue
            if job.attempts < MAX_ATTEMPTS:
                self._requeue(job, e, f"{job.machine_name}: could not connect; the job is queued again.")
            else:
                self.fail(job, Outcome.API_ERROR, error_code(e), error_text(e))
        else:
            self.fail(job, outcome_for_error(e), error_code(e), error_text(e))

    def _requeue(self, job: Job, e: Exception, notice: str) -> None:
        """Put a job that was certainly not submitted back at its place in the queue."""
        self.budget.release(job.id, job.machine_id)
        job.state = self.waiting_state()
        job.error_code, job.error_message = error_code(e), error_text(e)
        self.journal.record_error(job, job.error_code, job.error_message)
        self.queue.push(job)
        self.queue.renumber()
        self.board.job_changed(job, "requeued")
        self.board.notice("warning", notice)
        self.dispatcher.wake()

    async def _blocked(self, job: Job, e: E.ActiveRequestAlreadyExists) -> None:
        try:
            message = explain_block(await machine_actions(self.client, job.machine_id), job.machine_name)
        except E.LrtuiError:
            message = e.user_message()
        self.fail(job, Outcome.BLOCKED, error_code(e), message)

    def fail(self, job: Job, outcome: Outcome, code: str, message: str) -> None:
        self.budget.release(job.id, job.machine_id)
        job.error_code, job.error_message = code, message
        self.journal.record_error(job, code, message)
        self.finish(job, outcome)
        self.dispatcher.wake()

    def finish(self, job: Job, outcome: Outcome) -> None:
        job.state, job.outcome, job.finished_at = JobState.DONE, outcome, self.wall()
        self.board.job_changed(job, "final")
        self.budget_changed()

    def _adopt_action(self, job: Job, action: MachineAction) -> None:
        job.action_id = action.id
        self.board.link_action(action.id, job.id)
        self._apply(job, action)
        job.state = state_for_status(job.action_status, job.machine_online)
        if action.is_final:
            job.state = JobState.PENDING  # the poller will see it final and collect
        self.journal.record_action(job, action.requestor)  # the action id, as soon as known
        self.board.job_changed(job, "action", record=False)
        self.poller.follow(action.id, online=job.machine_online)
        if job.id in self._cancel_wanted:
            self.tasks.spawn(self.cancel(job, self._cancel_wanted.pop(job.id)), f"cancel-{job.id}")

    async def reconcile(self, job: Job) -> None:
        """Find the action a SUBMITTING job may have created; requeue the job when there is none."""
        while True:
            try:
                action = await find_job_action(self.client, job.machine_id, job.id)
            except E.LrtuiError as e:
                self.board.notice(
                    "warning", f"{job.machine_name}: cannot list actions to reconcile: {e.user_message()}"
                )
                await asyncio.sleep(min(self.settings.poll_fast_s * 2, 30.0))
                continue
            if action is not None:
                self.journal.record_note("reconciled", {"action_id": action.id}, job)
                self._adopt_action(job, action)
                return
            age = self.wall() - (job.submitted_at or job.created_at)
            if age >= self.settings.reconcile_grace_s:
                break
            # its own pace (5 s at the real clock's speed), not the poller's floor: reconciling must not eat its budget
            pace = max(self.settings.poll_fast_s, self.settings.general_window_s / 12)
            await asyncio.sleep(min(self.settings.reconcile_grace_s - age, pace) + 0.01)
        self.journal.record_note("not_submitted", {"machine_id": job.machine_id}, job)
        self.budget.release(job.id, job.machine_id)
        job.state = self.waiting_state()
        self.queue.push(job)
        self.queue.renumber()
        self.board.job_changed(job, "requeued")
        self.dispatcher.wake()

    # ------------------------------------------------------------ cancelling

    async def cancel(self, job: Job, comment: str | None = None) -> None:
        """Cancel a job: dropped from the queue, or its action cancelled on the service (once it is known)."""
        if job.state is JobState.DONE or job.state is JobState.COLLECTING:
            return
        if self.queue.remove(job.id) is not None:
            job.error_message = "Cancelled before it was sent."
            self.queue.renumber()
            self.finish(job, Outcome.CANCELLED)
            return
        if job.action_id is None:
            self._cancel_wanted[job.id] = comment  # SUBMITTING: cancel as soon as the action id is known
            return
        text = comment or f"Cancelled from lrtui [{marker(job.id)}]"
        try:
            action = await self.client.actions.cancel(job.action_id, text)
        except E.LrtuiError as e:
            self.journal.record_error(job, error_code(e), error_text(e))
            self.board.notice("error", f"{job.machine_name}: cancel failed: {e.user_message()}")
            return
        self.journal.record_note("cancel", {"comment": text}, job)
        await self.on_action(action)
        self.poller.poll_now()

    # ------------------------------------------------------------ following

    def _apply(self, job: Job, action: MachineAction) -> bool:
        """Copy the action's status into the job; True when something changed."""
        before = (job.action_status, list(job.command_status))
        job.action_status = action.status
        if action.commands:
            cmds = sorted(action.commands, key=lambda c: c.index)
            n = max(len(job.sequence.commands), len(cmds))
            status: list[str | None] = [None] * n
            started: list[float | None] = list(job.command_started) + [None] * (n - len(job.command_started))
            for c in cmds:
                if 0 <= c.index < n:
                    status[c.index] = c.command_status
                    if c.start_time is not None:
                        started[c.index] = c.start_time.timestamp()
            job.command_status, job.command_started = status, started[:n]
        if action.status == "InProgress":
            job.machine_online = True
            if job.started_at is None:
                job.started_at = self.wall()
        return before != (job.action_status, job.command_status)

    async def on_action(self, action: MachineAction) -> None:
        """The poller (or a cancel) saw ``action``: update its job; a final action starts the collection."""
        job = self.board.for_action(action.id)
        if job is None or job.state in (JobState.DONE, JobState.COLLECTING):
            self.poller.unfollow(action.id)
            return
        changed = self._apply(job, action)
        if action.is_final:
            self.poller.unfollow(action.id)
            self.budget.release(job.id, job.machine_id)
            self.dispatcher.wake()
            job.state = JobState.COLLECTING
            self.board.job_changed(job, "state")
            self.tasks.spawn(self._collect(job, action), f"collect-{job.id}")
            return
        new_state = state_for_status(action.status, job.machine_online)
        if changed or new_state is not job.state:
            what = "state" if new_state is not job.state else "command"
            job.state = new_state
            self.board.job_changed(job, what)

    def on_missing(self, action_id: str) -> None:
        """The poller has not seen ``action_id`` listed for a while: look it up on its own."""
        self.tasks.spawn(self._look_up(action_id), f"lookup-{action_id}")

    async def _look_up(self, action_id: str) -> None:
        job = self.board.for_action(action_id)
        if job is None:
            self.poller.unfollow(action_id)
            return
        try:
            action = await self.client.actions.get(action_id)
        except E.NotFound as e:
            self.poller.unfollow(action_id)
            self.fail(
                job,
                Outcome.API_ERROR,
                error_code(e),
                f"The service no longer knows action {action_id}; check the device's actions in the portal.",
            )
            return
        except E.LrtuiError:
            return  # transient: the next check will try again
        await self.on_action(action)

    # ------------------------------------------------------------ collecting

    async def _collect_by_id(self, job: Job) -> None:
        assert job.action_id is not None
        try:
            action = await self.client.actions.get(job.action_id, fresh=True)
        except E.LrtuiError as e:
            self.fail(job, Outcome.API_ERROR, error_code(e), error_text(e))
            return
        self._apply(job, action)
        await self._collect(job, action)

    async def _collect(self, job: Job, action: MachineAction) -> None:
        try:
            await self._collect_results(job, action)
        except asyncio.CancelledError:
            raise
        except JournalError as e:  # e.g. disk full: the journal still says COLLECTING, so `resume` collects again
            job.error_code, job.error_message = "JournalError", e.user_message()
            job.state, job.outcome, job.finished_at = JobState.DONE, Outcome.API_ERROR, self.wall()
            self.board.notice("error", f"{job.machine_name}: {e.user_message()}")
            self.board.job_changed(job, "final", record=False)  # not journalled: never wait on it forever
        except Exception as e:
            log.exception("collecting results of job %s failed", job.id)
            self.fail(job, Outcome.API_ERROR, type(e).__name__, f"Collecting the results failed: {e}")

    async def _collect_results(self, job: Job, action: MachineAction) -> None:
        if not action.commands and job.sequence.commands:
            try:
                action = await self.client.actions.get(action.id, fresh=True)  # the list may omit commands
                self._apply(job, action)
            except E.LrtuiError:
                pass
        job.results = self.collector.base_results(job, action)
        async with self._downloads:
            for cmd in sorted(action.commands, key=lambda c: c.index):
                r = next(r for r in job.results if r.index == cmd.index)
                if await self.collector.collect_one(job, action, cmd, r):
                    self.journal.record_result(job, r)
                    self.board.job_changed(job, "result", record=False)
        self.collector.forget_links(action.id)
        self.finish(job, final_outcome(job))
