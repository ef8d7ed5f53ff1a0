"""What the CLI calls: batch runs, resume, journal listings, one action's results, case export, and text.

Every function takes either a runtime (anything with ``client`` and ``engine``, optionally ``journal``) or a
bare ``MdeClient``; with a bare client an engine is built on the profile's journal.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from lrtui.api import errors as E
from lrtui.api.models import Machine
from lrtui.api.sequence import Sequence
from lrtui.engine.budget import BudgetSettings
from lrtui.engine.jobs import FAILED_OUTCOMES, Job, JobState, Outcome, Priority, job_to_json, summarize
from lrtui.engine.outcomes import failure_summary

Progress = Callable[[str], None] | None

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


# ---------------------------------------------------------------- building blocks


def _journal_for(profile: str):
    from lrtui.engine.journal import Journal
    from lrtui.paths import journal_file

    return Journal(journal_file(profile))


def _engine_for(
    runtime_or_client: Any, out_dir: Path | None, settings: BudgetSettings | None, journal: Any, profile: str
):
    """(engine, client, owned) from a runtime or a client; ``owned`` means we built the engine."""
    eng = getattr(runtime_or_client, "engine", None)
    if eng is not None:
        return eng, eng.client, False
    from lrtui.engine.engine import Engine
    from lrtui.paths import data_dir

    client = runtime_or_client
    journal = journal or _journal_for(profile)
    journal.open()
    settings = settings or BudgetSettings.from_env()
    return Engine(client, journal, settings, data_dir=Path(out_dir) if out_dir else data_dir()), client, True


async def resolve_machines(client: Any, refs: Iterable[Machine | str], concurrency: int = 4) -> list[Machine | str]:
    """Machines as given, ids and names looked up (``get_machine`` accepts both); unknown ones stay strings."""
    sem = asyncio.Semaphore(concurrency)

    async def one(ref: Machine | str) -> Machine | str:
        if isinstance(ref, Machine):
            return ref
        async with sem:
            try:
                return await client.get_machine(ref.strip())
            except E.NotFound:
                return ref.strip()

    return list(await asyncio.gather(*(one(r) for r in refs)))


async def _drive(engine: Any, jobs: list[Job], progress: Progress, every: float) -> None:
    while any(j.state is not JobState.DONE for j in jobs):
        if progress:
            progress(progress_line(engine.budget_snapshot(), jobs))
        try:
            await asyncio.wait_for(engine.wait_idle(), timeout=every)
        except TimeoutError:
            pass
    if progress:
        progress(progress_line(engine.budget_snapshot(), jobs))


def _write_results(jobs: list[Job], out_dir: Path | None) -> None:
    if out_dir is None:
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(
        json.dumps([job_to_json(j) for j in jobs], indent=2, ensure_ascii=False), encoding="utf-8"
    )


async def _finish(engine: Any, owned: bool, jobs: list[Job], out: Path | None) -> None:
    """Stop an engine we built (a runtime's stays running) and write what the jobs have so far."""
    try:
        if owned:
            await engine.stop()
    finally:
        await asyncio.to_thread(_write_results, jobs, out)


# ---------------------------------------------------------------- commands


async def run_batch(
    runtime_or_client: Any,
    sequence: Sequence,
    machines: Iterable[Machine | str],
    out_dir: Path | str | None,
    progress: Progress = None,
    *,
    settings: BudgetSettings | None = None,
    journal: Any = None,
    profile: str = "default",
    priority: Priority = Priority.BULK,
    progress_every: float = 2.0,
) -> list[Job]:
    """Submit ``sequence`` to every machine, follow all to the end, collect results; returns the jobs."""
    out = Path(out_dir) if out_dir else None
    engine, client, owned = _engine_for(runtime_or_client, out, settings, journal, profile)
    await engine.start()
    jobs: list[Job] = []
    try:
        targets = await resolve_machines(client, machines)
        jobs = await engine.submit(sequence, targets, priority=priority)
        await _drive(engine, jobs, progress, progress_every)
    finally:
        await _finish(engine, owned, jobs, out)
    return jobs


async def resume(
    runtime_or_client: Any,
    out_dir: Path | str | None = None,
    progress: Progress = None,
    *,
    settings: BudgetSettings | None = None,
    journal: Any = None,
    profile: str = "default",
    progress_every: float = 2.0,
    wait: bool = True,
) -> list[Job]:
    """Pick up every unfinished job of the journal (poll, reconcile, submit, download) and see them through."""
    out = Path(out_dir) if out_dir else None
    engine, _, owned = _engine_for(runtime_or_client, out, settings, journal, profile)
    pending = {j.id for j in await asyncio.to_thread(engine.journal.unfinished_jobs)}
    await engine.start()
    jobs = [j for j in engine.jobs if j.id in pending]
    try:
        if wait:
            await _drive(engine, jobs, progress, progress_every)
    finally:
        await _finish(engine, owned, jobs, out)
    return jobs


def list_actions_from_journal(
    journal: Any = None, *, active_only: bool = False, profile: str = "default", as_json: bool = False
) -> list[dict[str, Any]] | str:
    """The journal's jobs (newest last) as dicts, or a text table when ``as_json`` is False and asked to render."""
    j = journal or _journal_for(profile)
    j.open()
    jobs = j.unfinished_jobs() if active_only else j.all_jobs()
    rows = [job_to_json(x) for x in jobs]
    if as_json:
        return json.dumps(rows, indent=2, ensure_ascii=False)
    return rows


def render_actions(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'ACTION':36}  {'MACHINE':28}  {'STATE':10}  {'OUTCOME':14}  COMMENT"]
    for r in rows:
        lines.append(
            f"{(r['action_id'] or '-'):36}  {printable(r['machine_name'])[:28]:28}  {r['state']:10}  "
            f"{(r['outcome'] or '-'):14}  {printable(r['comment'] or '')[:60]}"
        )
    return "\n".join(lines)


async def fetch_results(
    runtime_or_client: Any,
    action_id: str,
    out_dir: Path | str | None = None,
    *,
    journal: Any = None,
    profile: str = "default",
) -> Job:
    """One action's results. Without ``out_dir``: download what is still missing into the data folder and
    journal it. With ``out_dir``: download every result again into ``out_dir`` (the journalled evidence stays
    where it is; the copy is noted in the journal)."""
    from lrtui.engine.codec import result_to_dict
    from lrtui.engine.results import ResultCollector
    from lrtui.paths import data_dir

    eng = getattr(runtime_or_client, "engine", None)
    client = eng.client if eng is not None else runtime_or_client
    journal = journal or (eng.journal if eng is not None else _journal_for(profile))
    journal.open()
    action = await client.get_action(action_id, fresh=True)
    found = journal.jobs_for_action(action.id)
    job = found[-1] if found else _job_from_action(action)
    copy = out_dir is not None
    root = Path(out_dir) if copy else data_dir()
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


def _job_from_action(action: Any) -> Job:
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


async def export_case(case_id: str, out_dir: Path | str, *, journal: Any = None, profile: str = "default"):
    """Write the evidence bundle of a case; returns the manifest (``problems`` lists anything missing)."""
    from lrtui.engine.export import export_jobs

    j = journal or _journal_for(profile)
    j.open()
    return await export_jobs(j, case_id, Path(out_dir))


# ---------------------------------------------------------------- text

_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Device-controlled text made safe for a terminal: C0/C1 controls and bidi overrides removed."""
    return _UNPRINTABLE.sub("", text or "").replace("\n", " ")


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


def progress_line(snapshot: Any, jobs: list[Job]) -> str:
    counts = summarize(jobs)
    done = sum(1 for j in jobs if j.state is JobState.DONE)
    running = sum(
        1 for j in jobs if j.state in (JobState.RUNNING, JobState.PENDING, JobState.SUBMITTING, JobState.COLLECTING)
    )
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
    """Counts per outcome class, then each failed machine with its reason, grouped by class."""
    lines: list[str] = []
    by: dict[Outcome | None, list[Job]] = {}
    for j in jobs:
        by.setdefault(j.outcome, []).append(j)
    lines.append(f"{len(jobs)} machine{'s' if len(jobs) != 1 else ''}:")
    for o in list(Outcome) + [None]:
        group = by.get(o)
        if not group:
            continue
        lines.append(f"  {OUTCOME_TEXT.get(o, 'unfinished') if o else 'unfinished'}: {len(group)}")
    for o in Outcome:
        if o is Outcome.SUCCEEDED or not by.get(o):
            continue
        lines.append(f"{OUTCOME_TEXT[o]}:")
        for j in by[o]:
            lines.append(f"  {printable(j.machine_name)}: {printable(failure_summary(j))}")
    return "\n".join(lines)
