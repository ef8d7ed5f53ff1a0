"""What the headless commands ask of the engine: batch runs, resume, journal listings, one action's results,
case export, and the plain-words estimate of a batch. Every function returns data; ``lrtui.cli`` renders it.

The caller builds (and stops) the ``Engine``; these functions only start it and follow the jobs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import time
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
from lrtui.engine.results import ResultCollector, private_dirs

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
    """Merge ``jobs`` into ``results.json`` of ``out_dir``, or of the folder each job's run recorded when
    ``out_dir`` is None (jobs of runs without ``--out`` write nothing). Jobs already in the file and not in
    ``jobs`` are kept; the file is replaced atomically (0600, in a 0700 folder when lrtui creates it)."""
    groups: dict[Path, list[Job]] = {}
    for j in jobs:
        where = out_dir if out_dir is not None else Path(j.out_dir) if j.out_dir else None
        if where is not None:
            groups.setdefault(Path(where), []).append(j)
    for folder, group in groups.items():
        merge_results(folder, [job_to_json(j) for j in group])


def merge_results(folder: Path, docs: list[dict[str, Any]]) -> Path:
    """Blocking: ``folder/results.json`` with ``docs`` merged in by ``job_id`` (replaced or appended)."""
    private_dirs(folder, folder)
    path = folder / "results.json"
    old: list[dict[str, Any]] = []
    if path.exists():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            items = loaded.get("jobs") if isinstance(loaded, dict) else loaded
            if not isinstance(items, list):
                raise ValueError("not a list of jobs")
            old = [d for d in items if isinstance(d, dict)]
        except (ValueError, UnicodeDecodeError) as e:
            aside = path.with_name(f"results.json.unreadable-{int(time.time())}")
            os.replace(path, aside)
            log.warning("%s could not be read (%s); moved it to %s and wrote a new one", path, e, aside)
    merged = {str(d.get("job_id")): d for d in old}
    merged.update({str(d["job_id"]): d for d in docs})
    tmp = path.with_name("results.json.part")
    tmp.unlink(missing_ok=True)
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as f:
        f.write(json.dumps(list(merged.values()), indent=2, ensure_ascii=True))
    os.replace(tmp, path)
    return path


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
        jobs = await engine.submit(sequence, targets, priority=priority, out_dir=out_dir)
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
) -> list[Job]:
    """Pick up every unfinished job of the journal (poll, reconcile, submit, download) and see them through,
    with the results whose download failed for a reason that may pass (network, disk space) collected again.
    Evidence goes where each job's run put it; ``results.json`` is merged into ``out_dir``, or into the folder
    each job's run recorded."""
    jobs = await pick_up(engine)
    try:
        await _drive(engine, jobs, progress, progress_every)
    finally:
        await asyncio.to_thread(_write_results, jobs, out_dir)
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
