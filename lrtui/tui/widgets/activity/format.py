"""Small pure formatters for the activity pane (durations, command glyphs, states)."""

from __future__ import annotations

from lrtui.api.enums import CommandType
from lrtui.engine.jobs import Job, JobState, Outcome, stderr_line
from lrtui.tui.glyphs import current

RUNSCRIPT_TIMEOUT_S = 600.0

STATE_STYLE = {
    JobState.QUEUED: "dim",
    JobState.PAUSED: "yellow",
    JobState.SUBMITTING: "cyan",
    JobState.PENDING: "cyan",
    JobState.OFFLINE: "yellow",
    JobState.RUNNING: "bold cyan",
    JobState.COLLECTING: "cyan",
}
OUTCOME_STYLE = {Outcome.SUCCEEDED: "bold green", Outcome.CANCELLED: "yellow", Outcome.REFUSED: "magenta"}
#: the outcome's word, led by the ok/fail glyph (``outcome_label``)
OUTCOME_WORD = {
    Outcome.SUCCEEDED: "done",
    Outcome.SCRIPT_FAILED: "script",
    Outcome.COMMAND_FAILED: "command",
    Outcome.TIMED_OUT: "timeout",
    Outcome.CANCELLED: "cancelled",
    Outcome.BLOCKED: "blocked",
    Outcome.NOT_ALLOWED: "denied",
    Outcome.REFUSED: "refused",
    Outcome.API_ERROR: "error",
}


def outcome_label(outcome: Outcome) -> str:
    """``✓ done``, ``✗ denied`` (``+ done``, ``x denied`` in console mode); "cancelled" carries no glyph."""
    word = OUTCOME_WORD.get(outcome, outcome.value)
    if outcome is Outcome.CANCELLED:
        return word
    g = current()
    return f"{g.ok if outcome is Outcome.SUCCEEDED else g.fail} {word}"


def clock(seconds: float | None) -> str:
    """``m:ss`` (or ``h:mm:ss``); a dash for None."""
    if seconds is None:
        return current().none
    s = max(0, int(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def short(seconds: float) -> str:
    """``now``, ``12s``, ``3m20s``, ``1h05m``."""
    s = int(round(seconds))
    if s <= 0:
        return "now"
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


def state_label(job: Job) -> tuple[str, str]:
    """(label, style) for the State column."""
    if job.state is JobState.DONE and job.outcome is Outcome.SUCCEEDED and stderr_line(job):
        return f"{current().ok} stderr", "bold yellow"  # exit 0, but it wrote to stderr: read it (Info, Results)
    if job.state is JobState.DONE and job.outcome is not None:
        return outcome_label(job.outcome), OUTCOME_STYLE.get(job.outcome, "bold red")
    label = job.state.value
    if job.state is JobState.PENDING and not job.machine_online:
        label = "offline"
    return label, STATE_STYLE.get(job.state, "")


def command_glyphs(job: Job) -> list[tuple[str, str]]:
    """One (glyph, style) per command: · waiting, ▶ running, ✓ completed, ✗ failed, ? unknown status."""
    g = current()
    out: list[tuple[str, str]] = []
    running_marked = False
    for i, _ in enumerate(job.sequence.commands):
        status = job.command_status[i] if i < len(job.command_status) else None
        started = job.command_started[i] if i < len(job.command_started) else None
        if status == "Completed":
            out.append((g.ok, "green"))
        elif status == "Failed":
            out.append((g.fail, "bold red"))
        elif status in (None, "Created"):
            if (
                job.state is JobState.RUNNING
                and not running_marked
                and (started is not None or not out or out[-1][0] == g.ok)
            ):
                out.append((g.running, "bold cyan"))
                running_marked = True
            else:
                out.append((g.waiting, ""))  # not dim: it must stay readable on the cursor bar
        else:
            out.append((g.unknown, "yellow"))
    return out


def timeout_left(job: Job, now: float) -> float | None:
    """Seconds before the running RunScript hits the service's 10-minute timeout, else None."""
    if job.state is not JobState.RUNNING:
        return None
    for i, c in enumerate(job.sequence.commands):
        if c.type is not CommandType.RUN_SCRIPT:
            continue
        status = job.command_status[i] if i < len(job.command_status) else None
        started = job.command_started[i] if i < len(job.command_started) else None
        if status in (None, "Created") and started is not None:
            return max(0.0, RUNSCRIPT_TIMEOUT_S - (now - started))
    return None


def elapsed(job: Job, now: float) -> float | None:
    """Time since submission (to the end when final); None while the job has not been sent."""
    if job.submitted_at is None:
        return None
    return job.elapsed(now)
