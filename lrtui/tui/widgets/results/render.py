"""What the Results pane shows about a job's commands, as plain ``Text`` (device text cleaned)."""

from __future__ import annotations

from rich.text import Text

from lrtui.api.enums import CommandType
from lrtui.engine.jobs import CommandResult, Job
from lrtui.tui.safe_text import append_clean, safe_line
from lrtui.tui.widgets.activity.format import state_label
from lrtui.tui.widgets.activity.rows import job_error_text


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    return (
        f"{n:,} bytes"
        if n < 1024
        else f"{n:,} bytes ({n / 1024 / 1024:.2f} MB)"
        if n >= 1024 * 1024
        else f"{n:,} bytes ({n / 1024:.1f} KB)"
    )


def result_for(job: Job, index: int) -> CommandResult | None:
    for r in job.results:
        if r.index == index:
            return r
    return None


def header_text(job: Job) -> Text:
    label, style = state_label(job)
    t = Text(no_wrap=True, overflow="ellipsis")
    append_clean(t, job.machine_name, "bold")
    t.append("  ")
    t.append(label, style=style)
    if job.action_id:
        t.append(f"  action {job.action_id}", style="dim")
    if job.action_status:
        t.append("  ")
        append_clean(t, job.action_status, "dim")
    return t


def command_row(job: Job, index: int) -> Text:
    cmd = job.sequence.commands[index]
    r = result_for(job, index)
    status = (r.status if r and r.status else None) or (
        job.command_status[index] if index < len(job.command_status) else None
    )
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append(f"{index + 1} {cmd.type.value:<9} ", style="bold")
    append_clean(t, cmd.value)
    t.append(
        f"  {safe_line(status or 'waiting')}",
        # not dim: these rows are drawn on the cursor bar too, where dim text falls under 4.5:1
        style="green" if status == "Completed" else ("bold red" if status == "Failed" else ""),
    )
    if r and r.script and r.script.exit_code is not None:
        t.append(f"  exit {r.script.exit_code}", style="green" if r.script.exit_code == 0 else "bold red")
    if r and r.file_path:
        t.append(f"  {_size(r.size).split(' (')[0]}", style="dim")
    if r and (r.download_error or r.errors):
        t.append("  !", style="bold red")
    return t


def info_text(job: Job, index: int) -> Text:
    cmd = job.sequence.commands[index]
    r = result_for(job, index)
    t = Text()
    if r and r.errors:
        t.append("Service errors: ", style="bold red")
        append_clean(t, r.errors)
        t.append("\n")
    if r and r.download_error:
        t.append("Download failed: ", style="bold red")
        append_clean(t, r.download_error)
        t.append("\n")
    if cmd.type is CommandType.PUT_FILE:
        t.append("PutFile copies ", style="dim")
        append_clean(t, cmd.value, "dim")
        t.append(" from the library to the device; it produces no result.", style="dim")
    elif cmd.type is CommandType.RUN_SCRIPT:
        if r is None or r.script is None:
            story = job_error_text(job) if job.is_final else None
            if story is not None and not (r and (r.errors or r.download_error)):
                t.append("No output: the job did not run this command.\n", style="bold yellow")
                t.append_text(story)
            elif story is None:
                t.append(
                    "No output yet: it appears when the action has finished and the result is downloaded.",
                    style="dim",
                )
        else:
            code = r.script.exit_code
            t.append("Exit code ", style="bold")
            t.append(str(code) if code is not None else "?", style="bold green" if code == 0 else "bold red")
            t.append("  ·  ")
            append_clean(t, r.script.script_name or cmd.value)
            t.append(
                f"  ·  {len(r.script.script_output):,} chars stdout, {len(r.script.script_errors):,} stderr",
                style="dim",
            )
    else:
        if r is not None and r.status == "Failed":
            t.append("The service could not collect the file (see its errors above).", style="yellow")
        elif r is None or not r.file_path:
            t.append("GetFile ", style="dim")
            append_clean(t, cmd.value, "dim")
            t.append(": no file yet.", style="dim")
        else:
            t.append("Saved    ", style="bold")
            append_clean(t, r.file_path)
            t.append("\n")
            t.append("Size     ", style="bold")
            t.append(_size(r.size) + "\n")
            t.append("SHA-256  ", style="bold")
            t.append((r.sha256 or "?") + "\n")
            t.append("received ", style="bold")
            t.append(r.sha256_received or "?", style="dim")
            t.append("  (hash of the bytes as downloaded)", style="dim")
    t.rstrip()
    return t


def signature(job: Job) -> tuple[object, ...]:
    """What the Results pane shows of ``job``: it redraws only when this changes."""
    return (
        job.state,
        job.outcome,
        job.action_status,
        tuple(job.command_status),
        tuple(
            (r.index, r.status, r.downloaded, r.file_path, r.download_error, r.script is not None) for r in job.results
        ),
    )
