"""What the headless commands print: progress on stderr, a per-machine summary or one JSON document on stdout.

The engine does the work (``lrtui.engine.headless``); this module only turns jobs into text.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, TextIO

from lrtui.engine import headless
from lrtui.engine.jobs import Job, Outcome, Priority, job_to_json, summarize

EXIT_OK, EXIT_FAILED = 0, 1


class Progress:
    """A progress line on stderr: rewritten in place on a terminal, one line every few seconds otherwise."""

    def __init__(self, stream: TextIO, every_s: float = 5.0) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.every_s = every_s
        self._last = 0.0
        self._shown = ""

    def __call__(self, line: str) -> None:
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


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def machine_report(job: Job) -> str:
    """One machine: outcome, then each command with its status, exit code and saved file."""
    p = headless.printable
    head = f"{p(job.machine_name)}  {job.outcome.value if job.outcome else job.state.value}"
    if job.action_id:
        head += f"  action {job.action_id}"
    lines = [head]
    if job.error_code or job.error_message:
        lines.append(f"  error: {p(job.error_code or '')} {p(job.error_message or '')}".rstrip())
    results = {r.index: r for r in job.results}
    for i, c in enumerate(job.sequence.commands):
        status = job.command_status[i] if i < len(job.command_status) else None
        line = f"  [{i}] {c.type.value} {p(c.value)}" + (f" {p(c.args)}" if c.args else "") + f": {status or '-'}"
        r = results.get(i)
        if r is not None:
            if r.script is not None:
                line += f", exit code {r.script.exit_code}"
                if r.script.script_errors:
                    line += ", wrote to stderr"
            if r.file_path:
                line += f"\n      saved {p(r.file_path)} ({_size(r.size)}) sha256 {r.sha256}"
                if r.sha256_received and r.sha256_received != r.sha256:
                    line += f"\n      received sha256 {r.sha256_received}"
            if r.errors:
                line += f"\n      {p(r.errors)}"
            if r.download_error:
                line += f"\n      download failed: {p(r.download_error)}"
        lines.append(line)
    return "\n".join(lines)


def jobs_document(jobs: list[Job], **extra: Any) -> dict[str, Any]:
    return {
        **extra,
        "summary": summarize(jobs),
        "all_succeeded": all_succeeded(jobs),
        "jobs": [job_to_json(j) for j in jobs],
    }


def all_succeeded(jobs: list[Job]) -> bool:
    return bool(jobs) and all(j.outcome is Outcome.SUCCEEDED for j in jobs)


def print_jobs(jobs: list[Job], *, as_json: bool, stdout: TextIO, **extra: Any) -> None:
    if as_json:
        stdout.write(json.dumps(jobs_document(jobs, **extra), indent=2, ensure_ascii=False) + "\n")
        return
    for j in jobs:
        stdout.write(machine_report(j) + "\n")
    stdout.write(headless.render_summary(jobs) + "\n")


async def run_cli(
    runtime, seq, machines, *, out_dir: Path | None, as_json: bool, wait: bool, stderr: TextIO, stdout: TextIO
) -> int:
    offline = sum(1 for m in machines if not m.is_online)
    stderr.write(headless.estimate_text(len(machines), offline, runtime.engine.settings) + "\n")
    progress = Progress(stderr)
    prio = Priority.INTERACTIVE if len(machines) == 1 else Priority.BULK
    try:
        if wait:
            jobs = await headless.run_batch(runtime, seq, machines, out_dir, progress, priority=prio)
        else:
            jobs = await runtime.engine.submit(seq, machines, priority=prio)
            await _until_submitted(runtime, jobs, progress)
    finally:
        progress.close()
    print_jobs(jobs, as_json=as_json, stdout=stdout)
    if not wait:
        stderr.write("Submitted; `lrtui resume` follows the actions and downloads the results.\n")
        return EXIT_OK if not any(j.outcome and j.outcome is not Outcome.SUCCEEDED for j in jobs) else EXIT_FAILED
    return EXIT_OK if all_succeeded(jobs) else EXIT_FAILED


async def _until_submitted(runtime, jobs: list[Job], progress) -> None:
    import asyncio

    from lrtui.engine.jobs import JobState

    while any(j.state in (JobState.QUEUED, JobState.SUBMITTING) for j in jobs):
        progress(headless.progress_line(runtime.engine.budget_snapshot(), jobs))
        await asyncio.sleep(0.2)


async def resume_cli(runtime, *, out_dir: Path | None, as_json: bool, stderr: TextIO, stdout: TextIO) -> int:
    progress = Progress(stderr)
    try:
        jobs = await headless.resume(runtime, out_dir, progress)
    finally:
        progress.close()
    if not jobs:
        stderr.write("Nothing to resume: every job in the journal is finished.\n")
        if as_json:
            print_jobs([], as_json=True, stdout=stdout)
        return EXIT_OK
    print_jobs(jobs, as_json=as_json, stdout=stdout)
    return EXIT_OK if all_succeeded(jobs) else EXIT_FAILED


async def actions_cli(runtime, *, active: bool, as_json: bool, stdout: TextIO) -> int:
    rows = headless.list_actions_from_journal(runtime.journal, active_only=active)
    if as_json:
        stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    elif not rows:
        stdout.write("The journal is empty." if not active else "No unfinished jobs.")
        stdout.write("\n")
    else:
        stdout.write(headless.render_actions(rows) + "\n")
    return EXIT_OK


async def results_cli(runtime, action_id: str, *, out_dir: Path | None, as_json: bool, stdout: TextIO) -> int:
    job = await headless.fetch_results(runtime, action_id, out_dir)
    print_jobs([job], as_json=as_json, stdout=stdout)
    return EXIT_OK


async def export_cli(runtime, case_id: str, out_dir: Path, *, stdout: TextIO) -> int:
    m = await headless.export_case(case_id, out_dir, journal=runtime.journal)
    p = headless.printable
    if not m["jobs"]:
        stdout.write(f"No job in the journal mentions case {p(case_id)} (matched as a word in the comment).\n")
        return EXIT_FAILED
    stdout.write(
        f"Wrote the evidence bundle for case {p(case_id)} to {out_dir}: {m['jobs']} job(s), "
        f"{len(m['files'])} file(s), {m['chain']['entries']} hash-chained journal entries "
        f"(chain {'intact' if m['chain']['ok'] else 'BROKEN: ' + p(m['chain']['reason'] or '')}).\n"
    )
    for problem in m["problems"]:
        stdout.write(f"problem: {p(str(problem))}\n")
    return EXIT_OK if m["chain"]["ok"] and not m["problems"] else EXIT_FAILED
