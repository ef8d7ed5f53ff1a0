"""Engine data types shared with the TUI and the CLI: jobs, outcomes, results, budget snapshots, events.

Plain dataclasses, no I/O. The engine mutates ``Job`` objects it owns and emits ``JobChanged`` events that
carry the job; subscribers must treat what they receive as read-only. ``RequestRecord`` (what ``RequestLogged``
carries) lives in ``lrtui.api.records``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from lrtui.api.records import RequestRecord
from lrtui.api.sequence import Sequence
from lrtui.engine.batch_state import BatchState

if TYPE_CHECKING:  # pydantic stays out of the first frame's imports
    from lrtui.api.models import ScriptResult
    from lrtui.engine.team.models import TeamUsage


class JobState(StrEnum):
    QUEUED = "queued"  #: waiting for budget (rate, sessions, machine busy)
    PAUSED = "paused"  #: queue paused by the user
    SUBMITTING = "submitting"  #: recorded in the journal, POST in flight
    PENDING = "pending"  #: action accepted, device has not picked it up
    OFFLINE = "offline"  #: action accepted for an offline device: the service queues it up to 3 days
    RUNNING = "running"  #: action InProgress
    COLLECTING = "collecting"  #: action final, results being downloaded
    DONE = "done"  #: final; see ``Job.outcome``


ACTIVE_STATES = frozenset({JobState.SUBMITTING, JobState.PENDING, JobState.OFFLINE, JobState.RUNNING})
WAITING_STATES = frozenset({JobState.QUEUED, JobState.PAUSED})


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    SCRIPT_FAILED = "script_failed"  #: a RunScript exited non-zero (stderr with exit 0 is not: ``stderr_line``)
    COMMAND_FAILED = "command_failed"  #: a command Failed (later ones did not run)
    TIMED_OUT = "timed_out"  #: script timeout or the 3-day offline queue expired
    CANCELLED = "cancelled"
    BLOCKED = "blocked"  #: ActiveRequestAlreadyExists (incl. an invisible portal session)
    NOT_ALLOWED = "not_allowed"  #: DisallowedOperation / OsPlatformNotSupported / Forbidden
    REFUSED = "refused"  #: pre-flight refused it: no call was spent
    API_ERROR = "api_error"  #: anything else from the service or the network


FAILED_OUTCOMES = frozenset(set(Outcome) - {Outcome.SUCCEEDED})


#: characters of each RunScript text (stdout, stderr) kept in ``CommandResult.script``; the whole text is in files
PREVIEW_CHARS = 65536


class Priority(StrEnum):
    INTERACTIVE = "interactive"  #: single-machine runs from the app go first
    BULK = "bulk"


@dataclass(slots=True)
class CommandResult:
    """What one command produced, as collected (and journalled).

    RunScript: ``script`` holds at most ``PREVIEW_CHARS`` characters of stdout and of stderr; the whole texts
    are the files ``stdout_path``/``stderr_path`` (UTF-8, NUL padding kept) and ``result_path`` is the result
    document as received, each with its sha256."""

    index: int
    type: str  #: PutFile / RunScript / GetFile
    status: str | None = None  #: the service's commandStatus (Created/Completed/Failed/...)
    errors: str = ""  #: the service's command errors, as text
    script: ScriptResult | None = None  #: RunScript: exit code and the previews of stdout/stderr
    output_truncated: bool = False  #: the previews in ``script`` are cut (the files hold the whole texts)
    stdout_path: str | None = None  #: RunScript: the whole stdout
    stderr_path: str | None = None  #: RunScript: the whole stderr
    result_path: str | None = None  #: RunScript: the raw result document
    stdout_sha256: str | None = None
    stderr_sha256: str | None = None
    result_sha256: str | None = None  #: of the result document's bytes as stored (as received, gzip undone)
    stdout_size: int | None = None  #: bytes of the stdout file
    stderr_size: int | None = None
    file_path: str | None = None  #: GetFile: where the (decompressed) file was saved
    size: int | None = None  #: bytes on disk after decompression
    sha256_received: str | None = None  #: hash of the bytes as received (gzip)
    sha256: str | None = None  #: hash of the decompressed file
    downloaded: bool = False
    download_error: str | None = None


@dataclass(slots=True)
class Job:
    """One sequence on one machine."""

    id: str  #: local job id (uuid4 hex); also the marker put into the Comment
    batch_id: str
    machine_id: str
    machine_name: str
    os_family: str
    sequence: Sequence
    priority: Priority = Priority.BULK
    state: JobState = JobState.QUEUED
    outcome: Outcome | None = None
    action_id: str | None = None
    action_status: str | None = None  #: the service's status, verbatim (unknown values kept)
    command_status: list[str | None] = field(default_factory=list)  #: one per command
    command_started: list[float | None] = field(default_factory=list)  #: epoch seconds, per command
    created_at: float = field(default_factory=time.time)
    submitted_at: float | None = None
    started_at: float | None = None  #: action became InProgress
    finished_at: float | None = None
    queue_position: int | None = None  #: 1-based among waiting jobs, None when not waiting
    error_code: str | None = None
    error_message: str | None = None
    machine_online: bool = True
    attempts: int = 0
    results: list[CommandResult] = field(default_factory=list)
    evidence_dir: str | None = None  #: where this job's results are stored (recorded at creation)
    out_dir: str | None = None  #: the run's ``--out`` folder (``results.json``), if it had one

    @property
    def is_final(self) -> bool:
        return self.state is JobState.DONE

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    def elapsed(self, now: float | None = None) -> float:
        end = self.finished_at or (now if now is not None else time.time())
        start = self.submitted_at or self.created_at
        return max(0.0, end - start)


@dataclass(frozen=True, slots=True)
class BudgetSnapshot:
    """Everything the UI shows about the budgets, at one instant."""

    calls_used: int  #: runliveresponse calls in the current rolling window
    calls_limit: int
    window_s: float
    next_slot_in_s: float  #: 0 when a call could go now
    sessions_used: int
    sessions_limit: int
    queued: int  #: jobs waiting
    active: int
    eta_drain_s: float  #: estimate until the queue is submitted
    general_used_minute: int
    general_limit_minute: int
    general_used_hour: int
    general_limit_hour: int
    backoff_until_s: float = 0.0  #: seconds left of a Retry-After back-off, 0 if none
    paused: bool = False
    #: the API the ``general_*`` figures describe: the fullest one ("*" when every API shares one budget)
    general_endpoint: str = ""
    #: every API's own budget (issue 10), lowered ones marked
    endpoints: tuple[EndpointBudget, ...] = ()
    #: the team's use of the shared budgets (``[profiles.NAME.team]``), None without a team or before it answered
    team: TeamUsage | None = None
    team_degraded: bool = False  #: the team's store is unreachable: local budgets at a share


@dataclass(frozen=True, slots=True)
class EndpointBudget:
    """One API's general budget at one instant: each API has its own 100 a minute and 1,500 an hour."""

    endpoint: str  #: "machines", "machineactions", "machineaction", "resultlink", "library", "cancel" (or "*")
    used_minute: int
    limit_minute: int  #: lowered for the rest of the process after an unforeseen 429 on this API
    used_hour: int
    limit_hour: int
    lowered: bool = False


