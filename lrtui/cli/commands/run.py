"""``lrtui run``: one sequence on one or more machines, headless (or only printed, with ``--dry-run``)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path

from lrtui.api.errors import ValidationError, error_text
from lrtui.api.models import Machine
from lrtui.api.sequence import Sequence
from lrtui.cli.compose import build_runtime
from lrtui.cli.exits import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from lrtui.cli.parser import OrderedCommand
from lrtui.cli.render import Progress, all_succeeded, dry_run_document, dumps, print_jobs, render_dry_run
from lrtui.cli.sequence_args import build_sequence
from lrtui.cli.targets import resolve_targets
from lrtui.engine import batch
from lrtui.engine.engine import Engine
from lrtui.engine.jobs import Job, JobState, Outcome, Priority
from lrtui.runtime import Runtime
from lrtui.settings import Settings


@dataclass(frozen=True)
class RunOptions:
    """What ``lrtui run`` was asked to do."""

    machines: list[str]
    machines_file: Path | None
    odata_filter: str | None
    commands: list[OrderedCommand] | None
    comment: str | None
    out: Path | None
    as_json: bool
    wait: bool
    dry_run: bool

    @classmethod
    def from_args(cls, ns: argparse.Namespace) -> RunOptions:
        return cls(
            machines=list(ns.machine),
            machines_file=Path(ns.machines_file) if ns.machines_file else None,
            odata_filter=ns.filter,
            commands=ns.commands,
            comment=ns.comment,
            out=ns.out,
            as_json=ns.json,
            wait=not ns.no_wait,
            dry_run=ns.dry_run,
        )


def _usage_error(e: ValidationError) -> int:
    print(f"lrtui run: {error_text(e)}", file=sys.stderr)
    return EXIT_USAGE


async def run(ns: argparse.Namespace, settings: Settings) -> int:
    opts = RunOptions.from_args(ns)
    try:
        seq = build_sequence(opts.commands, opts.comment, settings.profile.default_comment())
    except ValidationError as e:
        return _usage_error(e)
    runtime = await build_runtime(settings, start=not opts.dry_run, data_dir=opts.out)
    try:
        try:
            machines = await resolve_targets(
                runtime.client, opts.machines, machines_file=opts.machines_file, odata_filter=opts.odata_filter
            )
        except ValidationError as e:
            return _usage_error(e)
        if settings.demo:
            print(f"lrtui: using the demo tenant ({settings.demo_reason}).", file=sys.stderr)
        if opts.dry_run:
            return await _dry_run(runtime.engine, seq, machines, as_json=opts.as_json)
        return await _run(runtime, seq, machines, opts)
    finally:
        await runtime.aclose()


def _estimate(engine: Engine, machines: list[Machine]) -> str:
    offline = sum(1 for m in machines if not m.is_online)
    return batch.estimate_text(len(machines), offline, engine.budget.settings)


async def _dry_run(engine: Engine, seq: Sequence, machines: list[Machine], *, as_json: bool) -> int:
    issues = await engine.preflight(seq, machines)
    est = _estimate(engine, machines)
    docs = dry_run_document(seq, machines, issues)
    if as_json:
        print(dumps({"dry_run": True, "estimate": est, "requests": docs}))
    else:
        print(render_dry_run(docs, est))
    return EXIT_USAGE if any(i.level == "error" for i in issues) else EXIT_OK


async def _run(runtime: Runtime, seq: Sequence, machines: list[Machine], opts: RunOptions) -> int:
    engine = runtime.engine
    sys.stderr.write(_estimate(engine, machines) + "\n")
    progress = Progress(sys.stderr)
    prio = Priority.INTERACTIVE if len(machines) == 1 else Priority.BULK
    try:
        if opts.wait:
            jobs = await batch.run_batch(engine, seq, list(machines), opts.out, progress, priority=prio)
        else:
            jobs = await engine.submit(seq, machines, priority=prio)
            await _until_submitted(engine, jobs, progress)
    finally:
        progress.close()
    print_jobs(jobs, as_json=opts.as_json, stdout=sys.stdout)
    if not opts.wait:
        sys.stderr.write("Submitted; `lrtui resume` follows the actions and downloads the results.\n")
        return EXIT_OK if not any(j.outcome and j.outcome is not Outcome.SUCCEEDED for j in jobs) else EXIT_FAILED
    return EXIT_OK if all_succeeded(jobs) else EXIT_FAILED


async def _until_submitted(engine: Engine, jobs: list[Job], progress: Progress) -> None:
    while any(j.state in (JobState.QUEUED, JobState.SUBMITTING) for j in jobs):
        progress(engine.budget_snapshot(), jobs)
        await asyncio.sleep(0.2)
