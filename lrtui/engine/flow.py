"""How one job moves: submission (write-ahead, 429s, blocks, uncertain POSTs), reconciliation, following the
action's status, and collecting its results. A mixin of ``Engine`` (``engine.py``), split off to keep each file
about one responsibility; it uses the engine's budget, queue, dispatcher, poller, collector and journal."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from lrtui.api import errors as E
from lrtui.api.models import MachineAction
from lrtui.engine.budget import RATE, Ticket
from lrtui.engine.jobs import Job, JobState, Outcome
from lrtui.engine.outcomes import error_code, error_text, final_outcome, outcome_for_error, state_for_status
from lrtui.engine.reconcile import comment_with_marker, explain_block, find_job_action, machine_actions, marker

log = logging.getLogger("lrtui.engine.engine")
MAX_ATTEMPTS = 3  #: submissions of one job that certainly did not reach the service before giving up


class JobFlow:
    """Submission, reconciliation, following and collecting (mixed into ``Engine``)."""

    # provided by Engine: client, journal, settings, budget, queue, dispatcher, poller, collector, wall, and the
    # helpers _changed_job, _budget_changed, _notice, _spawn
    client: Any
    journal: Any

    # ------------------------------------------------------------ submission

    def _body(self, job: Job) -> dict[str, Any]:
        body = job.sequence.to_body()
        body["Comment"] = comment_with_marker(job.sequence.comment, job.id)
        return body

    async def _submit(self, job: Job, ticket: Ticket) -> None:
        job.state, job.attempts, job.queue_position = JobState.SUBMITTING, job.attempts + 1, None
        job.submitted_at = self.wall()
        self.journal.record_submitting(job)  # write-ahead: before the POST
        self.queue.renumber()
        self._changed_job(job, "state", record=False)
        self._budget_changed()
        try:
            action = await self.client.run_live_response(job.machine_id, self._body(job), marker=marker(job.id))
        except E.RateLimited as e:
            self.budget.confirm_call(ticket)
            self._rate_limited(job, e)
            return
        except E.SubmissionUncertain as e:
            self.budget.confirm_call(ticket)
            self.journal.record_error(job, "SubmissionUncertain", e.user_message())
            self._notice("warning", f"{job.machine_name}: the submission's fate is unknown; looking for it.")
            self._spawn(self._reconcile(job), f"reconcile-{job.id}")
            return
        except E.ActiveRequestAlreadyExists as e:
            self.budget.confirm_call(ticket)
            await self._blocked(job, e)
            return
        except E.ConnectionFailed as e:  # the connection never opened: certainly not sent, safe to queue again
            self.budget.confirm_call(ticket)
            if job.attempts < MAX_ATTEMPTS:
                self._requeue(job, e, f"{job.machine_name}: could not connect; the job is queued again.")
            else:
                self._fail(job, Outcome.API_ERROR, error_code(e), error_text(e))
            return
        except (E.LrtuiError, OSError) as e:
            self.budget.confirm_call(ticket)
            self._fail(job, outcome_for_error(e), error_code(e), error_text(e))
            return
        self.budget.confirm_call(ticket)
        self._adopt_action(job, action)

    def _rate_limited(self, job: Job, e: E.RateLimited) -> None:
        wait = self.budget.back_off(RATE, e.retry_after)
        self._requeue(job, e, f"The service answered 429 to a submission; waiting {wait:.0f} s before the next.")

    def _requeue(self, job: Job, e: Exception, notice: str) -> None:
        """Put a job that was certainly not submitted back at its place in the queue."""
        self.budget.release(job.id, job.machine_id)
        job.state = JobState.PAUSED if self.dispatcher.paused else JobState.QUEUED
        job.error_code, job.error_message = error_code(e), error_text(e)
        self.journal.record_error(job, job.error_code, job.error_message)
        self.queue.push(job)
        self.queue.renumber()
        self._changed_job(job, "requeued")
        self._notice("warning", notice)
        self.dispatcher.wake()

    async def _blocked(self, job: Job, e: E.ActiveRequestAlreadyExists) -> None:
        try:
            message = explain_block(await machine_actions(self.client, job.machine_id), job.machine_name)
        except E.LrtuiError:
            message = e.user_message()
        self._fail(job, Outcome.BLOCKED, error_code(e), message)

    def _fail(self, job: Job, outcome: Outcome, code: str, message: str) -> None:
        self.budget.release(job.id, job.machine_id)
        job.error_code, job.error_message = code, message
        self.journal.record_error(job, code, message)
        self._finish(job, outcome)
        self.dispatcher.wake()

    def _finish(self, job: Job, outcome: Outcome) -> None:
        job.state, job.outcome, job.finished_at = JobState.DONE, outcome, self.wall()
        self._changed_job(job, "final")
        self._budget_changed()

    def _adopt_action(self, job: Job, action: MachineAction) -> None:
        job.action_id = action.id
        self._by_action[action.id] = job.id
        self._apply(job, action)
        job.state = state_for_status(job.action_status, job.machine_online)
        if action.is_final:
            job.state = JobState.PENDING  # the poller will see it final and collect
        self.journal.record_action(job, action.requestor)  # the action id, as soon as known
        self._changed_job(job, "action", record=False)
        self.poller.follow(action.id, online=job.machine_online)
        if job.id in self._cancel_wanted:
            self._spawn(self.cancel(job.id, self._cancel_wanted.pop(job.id)), f"cancel-{job.id}")

    async def _reconcile(self, job: Job) -> None:
        """Find the action a SUBMITTING job may have created; requeue the job when there is none."""
        while True:
            try:
                action = await find_job_action(self.client, job.machine_id, job.id)
            except E.LrtuiError as e:
                self._notice("warning", f"{job.machine_name}: cannot list actions to reconcile: {e.user_message()}")
                action = None
                await asyncio.sleep(min(self.settings.poll_fast_s * 2, 30.0))
                continue
            if action is not None:
                self.journal.record_note("reconciled", {"action_id": action.id}, job)
                self._adopt_action(job, action)
                return
            age = self.wall() - (job.submitted_at or job.created_at)
            if age >= self.settings.reconcile_grace_s:
                break
            await asyncio.sleep(min(self.settings.reconcile_grace_s - age, self.settings.poll_fast_s) + 0.01)
        self.journal.record_note("not_submitted", {"machine_id": job.machine_id}, job)
        self.budget.release(job.id, job.machine_id)
        job.state = JobState.PAUSED if self.dispatcher.paused else JobState.QUEUED
        self.queue.push(job)
        self.queue.renumber()
        self._changed_job(job, "requeued")
        self.dispatcher.wake()

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

    async def _on_action(self, action: MachineAction) -> None:
        job_id = self._by_action.get(action.id)
        job = self._jobs.get(job_id) if job_id else None
        if job is None or job.state in (JobState.DONE, JobState.COLLECTING):
            self.poller.unfollow(action.id)
            return
        changed = self._apply(job, action)
        if action.is_final:
            self.poller.unfollow(action.id)
            self.budget.release(job.id, job.machine_id)
            self.dispatcher.wake()
            job.state = JobState.COLLECTING
            self._changed_job(job, "state")
            self._spawn(self._collect(job, action), f"collect-{job.id}")
            return
        new_state = state_for_status(action.status, job.machine_online)
        if changed or new_state is not job.state:
            what = "state" if new_state is not job.state else "command"
            job.state = new_state
            self._changed_job(job, what)

    def _on_missing(self, action_id: str) -> None:
        self._spawn(self._look_up(action_id), f"lookup-{action_id}")

    async def _look_up(self, action_id: str) -> None:
        job_id = self._by_action.get(action_id)
        job = self._jobs.get(job_id) if job_id else None
        if job is None:
            self.poller.unfollow(action_id)
            return
        try:
            action = await self.client.get_action(action_id)
        except E.NotFound as e:
            self.poller.unfollow(action_id)
            self._fail(
                job,
                Outcome.API_ERROR,
                error_code(e),
                f"The service no longer knows action {action_id}; check the device's actions in the portal.",
            )
            return
        except E.LrtuiError:
            return  # transient: the next check will try again
        await self._on_action(action)

    async def _collect_by_id(self, job: Job) -> None:
        assert job.action_id is not None
        try:
            action = await self.client.get_action(job.action_id, fresh=True)
        except E.LrtuiError as e:
            self._fail(job, Outcome.API_ERROR, error_code(e), error_text(e))
            return
        self._apply(job, action)
        await self._collect(job, action)

    async def _collect(self, job: Job, action: MachineAction) -> None:
        try:
            await self._collect_results(job, action)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            log.exception("collecting results of job %s failed", job.id)
            self._fail(job, Outcome.API_ERROR, type(e).__name__, f"Collecting the results failed: {e}")

    async def _collect_results(self, job: Job, action: MachineAction) -> None:
        if not action.commands and job.sequence.commands:
            try:
                action = await self.client.get_action(action.id, fresh=True)  # the list may omit commands
                self._apply(job, action)
            except E.LrtuiError:
                pass
        job.results = self.collector.base_results(job, action)
        async with self._downloads:
            for cmd in sorted(action.commands, key=lambda c: c.index):
                r = next(r for r in job.results if r.index == cmd.index)
                if await self.collector.collect_one(job, action, cmd, r):
                    self.journal.record_result(job, r)
                    self._changed_job(job, "result", record=False)
        self.collector.forget_links(action.id)
        self._finish(job, final_outcome(job))
