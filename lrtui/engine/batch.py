"""What the headless commands ask of the engine: batch runs, resume, journal listings, one action's results,
case export, and the plain-words estimate of a batch. Every function returns data; ``lrtui.cli`` renders it.

The caller builds (and stops) the ``Engine``; these functions only start it and follow the jobs.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrtui.api import errors as E
from lrtui.api.enums import CommandStatus, CommandType
from lrtui.api.models import Machine, MachineAction
from lrtui.api.sequence import Sequence
from lrtui.engine.budget import BudgetSettings
from lrtui.engine.codec import result_to_dict
from lrtui.engine.engine import Engine
from lrtui.engine.export import export_jobs
from lrtui.engine.jobs import BudgetSnapshot, CommandResult, Job, JobState, Outcome, Priority, job_to_json
from lrtui.engine.journal import Journal
from lrtui.engine.results import ResultCollector
from lrtui.engine.waits import finished_within

if TYPE_CHECKING:
    from lrtui.api.client import MdeClient  # httpx (and, through it, rich) only when a client exists

log = logging.getLogger("lrtui.engine.batch")
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
    """Until every job is final, or every unfinished one is held by its paused batch (it waits on the analyst)."""
    while any(j.state is not JobState.DONE and not engine.batches.is_held(j) for j in jobs):
        if progress:
            progress(engine.budget_snapshot(), jobs)
        await finished_within(engine.wait_idle(), every)
    if progress:
        progress(engine.budget_snapshot(), jobs)


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
    """Submit ``sequence`` to every machine, follow all to the end, collect results; returns the jobs. Each job
    records ``out_dir`` (the run's ``--out``); the documents written there (``results.json``) are the CLI's."""
    await engine.start()
    targets = await resolve_machines(engine.client, machines)
    jobs = await engine.submit(sequence, targets, priority=priority, out_dir=out_dir)
    await _drive(engine, jobs, progress, progress_every)
    return jobs


async def resume(
    engine: Engine,
    progress: ProgressFn | None = None,
    *,
    progress_every: float = 2.0,
) -> list[Job]:
    """Pick up every unfinished job of the journal (poll, reconcile, submit, download) and see them through,
    with the results whose download failed for a reason that may pass (network, disk space) collected again.
    Evidence goes where each job's run put it."""
    jobs = await pick_up(engine)
    await _drive(engine, jobs, progress, progress_every)
    return jobs


async def pick_up(engine: Engine) -> list[Job]:
    """Start ``engine`` on every unfinished job of the journal, with the results whose download failed for a
    reason that may pass collected again; returns those jobs. Writes no ``results.json``: ``lrtui resume``
    writes its own (the CLI owns that document's shape)."""
    journal = engine.journal.open()
    await asyncio.to_thread(recollect_failed_downloads, journal)
    pending = {j.id for j in await asyncio.to_thread(journal.unfinished_jobs)}
    await engine.start()
    return [j for j in engine.jobs if j.id in pending]


async def continue_batch(
    engine: Engine, batch_id: str, *, retry_failed: bool = False, cancel: bool = False
) -> list[Job]:
    """After ``pick_up``: the batch resumed (its failed jobs retried first with ``retry_failed``), or cancelled;
    returns each of its machines' latest job (what to follow)."""
    control = engine.batches
    if cancel:
        await control.cancel(batch_id)
    else:
        if retry_failed:
            await control.retry_failed(batch_id)
        control.resume(batch_id)
    return control.latest(batch_id)


def needs_download(r: CommandResult) -> bool:
    """A completed command whose result could not be stored and may be on a later try."""
    collectable = r.type in (CommandType.RUN_SCRIPT, CommandType.GET_FILE)
    return collectable and not r.downloaded and r.status == CommandStatus.COMPLETED


def recollect_failed_downloads(journal: Journal) -> list[Job]:
    """Blocking: finished jobs with a result still to download go back to COLLECTING (journalled), so the
    engine's start picks them up like any unfinished job."""
    again = [
        j
        for j in journal.jobs_with_outcome(Outcome.API_ERROR.value)
        if j.action_id and any(needs_download(r) for r in j.results)
    ]
    for j in again:
        j.state, j.outcome, j.finished_at = JobState.COLLECTING, None, None
        journal.record_state(j, "recollect")
    return again


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
    collector = ResultCollector(client, root / "evidence", job_folders=not copy)
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
