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
from lrtui.cli.compose import demo_journal_dir, reading_journals
from lrtui.cli.exits import EXIT_OK
from lrtui.cli.output import document, dumps
from lrtui.cli.tenant import headless_tenant
from lrtui.engine.batches import BatchNotFound, BatchRecord, batch_jobs, batches, find_batch, matching_batches
from lrtui.engine.jobs import Job
from lrtui.engine.journal import Journal
from lrtui.settings import Settings


async def with_journal(settings: Settings, fn: Callable[[Journal], Awaitable[int]], batch: str) -> int:
    """Run ``fn`` on the journal that holds ``batch``: the profile's, or with ``--demo`` the one of the demo's
    kept journals (one per session) that has it. No sign-in, no client, no engine, nothing sent."""
    async with reading_journals(settings) as journals:
        if not settings.demo:
            return await fn(journals[0])
        return await fn(await asyncio.to_thread(demo_journal_with, journals, batch, settings))


def demo_journal_with(journals: list[Journal], wanted: str, settings: Settings) -> Journal:
    """The one demo journal whose batches ``wanted`` names (an id or a unique prefix across all of them)."""
    found = [(journal, hit) for journal in journals for hit in matching_batches(journal, wanted)]
    if len(found) == 1:
        return found[0][0]
    if not found:
        raise BatchNotFound(
            f"No batch {wanted!r} in the demo's journals ({len(journals)} kept under {demo_journal_dir(settings)}).",
            hint="`lrtui batches --demo` lists them; `lrtui run --demo ...` records one per run.",
        )
    raise BatchNotFound(
        f"{len(found)} demo batches start with {wanted!r}.", hint="Give more of the id (`lrtui batches --demo`)."
    )


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

    def read(journal: Journal) -> list[dict[str, Any]]:
        return [_row(b, batch_jobs(journal, b.batch_id)) for b in batches(journal)]

    async def go(journals: list[Journal]) -> int:
        rows = [row for journal in journals for row in await asyncio.to_thread(read, journal)]
        rows.sort(key=lambda r: r["time"], reverse=True)
        if ns.fmt == "json":
            sys.stdout.write(dumps(document("batches", tenant, batches=rows)) + "\n")
        elif not rows and settings.demo:
            sys.stdout.write(
                "No demo batches yet: `lrtui run --demo ...` (or a run in `lrtui --demo`) records one; each demo"
                f" session keeps its journal under {demo_journal_dir(settings)}.\n"
            )
        elif not rows:
            sys.stdout.write("No batches in the journal yet (`lrtui run` records one per run).\n")
        else:
            sys.stdout.write(render_batches(rows) + "\n")
        return EXIT_OK

    async with reading_journals(settings) as journals:  # with --demo: every demo session's batches
        return await go(journals)