@dataclass(frozen=True, slots=True)
class PreflightIssue:
    machine_id: str
    machine_name: str
    level: Literal["error", "warning"]
    message: str  #: a whole sentence naming the problem and the fix
    #: what kind of problem (stable, for the UI): "busy", "agent", "os", "never-ends", "parameters", ... ("" other)
    kind: str = ""


# ---------------------------------------------------------------- events (engine -> subscribers)


@dataclass(frozen=True, slots=True)
class JobChanged:
    job: Job
    what: str = ""  #: short reason: "state", "command", "result", "error"


@dataclass(frozen=True, slots=True)
class BudgetChanged:
    snapshot: BudgetSnapshot


@dataclass(frozen=True, slots=True)
class RequestLogged:
    record: RequestRecord


NoticeLevel = Literal["info", "warning", "error"]


@dataclass(frozen=True, slots=True)
class EngineNotice:
    level: NoticeLevel
    message: str


@dataclass(frozen=True, slots=True)
class BatchChanged:
    """A batch's control state changed (canary verdict, pause, resume, counts): ``engine.batches``."""

    batch_id: str
    state: BatchState


Event = JobChanged | BudgetChanged | RequestLogged | EngineNotice | BatchChanged


def summarize(jobs: list[Job]) -> dict[str, int]:
    """Counts per outcome (and 'active', 'queued' or 'paused' for unfinished jobs: a paused job waits on the
    analyst or its batch's canary, not on a budget) for summaries."""
    out: dict[str, int] = {}
    for j in jobs:
        waiting = "paused" if j.state is JobState.PAUSED else "queued"
        key = j.outcome.value if j.outcome else (waiting if j.state in WAITING_STATES else "active")
        out[key] = out.get(key, 0) + 1
    return out


def stderr_line(job: Job) -> str:
    """The first line a RunScript of ``job`` wrote to stderr ("" when none did). A script that exits 0 and
    writes to stderr (PowerShell's non-terminating errors, tar's notes) succeeded, but its collection may be
    partial: shown beside the outcome, never counted as a failure."""
    for r in job.results:
        if r.script is not None and r.script.script_errors.strip():
            return r.script.script_errors.strip().splitlines()[0]
    return ""


def job_to_json(job: Job) -> dict[str, Any]:
    return {
        "job_id": job.id,
        "batch_id": job.batch_id,
        "machine_id": job.machine_id,
        "machine_name": job.machine_name,
        "state": job.state.value,
        "outcome": job.outcome.value if job.outcome else None,
        "action_id": job.action_id,
        "action_status": job.action_status,
        "comment": job.sequence.comment,
        "commands": [
            {
                "index": i,
                "type": c.type.value,
                "value": c.value,
                "args": c.args,
                "status": job.command_status[i] if i < len(job.command_status) else None,
            }
            for i, c in enumerate(job.sequence.commands)
        ],
        "error_code": job.error_code,
        "error_message": job.error_message,
        "wrote_stderr": bool(stderr_line(job)),  #: a RunScript wrote to stderr (with exit 0 the job still succeeded)
        "results": [
            {
                "index": r.index,
                "type": r.type,
                "status": r.status,
                "errors": r.errors,
                "exit_code": r.script.exit_code if r.script else None,
                "script_output": r.script.script_output if r.script else None,  #: a preview when truncated
                "script_errors": r.script.script_errors if r.script else None,
                "output_truncated": r.output_truncated,
                "script_files": script_files_json(r),
                "file": (
                    {"path": r.file_path, "size": r.size, "sha256": r.sha256, "sha256_received": r.sha256_received}
                    if r.file_path
                    else None
                ),
                "download_error": r.download_error,
            }
            for r in job.results
        ],
    }


def script_files_json(r: CommandResult) -> dict[str, Any] | None:
    """A RunScript result's files (the whole stdout/stderr and the raw document) with sizes and hashes."""
    if r.result_path is None:
        return None
    return {
        "stdout": {"path": r.stdout_path, "size": r.stdout_size, "sha256": r.stdout_sha256},
        "stderr": {"path": r.stderr_path, "size": r.stderr_size, "sha256": r.stderr_sha256},
        "result": {"path": r.result_path, "sha256": r.result_sha256},
    }
