"""What the headless commands print: progress on stderr, a per-machine summary or one JSON document on stdout.

The engine returns jobs and snapshots (``lrtui.engine.batch``); this module only turns them into text.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, TextIO

from lrtui.api.models import Machine
from lrtui.api.sequence import Sequence
from lrtui.api.text import clean_line
from lrtui.cli.output import Tenant, dumps, jobs_csv, jobs_document
from lrtui.engine.jobs import (
    FAILED_OUTCOMES,
    BudgetSnapshot,
    CommandResult,
    Job,
    JobState,
    Outcome,
    PreflightIssue,
    stderr_line,
    summarize,
)
from lrtui.engine.outcomes import failure_summary

OUTCOME_TEXT = {
    Outcome.SUCCEEDED: "succeeded",
    Outcome.SCRIPT_FAILED: "script failed",
    Outcome.COMMAND_FAILED: "command failed",
    Outcome.TIMED_OUT: "timed out",
    Outcome.CANCELLED: "cancelled",
    Outcome.BLOCKED: "blocked by another session",
    Outcome.NOT_ALLOWED: "not allowed",
    Outcome.REFUSED: "refused by pre-flight",
    Outcome.API_ERROR: "API error",
}

_RUNNING = (JobState.RUNNING, JobState.PENDING, JobState.SUBMITTING, JobState.COLLECTING)


def printable(text: object) -> str:
    """Service- or device-controlled text made safe for a terminal, on one line (``lrtui.api.text.clean_line``)."""
    return clean_line("" if text is None else text)


class Progress:
    """A progress line on stderr: rewritten in place on a terminal, one line every few seconds otherwise.

    Called with the engine's budget snapshot and the jobs it follows (``lrtui.engine.batch.ProgressFn``)."""

    def __init__(self, stream: TextIO, every_s: float = 5.0) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.every_s = every_s
        self._last = 0.0
        self._shown = ""

    def __call__(self, snapshot: BudgetSnapshot, jobs: list[Job]) -> None:
        self.show(progress_line(snapshot, jobs))

    def show(self, line: str) -> None:
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
            self.stream.flush()
            self._shown = line
            return
        now = time.monotonic()
        if line != self._shown and now - self._last >= self.every_s:
            self.stream.write(line + "\n")
            self.stream.flush()
            self._last, self._shown = now, line

    def close(self) -> None:
        if self.tty and self._shown:
            self.stream.write("\n")
            self.stream.flush()


def progress_line(snapshot: BudgetSnapshot, jobs: list[Job]) -> str:
    """``3/10 done · 2 running · 5 queued · rate 3/10 next 12s · sessions 2/25``."""
    counts = summarize(jobs)
    done = sum(1 for j in jobs if j.state is JobState.DONE)
    running = sum(1 for j in jobs if j.state in _RUNNING)
    offline = sum(1 for j in jobs if j.state is JobState.OFFLINE)
    failed = sum(v for k, v in counts.items() if k in {o.value for o in FAILED_OUTCOMES})
    parts = [f"{done}/{len(jobs)} done", f"{running} running", f"{counts.get('queued', 0)} queued"]
    if offline:
        parts.append(f"{offline} offline")
    if failed:
        parts.append(f"{failed} failed")
    parts.append(
        f"rate {snapshot.calls_used}/{snapshot.calls_limit}"
        + (f" next {snapshot.next_slot_in_s:.0f}s" if snapshot.next_slot_in_s > 0 else "")
    )
    parts.append(f"sessions {snapshot.sessions_used}/{snapshot.sessions_limit}")
    if snapshot.backoff_until_s > 0:
        parts.append(f"backing off {snapshot.backoff_until_s:.0f}s")
    if snapshot.paused:
        parts.append("paused")
    return " · ".join(parts)


def render_summary(jobs: list[Job]) -> str:
    """Counts per outcome class, then each failed machine with its reason, grouped by class; then the machines
    whose script succeeded (exit 0) but wrote to stderr, with its first line."""
    by: dict[Outcome | None, list[Job]] = {}
    for j in jobs:
        by.setdefault(j.outcome, []).append(j)
    noted = [(j, line) for j in by.get(Outcome.SUCCEEDED, []) if (line := stderr_line(j))]
    lines = [f"{len(jobs)} machine{'s' if len(jobs) != 1 else ''}:"]
    for o in [*Outcome, None]:
        group = by.get(o)
        if group:
            lines.append(f"  {OUTCOME_TEXT.get(o, 'unfinished') if o else 'unfinished'}: {len(group)}")
        if group and o is Outcome.SUCCEEDED and noted:
            lines.append(f"    {len(noted)} of them wrote to stderr (exit 0: read it, the collection may be partial)")
    for o in Outcome:
        if o is Outcome.SUCCEEDED or not by.get(o):
            continue
        lines.append(f"{OUTCOME_TEXT[o]}:")
        lines.extend(f"  {printable(j.machine_name)}: {printable(failure_summary(j))}" for j in by[o])
    if noted:
        lines.append("succeeded, wrote to stderr:")
        lines.extend(f"  {printable(j.machine_name)}: {printable(line)}" for j, line in noted)
    return "\n".join(lines)


