"""Outcome classification as plain functions: a final action plus its results, or an error from a call."""

from __future__ import annotations

from lrtui.api import errors as E
from lrtui.api.enums import ActionStatus, CommandStatus
from lrtui.engine.jobs import Job, JobState, Outcome

#: service error codes that mean "this device or tenant may not do this"
NOT_ALLOWED_CODES = frozenset(
    {"DisallowedOperation", "OsPlatformNotSupported", "ClientVersionNotSupported", "DisabledFeature", "Forbidden"}
)


def outcome_for_error(exc: BaseException) -> Outcome:
    if isinstance(exc, E.ActiveRequestAlreadyExists):
        return Outcome.BLOCKED
    if isinstance(exc, (E.Forbidden, E.OsPlatformNotSupported)):
        return Outcome.NOT_ALLOWED
    if isinstance(exc, E.ApiCallError) and exc.code in NOT_ALLOWED_CODES:
        return Outcome.NOT_ALLOWED
    if isinstance(exc, E.ApiCallError) and exc.code == "ActiveRequestAlreadyExists":
        return Outcome.BLOCKED
    return Outcome.API_ERROR


def state_for_status(status: str | None, online: bool) -> JobState:
    """The local state that shows a service status of a followed action."""
    if status == ActionStatus.IN_PROGRESS:
        return JobState.RUNNING
    if status == ActionStatus.PENDING or status is None:
        return JobState.PENDING if online else JobState.OFFLINE
    return JobState.COLLECTING  # final (or an unknown value treated as final only by the caller)


def final_outcome(job: Job) -> Outcome:
    """The outcome of a job whose action is final and whose results were collected."""
    s = job.action_status
    if s == ActionStatus.CANCELLED:
        return Outcome.CANCELLED
    if s == ActionStatus.TIMEOUT:
        return Outcome.TIMED_OUT
    if s == ActionStatus.FAILED:
        if any(st == CommandStatus.FAILED for st in job.command_status) or not job.command_status:
            return Outcome.COMMAND_FAILED
        return Outcome.COMMAND_FAILED
    if any(r.script is not None and (r.script.exit_code or 0) != 0 for r in job.results):
        return Outcome.SCRIPT_FAILED
    if any(r.download_error for r in job.results):
        return Outcome.API_ERROR
    return Outcome.SUCCEEDED


def failure_summary(job: Job) -> str:
    """One line saying why a finished job is not a success."""
    if job.outcome is Outcome.SCRIPT_FAILED:
        for r in job.results:
            if r.script is not None and (r.script.exit_code or 0) != 0:
                err = r.script.script_errors.strip().splitlines()
                return f"script exited {r.script.exit_code}" + (f": {err[0][:200]}" if err else "")
    if job.outcome is Outcome.COMMAND_FAILED:
        for r in job.results:
            if r.status == CommandStatus.FAILED:
                return f"command {r.index + 1} ({r.type}) failed" + (f": {r.errors[:200]}" if r.errors else "")
        return "the action failed"
    if job.outcome is Outcome.API_ERROR:
        for r in job.results:
            if r.download_error:
                return f"result {r.index + 1}: {r.download_error[:200]}"
    return job.error_message or (job.outcome.value if job.outcome else "")
