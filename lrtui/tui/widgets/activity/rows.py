"""The Activity table's columns and cells: pure functions of a ``Job`` and the time (no widgets)."""

from __future__ import annotations

from rich.text import Text

from lrtui.api.text import clean_report
from lrtui.engine.jobs import Job, JobState, Outcome, stderr_line
from lrtui.tui.glyphs import current
from lrtui.tui.safe_text import append_clean
from lrtui.tui.widgets.activity.format import clock, command_glyphs, elapsed, state_label, timeout_left

#: key, label, width. Cells carry their own one-space left gap (the table's cell padding is 0), so that
#: a 55-column pane (120x40, beside the machine list) still shows every column.
COLUMNS: list[tuple[str, str, int]] = [
    ("machine", "Machine", 20),
    ("state", "State", 11),
    ("cmds", "Cmds", 5),
    ("elapsed", "Time", 7),  #: elapsed since sent, or the queue position (#3) while waiting
    ("left", "Left", 6),  #: time before the running RunScript's 10-minute timeout
    ("info", "Info", 30),
]
FLEX = ("machine", "info")


def _cell(text: str | Text, style: str = "", *, right: bool = False) -> Text:
    t = text if isinstance(text, Text) else Text(text, style=style)
    t = Text(" ", no_wrap=True, overflow="ellipsis").append_text(t) if not right else t
    t.no_wrap, t.overflow = True, "ellipsis"
    if right:
        t.justify = "right"
    return t


def short_name(name: str) -> str:
    """The host part of a DNS name (the full name is in the detail line and the results)."""
    name, removed = clean_report(name, multiline=False)
    host = name.split(".", 1)[0]
    short = host if host and not host.isdigit() else name
    return f"{current().warn} {short}" if removed else short


def info_text(job: Job) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")
    if job.error_code or job.error_message:
        if job.error_code and not (job.error_message or "").startswith(job.error_code):
            append_clean(t, job.error_code, "bold red")
            t.append(": ")
        append_clean(t, job.error_message or "")
        return t
    for r in job.results:
        sr = r.script
        if sr is not None and (sr.exit_code not in (0, None) or sr.script_errors.strip()):
            t.append(f"RunScript {r.index + 1}: ", style="bold yellow")
            if sr.exit_code not in (0, None):
                t.append(f"exit {sr.exit_code} ", style="bold red")
            first = next((line for line in sr.script_errors.splitlines() if line.strip()), "")
            if first:
                t.append("stderr: ")
                append_clean(t, first)
            return t
    failed = next((r for r in job.results if r.errors or r.download_error), None)
    if failed is not None:
        t.append(f"{failed.type} {failed.index + 1}: ", style="bold red")
        append_clean(t, failed.errors or failed.download_error or "")
        return t
    if job.state is JobState.OFFLINE or (job.state is JobState.PENDING and not job.machine_online):
        t.append("device offline: the service keeps it queued up to 3 days", style="yellow")
    elif job.action_status:  # plain, not dim: dim text on the cursor bar falls under 4.5:1
        append_clean(t, job.action_status, "")
        if job.action_id:
            t.append(f" {job.action_id[:8]}")
    return t


def row_cells(job: Job, now: float) -> dict[str, Text]:
    label, style = state_label(job)
    cmds = Text(no_wrap=True)
    for glyph, gstyle in command_glyphs(job):
        cmds.append(glyph, style=gstyle)
    left = timeout_left(job, now)
    waiting = job.queue_position and job.submitted_at is None
    return {
        "machine": _cell(short_name(job.machine_name)),
        "state": _cell(label, style),
        "cmds": _cell(cmds),
        "elapsed": _cell(f"#{job.queue_position}" if waiting else clock(elapsed(job, now)), right=True),
        "left": _cell(
            clock(left) if left is not None else "", "bold red" if left is not None and left < 60 else "", right=True
        ),
        "info": _cell(info_text(job)),
    }


def job_error_text(job: Job) -> Text | None:
    """The whole story of a refused or failed job, for the detail areas (Activity, Results): the service's code,
    its message and lrtui's explanation and next step (``Job.error_message`` is ``error_text`` of the error),
    then each command's errors. Wrapped by the widget, never cut. None when nothing failed."""
    t = Text()
    if job.error_code or job.error_message:
        if job.error_code:
            t.append("Error ", style="bold")
            append_clean(t, job.error_code, "bold red")
            t.append("\n")
        append_clean(t, job.error_message or "", multiline=True)
    for r in job.results:
        if r.errors or r.download_error:
            t.append(("\n" if t.plain else "") + f"{r.type} {r.index + 1}: ", style="bold red")
            append_clean(t, r.errors or r.download_error or "", multiline=True)
    return t if t.plain else None


def stderr_text(job: Job) -> Text | None:
    """For a job that succeeded although a script wrote to stderr: that it did, and the first line, whole."""
    line = stderr_line(job) if job.outcome is Outcome.SUCCEEDED else ""
    if not line:
        return None
    t = Text("Exit 0, but the script wrote to stderr (the collection may be partial; enter shows it all): ")
    append_clean(t, line)
    return t