def render_actions(rows: list[dict[str, Any]]) -> str:
    """The journal's jobs as a table: action, machine, state, outcome, comment."""
    lines = [f"{'ACTION':36}  {'MACHINE':28}  {'STATE':10}  {'OUTCOME':14}  COMMENT"]
    for r in rows:
        lines.append(
            f"{printable(r['action_id'] or '-'):36}  {printable(r['machine_name'])[:28]:28}  {printable(r['state']):10}  "
            f"{printable(r['outcome'] or '-'):14}  {printable(r['comment'] or '')[:60]}"
        )
    return "\n".join(lines)


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


def _command_line(job: Job, i: int, results: dict[int, CommandResult]) -> str:
    """One command of a machine's report: status, exit code, saved file, errors."""
    p = printable
    c = job.sequence.commands[i]
    status = job.command_status[i] if i < len(job.command_status) else None
    line = f"  [{i}] {c.type.value} {p(c.value)}" + (f" {p(c.args)}" if c.args else "") + f": {p(status or '-')}"
    r = results.get(i)
    if r is None:
        return line
    if r.script is not None:
        line += f", exit code {r.script.exit_code}"
        if r.script.script_errors:
            line += ", wrote to stderr"
    if r.file_path:
        line += f"\n      saved {p(r.file_path)} ({_size(r.size)}) sha256 {p(r.sha256)}"
        if r.sha256_received and r.sha256_received != r.sha256:
            line += f"\n      received sha256 {p(r.sha256_received)}"
    if r.stdout_path:
        line += f"\n      stdout {p(r.stdout_path)} sha256 {p(r.stdout_sha256)}"
    if r.stderr_path and r.stderr_size:
        line += f"\n      stderr {p(r.stderr_path)} sha256 {p(r.stderr_sha256)}"
    if r.errors:
        line += f"\n      {p(r.errors)}"
    if r.download_error:
        line += f"\n      download failed: {p(r.download_error)}"
    return line


def machine_report(job: Job) -> str:
    """One machine: outcome, then each command with its status, exit code and saved file."""
    head = f"{printable(job.machine_name)}  {job.outcome.value if job.outcome else job.state.value}"
    if job.outcome is Outcome.SUCCEEDED and stderr_line(job):
        head += " (wrote to stderr)"
    if job.action_id:
        head += f"  action {printable(job.action_id)}"
    lines = [head]
    if job.error_code or job.error_message:
        lines.append(f"  error: {printable(job.error_code)} {printable(job.error_message)}".rstrip())
    results = {r.index: r for r in job.results}
    lines.extend(_command_line(job, i, results) for i in range(len(job.sequence.commands)))
    return "\n".join(lines)


def print_jobs(jobs: list[Job], *, fmt: str, stdout: TextIO, tenant: Tenant, **extra: Any) -> None:
    """``fmt``: ``text`` (a report per machine and a summary), ``json`` (one document), ``csv`` (a row per
    command), or ``jsonl`` (only the closing summary line: the events were streamed as they happened)."""
    if fmt == "json":
        stdout.write(dumps(jobs_document(jobs, tenant, **extra)) + "\n")
    elif fmt == "csv":
        stdout.write(jobs_csv(jobs, tenant))
    elif fmt == "text":
        for j in jobs:
            stdout.write(machine_report(j) + "\n")
        stdout.write(render_summary(jobs) + "\n")
        for key, value in extra.items():
            if isinstance(value, list) and value:
                stdout.write(f"{key.replace('_', ' ')}: " + ", ".join(printable(v) for v in value) + "\n")


def dry_run_document(sequence: Sequence, machines: list[Machine], issues: list[PreflightIssue]) -> list[dict[str, Any]]:
    """Per machine: the exact request ``lrtui run`` would send, and the pre-flight findings for it."""
    docs: list[dict[str, Any]] = []
    for m in machines:
        docs.append(
            {
                "machine_id": m.id,
                "machine_name": m.name,
                "url": f"/api/machines/{m.id}/runliveresponse",
                "body": sequence.to_body(),
                "preflight": [{"level": i.level, "message": i.message} for i in issues if i.machine_id == m.id],
            }
        )
    return docs


def render_dry_run(docs: list[dict[str, Any]], estimate: str) -> str:
    """``POST url   # name``, the body, the pre-flight findings; the estimate last."""
    lines: list[str] = []
    for d in docs:
        lines.append(f"POST {printable(d['url'])}   # {printable(d['machine_name'])}")
        lines.append(dumps(d["body"]))
        lines.extend(f"  {p['level']}: {printable(p['message'])}" for p in d["preflight"])
    lines.append(f"# {estimate}. Nothing was sent (--dry-run).")
    return "\n".join(lines)


def render_export(case_id: str, out_dir: Path, manifest: dict[str, Any]) -> str:
    """What ``lrtui export`` says about the bundle it wrote (or that no job mentions the case)."""
    p = printable
    if not manifest["jobs"]:
        return f"No job in the journal mentions case {p(case_id)} (matched as a word in the comment)."
    chain = manifest["chain"]
    state = "intact" if chain["ok"] else "BROKEN: " + p(chain["reason"] or "")
    lines = [
        f"Wrote the evidence bundle for case {p(case_id)} to {p(out_dir)}: {manifest['jobs']} job(s), "
        f"{len(manifest['files'])} file(s), {chain['entries']} hash-chained journal entries (chain {state})."
    ]
    lines.extend(f"problem: {p(str(problem))}" for problem in manifest["problems"])
    return "\n".join(lines)
