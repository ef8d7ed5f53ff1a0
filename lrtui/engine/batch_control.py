"""``BatchControl`` (``engine.batches``): a batch's canary, its failure limit, and pause/resume/retry/cancel.

It is one of the engine's parts and watches the engine's events (``JobChanged``), never the job flow itself:

- ``admit`` (called by ``Engine.submit`` before the jobs are journalled) picks the canary machines
  (``canary.choose_canaries``) and holds the rest: PAUSED and kept out of the queue, so no call is spent for
  them. Its note goes to the journal first (``batch_notes``).
- Each final job is judged: the canary's verdict once every canary job is final (the rest released, or the batch
  paused with the reason), then the failure limit while the rest runs (``canary.over_limit``).
- After a restart the engine picks up the journal's unfinished jobs and queues the waiting ones
  (``JobChanged(job, "resumed")``); a job of a paused batch, or a non-canary job of a batch whose canary is
  still running, is taken out of the queue again before the dispatcher runs.

Counts use each machine's latest job (a retry replaces the job it retries). Each tracked batch keeps them in a
``BatchTally`` (``batch_counts``), updated one job at a time from the events and the control calls, so judging a
final job, ``state`` and ``settled`` cost the same in a batch of 10 or 10,000 jobs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

from lrtui.engine.batch_counts import FAILED, FINISHED, GONE, OPEN, SINCE_FAILED, SINCE_FINISHED, BatchTally
from lrtui.engine.batch_notes import BatchNote, load_notes, record_note
from lrtui.engine.batch_state import BatchState
from lrtui.engine.board import JobBoard
from lrtui.engine.canary import (
    CanaryPlan,
    Candidate,
    canary_passed,
    canary_reason,
    choose_canaries,
    count_as,
    limit_reason,
    over_limit,
)
from lrtui.engine.flow import JobFlow
from lrtui.engine.jobs import WAITING_STATES, BatchChanged, Event, Job, JobChanged, JobState, Outcome
from lrtui.engine.journal import Journal
from lrtui.engine.scheduler import JobQueue

if TYPE_CHECKING:
    from lrtui.api.models import Machine

RetryFn = Callable[[str], Awaitable[Job]]


def short(batch_id: str) -> str:
    return batch_id[:8]


class BatchControl:
    """The control state of every batch of one engine (single event loop, no locks)."""

    def __init__(
        self,
        *,
        journal: Journal,
        board: JobBoard,
        queue: JobQueue,
        flow: JobFlow,
        retry: RetryFn,
        wall: Callable[[], float],
    ) -> None:
        self.journal = journal
        self.board = board
        self.queue = queue
        self.flow = flow
        self._retry = retry
        self.wall = wall
        self._notes: dict[str, BatchNote] = {}
        self._tallies: dict[str, BatchTally] = {}  #: batch -> its jobs (journal's, then the live ones) and counts
        self._shown: dict[str, BatchState] = {}  #: the state last published
        self._loaded = False
        board.subscribe(self._on_event)

    # ------------------------------------------------------------ submit

    def admit(self, jobs: list[Job], targets: Iterable[Machine | str], plan: CanaryPlan | None) -> set[str]:
        """Plan a new batch: returns the ids of the jobs held back (made PAUSED here, before they are journalled;
        the engine queues only the others). Without a plan the batch is not tracked and nothing is held."""
        if plan is None or not jobs:
            return set()
        self._load()
        bid = jobs[0].batch_id
        machines = {m.id: m for m in targets if not isinstance(m, str)}
        live = [j for j in jobs if j.state is not JobState.DONE]
        note = BatchNote(bid, "running", canary_max_failures=plan.canary_max_failures, max_failures=plan.max_failures)
        held: list[Job] = []
        if 0 < plan.size < len(live):
            canary = choose_canaries([_candidate(j, machines.get(j.machine_id)) for j in live], plan.size)
            chosen = set(canary)
            held = [j for j in live if j.machine_id not in chosen]
            note.phase, note.canary, note.canary_judged = "canary", tuple(canary), False
            note.reason = f"canary: waiting for {len(canary)} canary machine(s) before the other {len(held)}"
        tally = BatchTally((), canary=note.canary)
        for j in held:
            j.state = JobState.PAUSED
            tally.hold(j)
        for j in jobs:
            tally.put(j)
        self._notes[bid] = note
        self._tallies[bid] = tally
        record_note(self.journal, note)  # before the jobs: a restart never releases what a canary holds
        self._publish(bid)
        return set(tally.held)

    # ------------------------------------------------------------ reading

    def state(self, batch_id: str) -> BatchState:
        """The batch's phase, reason and counts (an untracked batch: "running" or "done" by its jobs)."""
        note = self._note(batch_id)
        tally = self._tallies.get(batch_id)
        if tally is not None:
            total, finished, failed = tally.total, tally.count(FINISHED), tally.count(FAILED)
            held = len(tally.held)
        else:  # untracked: from its jobs (the board's, or the journal's)
            latest = self.latest(batch_id)
            counted = [j for j in latest if j.state is JobState.DONE]
            total, finished, failed = len(latest), len(counted), sum(count_as(j.outcome) == "failed" for j in counted)
            held = 0
        phase = note.phase if note else "running"
        all_final = finished == total
        if (phase == "done" and not all_final) or (phase == "running" and all_final and not held):
            phase = "running" if phase == "done" else "done"
        return BatchState(
            batch_id=batch_id,
            phase=phase,
            reason=note.reason if note else "",
            total=total,
            finished=finished,
            failed=failed,
            held=held,
            canary=note.canary if note else (),
            canary_max_failures=note.canary_max_failures if note else 0.0,
            max_failures=note.max_failures if note else None,
        )

    def tally(self, batch_id: str) -> BatchTally | None:
        """The batch's jobs and incremental counts (None: an untracked batch, or one not read yet)."""
        return self._tallies.get(batch_id)

    def is_held(self, job: Job) -> bool:
        tally = self._tallies.get(job.batch_id)
        return tally is not None and job.id in tally.held

    def settled(self, batch_id: str) -> bool:
        """Nothing of the batch is left to run by itself: every unfinished job is held (it waits on the analyst)."""
        tally = self._tallies.get(batch_id)
        if tally is not None:
            return tally.count(OPEN) == 0
        return all(j.state is JobState.DONE for j in self.latest(batch_id))

    # ------------------------------------------------------------ control

    def pause(self, batch_id: str, reason: str = "paused by the analyst") -> BatchState:
        """Hold the batch's queued jobs (jobs already submitted run on); the phase becomes "paused"."""
        note = self._note(batch_id) or self._track(batch_id)
        if self.state(batch_id).phase != "done":
            self._pause(note, reason)
        return self.state(batch_id)

    def resume(self, batch_id: str) -> BatchState:
        """Release the held jobs of a paused batch (a canary not yet judged goes on with its canary machines
        only); the failure limit counts again from now."""
        note = self._note(batch_id)
        if note is None or note.phase != "paused":
            return self.state(batch_id)
        tally = self._tallies[batch_id]
        held = list(tally.held.values())
        if not note.canary_judged:
            note.phase = "canary"
            held = [j for j in held if j.machine_id in note.canary]
        else:
            note.phase = "running"
        note.reason, note.armed_at = "resumed by the analyst", self.wall()
        tally.rearm(note.armed_at)
        record_note(self.journal, note)
        self._release(batch_id, held)
        self.board.notice("info", f"Batch {short(batch_id)} resumed: {len(held)} job(s) released.")
        if note.phase == "canary":  # canaries that finished while the batch was paused: no event will judge them
            self._judge(note)
        self._publish(batch_id)
        return self.state(batch_id)

    async def retry_failed(self, batch_id: str) -> list[Job]:
        """A new job for every machine of the batch whose latest job failed (queued at once, even while the rest
        of the batch is held: the analyst asked for these)."""
        self._note(batch_id) or self._track(batch_id)
        failed = [j for j in self.latest(batch_id) if j.state is JobState.DONE and count_as(j.outcome) == "failed"]
        out: list[Job] = []
        for j in failed:
            if self.board.get(j.id) is None:  # finished in an earlier process: the journal's copy
                self.board.add(j)
            out.append(await self._retry(j.id))
        self._publish(batch_id)
        return out

    async def cancel(self, batch_id: str) -> BatchState:
        """Drop the held and queued jobs (CANCELLED, nothing sent) and cancel the submitted ones on the service."""
        note = self._note(batch_id) or self._track(batch_id)
        note.phase, note.reason = "done", "cancelled by the analyst"
        record_note(self.journal, note)
        tally = self._tallies[batch_id]
        for j in list(tally.held.values()):
            tally.release(j.id)
            j.error_message = "Cancelled before it was sent (the batch was cancelled)."
            self.flow.finish(j, Outcome.CANCELLED)
        for j in self.latest(batch_id):
            if j.state is not JobState.DONE and self.board.get(j.id) is j:
                await self.flow.cancel(j)
        self.board.notice("info", f"Batch {short(batch_id)} cancelled.")
        self._publish(batch_id)
        return self.state(batch_id)

    def cancel_held(self, job: Job) -> bool:
        """Cancel one job its batch holds (nothing was sent for it): True when it was held."""
        tally = self._tallies.get(job.batch_id)
        if tally is None or tally.release(job.id) is None:
            return False
        job.error_message = "Cancelled before it was sent."
        self.flow.finish(job, Outcome.CANCELLED)
        self._publish(job.batch_id)
        return True

    # ------------------------------------------------------------ events

    def _on_event(self, event: Event) -> None:
        if not isinstance(event, JobChanged):
            return
        job = event.job
        note = self._note(job.batch_id)
        if note is None:
            return
        tally = self._tallies[job.batch_id]
        counts_change = tally.jobs.get(job.id) is not job or job.state is JobState.DONE  # new, or final
        tally.put(job)
        if event.what in ("resumed", "requeued") and job.state in WAITING_STATES and _holds(note, job):
            self.queue.remove(job.id)
            job.state = JobState.PAUSED
            tally.hold(job)
            self.queue.renumber()
            self.board.job_changed(job, "held", record=False)  # the journal has it PAUSED already
            counts_change = True
        elif job.state is JobState.DONE:
            self._judge(note)
        if counts_change:  # the state (its counts) is computed only when it may have changed
            self._publish(job.batch_id)

    def _judge(self, note: BatchNote) -> None:
        """Judge a batch after one of its jobs became final: O(1) but for the verdict itself (once)."""
        tally = self._tallies[note.batch_id]
        if note.phase == "canary" and not note.canary_judged:
            if tally.canary_final():
                latest = tally.latest
                self._judge_canary(note, [latest[m] for m in note.canary if m in latest])
        elif note.phase == "running" and note.max_failures is not None:
            self._judge_limit(note, tally)

    def _judge_canary(self, note: BatchNote, canaries: list[Job]) -> None:
        failed = [(j.machine_name, j.outcome) for j in canaries if count_as(j.outcome) == "failed"]
        counted = sum(1 for j in canaries if count_as(j.outcome) != "ignored")
        note.canary_judged = True
        if not canary_passed(len(failed), counted, note.canary_max_failures):
            self._pause(note, canary_reason(failed, counted, len(canaries)))
            return
        held = list(self._tallies[note.batch_id].held.values())
        note.phase = "running"
        note.reason = f"canary: {counted - len(failed)} of {counted} succeeded; the other {len(held)} released"
        record_note(self.journal, note)
        self._release(note.batch_id, held)
        self.board.notice("info", f"Batch {short(note.batch_id)}: {note.reason}.")

    def _judge_limit(self, note: BatchNote, tally: BatchTally) -> None:
        """The failure limit over the jobs final since it was armed (cancelled and refused ones not counted)."""
        assert note.max_failures is not None
        finished, total = tally.count(SINCE_FINISHED), tally.total - tally.count(GONE)
        if not over_limit(tally.count(SINCE_FAILED), finished, total, note.max_failures):
            return
        failed = [  # the reason names the failures: one pass, once (the batch pauses)
            (j.machine_name, j.outcome)
            for j in tally.latest.values()
            if j.state is JobState.DONE and (j.finished_at or 0.0) >= note.armed_at and count_as(j.outcome) == "failed"
        ]
        self._pause(note, limit_reason(failed, finished, note.max_failures))

    # ------------------------------------------------------------ holding and releasing

    def _pause(self, note: BatchNote, reason: str) -> None:
        bid = note.batch_id
        note.phase, note.reason = "paused", reason
        record_note(self.journal, note)
        tally = self._tallies[bid]
        for job in self.queue:
            if job.batch_id == bid:
                self.queue.remove(job.id)
                job.state = JobState.PAUSED
                tally.hold(job)
                self.board.job_changed(job, "held")
        self.queue.renumber()
        self.flow.budget_changed()
        self.board.notice("warning", f"Batch {short(bid)} paused: {reason}")
        self._publish(bid)

    def _release(self, batch_id: str, jobs: list[Job]) -> None:
        tally = self._tallies[batch_id]
        for job in jobs:
            tally.release(job.id)
            job.state = self.flow.waiting_state()
            self.queue.push(job)
            self.board.job_changed(job, "released")
        self.queue.renumber()
        self.flow.dispatcher.wake()
        self.flow.budget_changed()

    # ------------------------------------------------------------ bookkeeping

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            for bid, note in load_notes(self.journal).items():
                self._notes.setdefault(bid, note)

    def _note(self, batch_id: str) -> BatchNote | None:
        self._load()
        note = self._notes.get(batch_id)
        if note is not None and batch_id not in self._tallies:  # known from the journal: its jobs, as journalled
            jobs = self.journal.jobs_in_batch(batch_id)
            self._tallies[batch_id] = BatchTally(jobs, canary=note.canary, armed_at=note.armed_at)
        return note

    def _track(self, batch_id: str) -> BatchNote:
        """Start tracking a batch submitted without a plan (the analyst pauses or retries it)."""
        note = BatchNote(batch_id, "running")
        self._notes[batch_id] = note
        tally = BatchTally(self.journal.jobs_in_batch(batch_id))
        for j in self.board.all():
            if j.batch_id == batch_id:
                tally.put(j)
        self._tallies[batch_id] = tally
        return note

    def latest(self, batch_id: str) -> list[Job]:
        """Each machine's latest job of the batch (a retry replaces what it retried)."""
        tally = self._tallies.get(batch_id)
        if tally is not None:
            return list(tally.latest.values())
        jobs = [j for j in self.board.all() if j.batch_id == batch_id]  # untracked: a pass over its jobs
        return list(BatchTally(jobs or self.journal.jobs_in_batch(batch_id)).latest.values())

    def _publish(self, batch_id: str) -> None:
        if batch_id not in self._notes:
            return
        st = self.state(batch_id)
        if self._shown.get(batch_id) != st:
            self._shown[batch_id] = st
            self.board.emit(BatchChanged(batch_id, st))


def _holds(note: BatchNote, job: Job) -> bool:
    """Whether a waiting job picked up after a restart stays held."""
    return note.phase == "paused" or (note.phase == "canary" and job.machine_id not in note.canary)


def _candidate(job: Job, machine: Machine | None) -> Candidate:
    platform = (machine.os_platform if machine else None) or job.os_family
    group = (machine.rbac_group_name if machine else None) or ""
    return Candidate(job.machine_id, platform, group, job.machine_online)
