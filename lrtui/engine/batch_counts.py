"""``BatchTally``: one tracked batch's jobs, each machine's latest job and the counts ``BatchControl`` judges by,
kept up to date one job at a time (no pass over the batch per event).

Each machine's latest job is the one with the greatest ``created_at``, a tie going to the job seen last (a retry
replaces what it retried). Every count is a sum over the latest jobs of what each one adds (``_weigh``); a change
to one job re-weighs only its machine. ``created_at`` never changes (a retry is a new job). Only ``rearm``
(the failure limit counting from a new instant) re-weighs every machine, once.
"""

from __future__ import annotations

from collections.abc import Iterable

from lrtui.engine.canary import count_as
from lrtui.engine.jobs import Job, JobState

#: what a machine's latest job adds to each count (the positions of ``_weigh``'s tuple)
FINISHED, FAILED, OPEN, CANARY_DONE, GONE, SINCE_FINISHED, SINCE_FAILED = range(7)
_ZERO = (0, 0, 0, 0, 0, 0, 0)


class BatchTally:
    """A batch's jobs (job id -> job, in the order first seen), its held jobs and its incremental counts."""

    def __init__(self, jobs: Iterable[Job], *, canary: Iterable[str] = (), armed_at: float = 0.0) -> None:
        self.jobs: dict[str, Job] = {}
        self.latest: dict[str, Job] = {}  #: machine id -> its latest job (machines in the order first seen)
        self.held: dict[str, Job] = {}  #: job id -> a job held out of the queue
        self.canary_present = 0  #: canary machines with a job in the batch
        self._order: dict[str, int] = {}  #: job id -> when it was first seen
        self._canary = frozenset(canary)
        self._armed_at = armed_at
        self._weights: dict[str, tuple[int, ...]] = {}  #: machine id -> what its latest job adds
        self._sums = list(_ZERO)
        for job in jobs:
            self.put(job)

    # ------------------------------------------------------------ changes

    def put(self, job: Job) -> None:
        """A job is new or changed (a job with a known id replaces the copy kept so far)."""
        if job.id not in self._order:
            self._order[job.id] = len(self._order)
        self.jobs[job.id] = job
        mid = job.machine_id
        cur = self.latest.get(mid)
        if cur is None:
            self.canary_present += mid in self._canary
        elif cur.id != job.id and not self._newer(job, cur):
            return  # an older job of its machine: it counts for nothing
        self.latest[mid] = job
        self._reweigh(mid)

    def hold(self, job: Job) -> None:
        self.held[job.id] = job
        self._touch(job)

    def release(self, job_id: str) -> Job | None:
        """Stop holding a job: the job, or None when it was not held."""
        job = self.held.pop(job_id, None)
        if job is not None:
            self._touch(job)
        return job

    def rearm(self, armed_at: float) -> None:
        """The failure limit counts only jobs final from ``armed_at`` on: one pass over the machines."""
        self._armed_at = armed_at
        for mid in self.latest:
            self._reweigh(mid)

    # ------------------------------------------------------------ counts

    @property
    def total(self) -> int:
        return len(self.latest)

    def count(self, which: int) -> int:
        """One count over the latest jobs: ``FINISHED``, ``FAILED``, ``OPEN`` (neither final nor held),
        ``CANARY_DONE``, ``GONE`` (final but not counted by the limit: before ``armed_at``, or ignored),
        ``SINCE_FINISHED`` and ``SINCE_FAILED`` (final and counted by the limit)."""
        return self._sums[which]

    def canary_final(self) -> bool:
        """Every canary machine's latest job is final (and there is at least one)."""
        return 0 < self.canary_present == self._sums[CANARY_DONE]

    # ------------------------------------------------------------ inner

    def _newer(self, job: Job, than: Job) -> bool:
        return (job.created_at, self._order[job.id]) > (than.created_at, self._order[than.id])

    def _touch(self, job: Job) -> None:
        cur = self.latest.get(job.machine_id)
        if cur is not None and cur.id == job.id:
            self._reweigh(job.machine_id)

    def _reweigh(self, mid: str) -> None:
        old = self._weights.get(mid, _ZERO)
        new = self._weigh(self.latest[mid])
        self._weights[mid] = new
        sums = self._sums
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            sums[i] += b - a

    def _weigh(self, job: Job) -> tuple[int, ...]:
        if job.state is not JobState.DONE:
            return (0, 0, int(job.id not in self.held), 0, 0, 0, 0)
        verdict = count_as(job.outcome)
        failed = int(verdict == "failed")
        gone = int((job.finished_at or 0.0) < self._armed_at or verdict == "ignored")
        canary = int(job.machine_id in self._canary)
        return (1, failed, 0, canary, gone, 1 - gone, failed * (1 - gone))
