"""Following a headless batch: until every job is final, or until ``--deadline`` (the actions go on on the
service; ``lrtui resume`` follows them later), and ``results.json`` in the same schema as ``--json``."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrtui.cli.output import SCHEMA, JsonLines, Tenant, dumps, jobs_document
from lrtui.engine.jobs import BudgetSnapshot, Event, Job, JobChanged, JobState
from lrtui.engine.waits import finished_within
from lrtui.settings import ensure_dir

if TYPE_CHECKING:
    from lrtui.engine.engine import Engine

#: (budget snapshot, jobs) -> None: the progress line
ProgressFn = Callable[[BudgetSnapshot, list[Job]], None]


def unfinished(jobs: list[Job]) -> list[Job]:
    return [j for j in jobs if j.state is not JobState.DONE]


async def follow(
    engine: Engine, jobs: list[Job], progress: ProgressFn | None, *, deadline_s: float | None, every: float = 2.0
) -> bool:
    """Wait until every job of ``jobs`` is DONE (True), or until ``deadline_s`` has passed (False)."""
    loop = asyncio.get_running_loop()
    end = None if deadline_s is None else loop.time() + deadline_s
    while unfinished(jobs):
        if progress:
            progress(engine.budget_snapshot(), jobs)
        wait = every if end is None else min(every, end - loop.time())
        if wait <= 0:
            return False
        await finished_within(engine.wait_idle(), wait)
    if progress:
        progress(engine.budget_snapshot(), jobs)
    return True


def stream_events(engine: Engine, jsonl: JsonLines) -> Callable[[], None]:
    """Write ``jsonl`` lines for the engine's job changes; returns the unsubscribe function."""

    def on_event(event: Event) -> None:
        if isinstance(event, JobChanged):
            jsonl.job(event.job)

    return engine.subscribe(on_event)


def _read_jobs(path: Path) -> list[dict[str, Any]]:
    """The jobs of an earlier ``results.json`` (this schema, or the older plain list); [] if unreadable."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return []
    if isinstance(doc, dict) and doc.get("schema") == SCHEMA and isinstance(doc.get("jobs"), list):
        return [j for j in doc["jobs"] if isinstance(j, dict)]
    if isinstance(doc, list):
        return [j for j in doc if isinstance(j, dict)]
    return []


def write_results(out_dir: Path, jobs: list[Job], tenant: Tenant, **extra: Any) -> Path:
    """``out_dir/results.json`` (0600, folder 0700): the ``--json`` document. Jobs an earlier run or resume
    wrote there are kept (merged by job id; the newer state wins)."""
    ensure_dir(out_dir)
    path = out_dir / "results.json"
    doc = jobs_document(jobs, tenant, **extra)
    mine = {j["job_id"] for j in doc["jobs"]}
    older = [j for j in _read_jobs(path) if j.get("job_id") not in mine]
    doc["jobs"] = older + doc["jobs"]
    fd, tmp = tempfile.mkstemp(prefix=".results-", dir=str(out_dir))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(dumps(doc) + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def out_dirs(jobs: list[Job], given: Path | None) -> dict[Path, list[Job]]:
    """Where ``results.json`` goes: ``given`` for every job, else each job's recorded ``--out`` (if any)."""
    if given is not None:
        return {given: list(jobs)} if jobs else {}
    by: dict[Path, list[Job]] = {}
    for j in jobs:
        if j.out_dir:
            by.setdefault(Path(j.out_dir), []).append(j)
    return by
