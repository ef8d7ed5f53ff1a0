"""What the headless commands ask of the engine: batch runs, resume, journal listings, one action's results,
case export, and the plain-words estimate of a batch. Every function returns data; ``lrtui.cli`` renders it.

The caller builds (and stops) the ``Engine``; these functions only start it and follow the jobs.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrtui.api import errors as E
from lrtui.api.models import Machine, MachineAction
from lrtui.api.sequence import Sequence
from lrtui.engine.budget import BudgetSettings
from lrtui.engine.codec import result_to_dict
from lrtui.engine.engine import Engine
from lrtui.engine.export import export_jobs
from lrtui.engine.jobs import BudgetSnapshot, Job, JobState, Priority, job_to_json
from lrtui.engine.journal import Journal
from lrtui.engine.results import ResultCollector

if TYPE_CHECKING:
    from lrtui.api.client import MdeClient  # httpx (and, through it, rich) only when a client exists

#: Called while a batch runs with the engine's budgets and the jobs followed (the CLI draws a progress line).
ProgressFn = Callable[[BudgetSnapshot, list[Job]], None]


# ---------------------------------------------------------------- following jobs


async def resolve_machines(
    client: MdeClient, refs: Iterable[Machine | str], concurrency: int = 4
) -> list[Machine | str]:
    """Machines as given, ids and names looked up (``machines.get`` accepts both); unknown ones stay strings."""
    sem = asyncio.Semaphore(concurrency)

    async def one(ref: Machine | str) -> Machine | str:
        if isinstance(ref, Machine):
            return ref
        async with sem:
            try:
                return await client.machines.get(ref.strip())
            except E.NotFound:
                return ref.strip()

    return list(await asyncio.gather(*(one(r) for r in refs)))


async def _drive(engine: Engine, jobs: list[Job], progress: ProgressFn | None, every: float) -> None:
    while any(j.state is not JobState.DONE for j in jobs):
        if progress:
            progress(engine.budget_snapshot(), jobs)
        try:
            await asyncio.wait_for(engine.wait_idle(), timeout=every)
        except TimeoutError:
            pass
    if progress:
        progress(engine.budget_snapshot(), jobs)


def _write_results(jobs: list[Job], out_dir: Path | None) -> None:
    if out_dir is None:
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(
        json.dumps([job_to_json(j) for j in jobs], indent=2, ensure_ascii=False), encoding="utf-8"
    )


async def run_batch(
    engine: Engine,
    sequence: Sequence,
    machines: Iterable[Machine | str],
    out_dir: Path | None,
    progress: ProgressFn | None = None,
    *,
    priority: Priority = Priority.BULK,
    progress_every: float = 2.0,
) -> list[Job]:
    """Submit ``sequence`` to every machine, follow all to the end, collect results; returns the jobs.

    With ``out_dir`` the jobs (so far, on failure too) are written to ``out_dir/results.json``."""
    await engine.start()
    jobs: list[Job] = []
    try:
        targets = await resolve_machines(engine.client, machines)
        jobs = await engine.submit(sequence, targets, priority=priority)
        await _drive(engine, jobs, progress, progress_every)
    finally:
        await asyncio.to_thread(_write_results, jobs, out_dir)
    return jobs


async def resume(
    engine: Engine,
    out_dir: Path | None = None,
    progress: ProgressFn | None = None,
    *,
    progress_every: float = 2.0,
    wait: bool = True,
) -> list[Job]:
    """Pick up every unfinished job of the journal (poll, reconcile, submit, download) and see them through."""
    journal = engine.journal.open()
    pending = {j.id for j in await asyncio.to_thread(journal.unfinished_jobs)}
    await engine.start()
    jobs = [j for j in engine.jobs if j.id in pending]
    try:
        if wait:
            await _drive(engine, jobs, progress, progress_every)
    finally:
        await asyncio.to_thread(_write_results, jobs, out_dir)
    return jobs


# ---------------------------------------------------------------- the journal


def list_actions_from_journal(journal: Journal, *, active_only: bool = False) -> list[dict[str, Any]]:
    """The journal's jobs (newest last) as dicts (``job_to_json``)."""
    journal.open()
    jobs = journal.unfinished_jobs() if active_only else journal.all_jobs()
    return [job_to_json(x) for x in jobs]


