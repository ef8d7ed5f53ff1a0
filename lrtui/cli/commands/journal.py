"""The journal's commands: ``lrtui resume``, ``actions``, ``results ACTION_ID`` and ``export --case ID``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from lrtui.api.enums import ActionStatus
from lrtui.api.errors import ValidationError, error_text
from lrtui.cli.batch_follow import follow_unless_held, paused_message
from lrtui.cli.compose import build_runtime, reading_journals
from lrtui.cli.exits import EXIT_DEADLINE, EXIT_FAILED, EXIT_OK, EXIT_USAGE
from lrtui.cli.follow import out_dirs, stream_events, unfinished, write_results
from lrtui.cli.output import JsonLines, all_succeeded, csv_text, document, dumps
from lrtui.cli.render import Progress, print_jobs, render_actions, render_export
from lrtui.cli.targets import check_action_ids
from lrtui.cli.tenant import headless_tenant
from lrtui.engine import batch
from lrtui.engine.batch_state import BatchState
from lrtui.engine.batches import BatchNotFound, find_batch
from lrtui.engine.jobs import Job, Outcome
from lrtui.engine.journal import Journal
from lrtui.engine.outcomes import final_outcome
from lrtui.runtime import Runtime
from lrtui.settings import Settings

ACTION_COLUMNS = ["job_id", "machine_id", "machine_name", "action_id", "state", "outcome", "comment"]


async def _with_runtime(settings: Settings, fn: Callable[[Runtime], Awaitable[int]]) -> int:
    """A runtime whose engine is not started (the command starts it if it needs it), closed afterwards."""
    runtime = await build_runtime(settings, start=False)
    try:
        return await fn(runtime)
    finally:
        await runtime.aclose()


def _resume_usage(ns: argparse.Namespace) -> str | None:
    if (ns.retry_failed or ns.cancel) and not ns.batch:
        return "--retry-failed and --cancel need --batch ID (`lrtui batches` lists them)."
    if ns.retry_failed and ns.cancel:
        return "Say --retry-failed or --cancel, not both."
    return None


async def resume(ns: argparse.Namespace, settings: Settings) -> int:
    tenant = headless_tenant(ns, settings)
    if problem := _resume_usage(ns):
        print(f"lrtui resume: {problem} Nothing was sent.", file=sys.stderr)
        return EXIT_USAGE

    async def go(rt: Runtime) -> int:
        batch_id: str | None = None
        if ns.batch:
            try:
                batch_id = find_batch(rt.journal.open(), ns.batch).batch_id
            except BatchNotFound as e:
                print(f"lrtui resume: {error_text(e)} Nothing was sent.", file=sys.stderr)
                return EXIT_USAGE
        progress = Progress(sys.stderr)
        jsonl = JsonLines(sys.stdout, tenant) if ns.fmt == "jsonl" else None
        unsubscribe = stream_events(rt.engine, jsonl) if jsonl else None
        jobs: list[Job] = []
        finished = True
        try:
            jobs = await batch.pick_up(rt.engine)  # results.json is written below, in the CLI's shape
            if batch_id is not None:
                jobs = await batch.continue_batch(rt.engine, batch_id, retry_failed=ns.retry_failed, cancel=ns.cancel)
            finished = await follow_unless_held(rt.engine, jobs, progress, deadline_s=ns.deadline)
        finally:
            progress.close()
            if unsubscribe:
                unsubscribe()
            for folder, group in out_dirs(jobs, ns.out).items():
                await asyncio.to_thread(write_results, folder, group, tenant, stopped_at_deadline=not finished)
        if not jobs:
            sys.stderr.write("Nothing to resume: every job in the journal is finished.\n")
        extra: dict[str, object] = {"stopped_at_deadline": not finished}
        state = rt.engine.batches.state(batch_id) if batch_id else None
        if state is not None:
            extra["batch"] = state.to_json()
        if jsonl:
            jsonl.summary(jobs, **extra)
        else:
            print_jobs(jobs, fmt=ns.fmt, stdout=sys.stdout, tenant=tenant, **extra)
        if finished and (paused := _paused(rt, jobs, state)):
            for st in paused:
                sys.stderr.write(paused_message("resume", st))
            return EXIT_FAILED
        if not finished:
            sys.stderr.write(f"lrtui resume: stopped at the deadline with {len(unfinished(jobs))} job(s) unfinished.\n")
            return EXIT_DEADLINE
        return EXIT_OK if not jobs or all_succeeded(jobs) else EXIT_FAILED

    return await _with_runtime(settings, go)


def _paused(rt: Runtime, jobs: list[Job], state: BatchState | None) -> list[BatchState]:
    """The paused batches whose held jobs are among ``jobs`` (the batch asked for first)."""
    ids = {j.batch_id for j in jobs if rt.engine.batches.is_held(j)}
    states = [rt.engine.batches.state(b) for b in sorted(ids)]
    if state is not None and state.paused and state.batch_id not in ids:
        states.insert(0, state)
    return [s for s in states if s.paused]


async def actions(ns: argparse.Namespace, settings: Settings) -> int:
    tenant = headless_tenant(ns, settings)

    def read(journals: list[Journal]) -> list[dict[str, Any]]:
        """The profile's journal alone (no sign-in, no client), or every kept demo session's, oldest first."""
        return [row for j in journals[::-1] for row in batch.list_actions_from_journal(j, active_only=ns.active)]

    async def go() -> int:
        async with reading_journals(settings) as journals:
            rows = await asyncio.to_thread(read, journals)
        if ns.fmt == "json":
            sys.stdout.write(dumps(document("actions", tenant, actions=rows)) + "\n")
        elif ns.fmt == "csv":
            sys.stdout.write(csv_text(ACTION_COLUMNS, ([r[c] for c in ACTION_COLUMNS] for r in rows)))
        elif not rows:
            sys.stdout.write(("The journal is empty." if not ns.active else "No unfinished jobs.") + "\n")
        else:
            sys.stdout.write(render_actions(rows) + "\n")
        return EXIT_OK

    return await go()


async def results(ns: argparse.Namespace, settings: Settings) -> int:
    tenant = headless_tenant(ns, settings)
    try:
        check_action_ids([ns.action_id])
    except ValidationError as e:
        print(f"lrtui results: {error_text(e)}", file=sys.stderr)
        return EXIT_USAGE

    async def go(rt: Runtime) -> int:
        data_dir = settings.paths.data_dir()
        job = await batch.fetch_results(rt.client, ns.action_id, ns.out, journal=rt.journal, data_dir=data_dir)
        active = job.action_status in (ActionStatus.PENDING, ActionStatus.IN_PROGRESS)
        outcome = None if active else final_outcome(job)
        if job.outcome is None:
            job.outcome = outcome
        print_jobs([job], fmt=ns.fmt, stdout=sys.stdout, tenant=tenant)
        if active:
            return EXIT_DEADLINE
        return EXIT_OK if outcome is Outcome.SUCCEEDED and job.outcome is Outcome.SUCCEEDED else EXIT_FAILED

    return await _with_runtime(settings, go)


async def export(ns: argparse.Namespace, settings: Settings) -> int:
    headless_tenant(ns, settings)

    async def go(rt: Runtime) -> int:
        manifest = await batch.export_case(ns.case, ns.out, journal=rt.journal)
        print(render_export(ns.case, ns.out, manifest))
        if not manifest["jobs"]:
            return EXIT_FAILED
        return EXIT_OK if manifest["chain"]["ok"] and not manifest["problems"] else EXIT_FAILED

    return await _with_runtime(settings, go)
