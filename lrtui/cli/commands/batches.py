"""``lrtui batches``: the journal's batches (one sequence sent to many machines at once), newest first, with how
their jobs stand. Also the reading of one batch that ``stack`` and ``table`` share."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lrtui.api.text import clean_line
from lrtui.cli.compose import build_runtime, open_journal
from lrtui.cli.exits import EXIT_OK
from lrtui.cli.output import document, dumps
from lrtui.cli.tenant import headless_tenant
from lrtui.engine.batches import BatchRecord, batch_jobs, batches, find_batch
from lrtui.engine.jobs import Job
from lrtui.engine.journal import Journal
from lrtui.settings import Settings


async def with_journal(settings: Settings, fn: Callable[[Journal], Awaitable[int]]) -> int:
    """Run ``fn`` on the profile's journal: no sign-in, no client, no engine, nothing sent (the demo tenant's
    journal comes with its in-process runtime, not started)."""
    if not settings.demo:
        journal = open_journal(settings)
        try:
            return await fn(journal)
        finally:
            journal.close()
    runtime = await build_runtime(settings, start=False)
    try:
        return await fn(runtime.journal)
    finally:
        await runtime.aclose()


@dataclass(frozen=True, slots=True)
class LoadedBatch:
    record: BatchRecord
    jobs: list[Job]


def load_batch(journal: Journal, wanted: str) -> LoadedBatch:
    """The batch ``wanted`` (id or unique prefix) and its jobs; ``BatchNotFound`` says what exists."""
    record = find_batch(journal, wanted)
    return LoadedBatch(record, batch_jobs(journal, record.batch_id))


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def counts_text(counts: Counter[str]) -> str:
    return ", ".join(f"{k} {n}" for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))) or "-"


def _row(record: BatchRecord, jobs: list[Job]) -> dict[str, Any]:
    states = Counter(j.state.value for j in jobs)
    outcomes = Counter(j.outcome.value for j in jobs if j.outcome is not None)
    return {
        "batch_id": record.batch_id,
        "time": iso(record.at),
        "comment": record.comment,
        "case_id": record.case_id,
        "machines": record.machines,
        "sequence": record.sequence,
        "states": dict(sorted(states.items())),
        "outcomes": dict(sorted(outcomes.items())),
        "derived": record.derived,
    }


def render_batches(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'BATCH':<12}  {'TIME (UTC)':<20}  {'MACHINES':>8}  {'OUTCOMES':<36}  COMMENT"]
    for r in rows:
        outcomes = Counter(r["outcomes"])
        unfinished = r["machines"] - sum(outcomes.values())
        if unfinished > 0:
            outcomes["unfinished"] = unfinished
        lines.append(
            f"{r['batch_id'][:12]:<12}  {r['time']:<20}  {r['machines']:>8}  {counts_text(outcomes):<36}  "
            + ("(derived from its jobs) " if r["derived"] else "")
            + clean_line(r["comment"])[:120]
        )
    return "\n".join(lines)


async def list_batches(ns: argparse.Namespace, settings: Settings) -> int:
    tenant = headless_tenant(ns, settings)

    async def go(journal: Journal) -> int:
        def read() -> list[dict[str, Any]]:
            return [_row(b, batch_jobs(journal, b.batch_id)) for b in batches(journal)]

        rows = await asyncio.to_thread(read)
        if ns.fmt == "json":
            sys.stdout.write(dumps(document("batches", tenant, batches=rows)) + "\n")
        elif not rows:
            sys.stdout.write("No batches in the journal yet (`lrtui run` records one per run).\n")
        else:
            sys.stdout.write(render_batches(rows) + "\n")
        return EXIT_OK

    return await with_journal(settings, go)