async def fetch_results(
    client: MdeClient, action_id: str, out_dir: Path | None = None, *, journal: Journal, data_dir: Path
) -> Job:
    """One action's results. Without ``out_dir``: download what is still missing into ``data_dir`` and journal
    it. With ``out_dir``: download every result again into ``out_dir`` (the journalled evidence stays where it
    is; the copy is noted in the journal)."""
    journal.open()
    action = await client.actions.get(action_id, fresh=True)
    found = journal.jobs_for_action(action.id)
    job = found[-1] if found else _job_from_action(action)
    copy = out_dir is not None
    root = out_dir if out_dir is not None else data_dir
    collector = ResultCollector(client, root / "evidence")
    job.action_status = action.status
    if copy:
        job.results = []
    job.results = collector.base_results(job, action)
    for cmd in action.commands:
        r = next(r for r in job.results if r.index == cmd.index)
        if r.download_error and not copy:
            r.downloaded = False  # try again what failed before
        if await collector.collect_one(job, action, cmd, r):
            if copy or not found:
                journal.record_note("refetch", {"job_id": job.id, "action_id": action.id, **result_to_dict(r)})
            else:
                journal.record_result(job, r)
    return job


def _job_from_action(action: MachineAction) -> Job:
    seq = Sequence.from_body(
        {
            "commands": [c.model_dump(by_alias=True, mode="json") for c in action.commands],
            "Comment": action.requestor_comment or "",
        }
    )
    return Job(
        id=f"action-{action.id}",
        batch_id="",
        machine_id=action.machine_id or "",
        machine_name=action.computer_dns_name or action.machine_id or "",
        os_family="unknown",
        sequence=seq,
        action_id=action.id,
        action_status=action.status,
        state=JobState.DONE,
    )


async def export_case(case_id: str, out_dir: Path, *, journal: Journal) -> dict[str, Any]:
    """Write the evidence bundle of a case; returns the manifest (``problems`` lists anything missing)."""
    journal.open()
    return await export_jobs(journal, case_id, Path(out_dir))


# ---------------------------------------------------------------- the estimate (CLI and TUI say it the same way)


def fmt_duration(seconds: float) -> str:
    if math.isinf(seconds):
        return "an unknown time"
    if seconds < 90:
        return f"{max(0, round(seconds))} seconds"
    if seconds < 5400:
        return f"{round(seconds / 60)} minutes"
    return f"{seconds / 3600:.1f} hours"


def estimate_text(n: int, n_offline: int, settings: BudgetSettings) -> str:
    """``40 machines: about 4 minutes at 10 calls a minute, 3 will queue offline``."""
    # every window lets rate_calls more through; the last wave still needs about a window to run
    seconds = math.ceil(n / settings.rate_calls) * settings.rate_window_s if n else 0.0
    per = settings.rate_calls * 60.0 / settings.rate_window_s
    rate = (
        f"{per:g} calls a minute"
        if settings.rate_window_s >= 1
        else f"{settings.rate_calls} calls per {settings.rate_window_s:g} s"
    )
    when = "submitted right away" if n <= settings.rate_calls else f"about {fmt_duration(seconds)}"
    text = f"{n} machine{'s' if n != 1 else ''}: {when} at {rate}"
    if n > settings.max_sessions:
        text += f", at most {settings.max_sessions} at once (the rest wait for sessions to free)"
    if n_offline:
        text += f", {n_offline} will queue offline (up to 3 days)"
        if n_offline >= settings.max_sessions:
            text += " and hold every session until they connect"
    return text
