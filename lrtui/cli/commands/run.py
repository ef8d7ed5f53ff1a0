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
from lrtui.cli.batch_follow import follow_unless_held, paused_message, plan_of
from lrtui.cli.compose import build_runtime
from lrtui.cli.exits import EXIT_DEADLINE, EXIT_FAILED, EXIT_OK, EXIT_USAGE
from lrtui.cli.follow import follow, out_dirs, stream_events, unfinished, write_results
from lrtui.cli.output import JsonLines, Tenant, all_succeeded, document, dumps
from lrtui.cli.parser import OrderedCommand
from lrtui.cli.render import Progress, dry_run_document, print_jobs, printable, render_dry_run
from lrtui.cli.sequence_args import build_sequence
from lrtui.cli.targets import resolve_targets
from lrtui.cli.tenant import headless_tenant
from lrtui.engine import batch
from lrtui.engine.batch_state import BatchState
from lrtui.engine.canary import CanaryPlan
from lrtui.engine.engine import Engine
from lrtui.engine.jobs import Job, JobState, Outcome, Priority
from lrtui.engine.preflight import local_checks
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
    fmt: str
    wait: bool
    dry_run: bool
    deadline_s: float | None
    skip_offline: bool
    plan: CanaryPlan | None = None  #: ``--canary``/``--max-failures``

    @classmethod
    def from_args(cls, ns: argparse.Namespace) -> RunOptions:
        return cls(
            machines=list(ns.machine),
            machines_file=Path(ns.machines_file) if ns.machines_file else None,
            odata_filter=ns.filter,
            commands=ns.commands,
            comment=ns.comment,
            out=ns.out,
            fmt=ns.fmt,
            wait=not ns.no_wait,
            dry_run=ns.dry_run,
            deadline_s=ns.deadline,
            skip_offline=ns.skip_offline,
            plan=plan_of(ns.canary, ns.canary_max_failures, ns.max_failures),
        )


def _usage_error(e: ValidationError) -> int:
    print(f"lrtui run: {error_text(e)}", file=sys.stderr)
    return EXIT_USAGE


async def run(ns: argparse.Namespace, settings: Settings) -> int:
    opts = RunOptions.from_args(ns)
    tenant = headless_tenant(ns, settings)
    try:
        seq = build_sequence(opts.commands, opts.comment, settings.profile.default_comment())
    except ValidationError as e:
        return _usage_error(e)
    if ns.canary_max_failures is not None and ns.canary is None:
        return _usage_error(ValidationError("--canary-max-failures needs --canary N (the canary it applies to)."))
    runtime = await build_runtime(settings, start=False, data_dir=opts.out)
    try:
        if refused := await _local_refusal(runtime, seq, 0):  # nothing asked of the service yet
            return refused
        try:
            machines = await resolve_targets(
                runtime.client, opts.machines, machines_file=opts.machines_file, odata_filter=opts.odata_filter
            )
        except ValidationError as e:
            return _usage_error(e)
        if tenant.demo:
            print(f"lrtui: using the demo tenant ({settings.demo_reason}).", file=sys.stderr)
        if opts.dry_run:
            return await _dry_run(runtime.engine, seq, machines, tenant, as_json=opts.fmt == "json")
        skipped: list[Machine] = []
        if opts.skip_offline:
            skipped = [m for m in machines if not m.is_online]
            machines = [m for m in machines if m.is_online]
            if skipped:
                names = ", ".join(printable(m.name) for m in skipped)
                print(
                    f"lrtui run: left out {len(skipped)} machine(s) not Active (--skip-offline): {names}",
                    file=sys.stderr,
                )
            if not machines:
                print("lrtui run: every target is offline; nothing was sent.", file=sys.stderr)
                return EXIT_FAILED
        if refused := await _local_refusal(runtime, seq, len(machines)):
            return refused
        if opts.plan and opts.plan.size >= len(machines):
            n, size = len(machines), opts.plan.size
            return _usage_error(
                ValidationError(f"--canary {size} needs more than {size} machines; this run has {n}. Nothing was sent.")
            )
        return await _run(runtime, seq, machines, opts, tenant, [m.name for m in skipped])
    finally:
        await runtime.aclose()


async def _local_refusal(runtime: Runtime, seq: Sequence, n_machines: int) -> int:
    """EXIT_USAGE (messages printed) when the output folder, the journal or the free space would fail the run."""
    journal = runtime.journal
    issues = await asyncio.to_thread(local_checks, runtime.data_dir, journal.path, seq, n_machines)
    messages = [i.message for i in issues]
    if journal.read_only and not messages:
        messages.append(f"The journal {journal.path} is read-only. Fix its permissions or move it aside.")
    for m in messages:
        print(f"lrtui run: {m} Nothing was sent.", file=sys.stderr)
    return EXIT_USAGE if messages else EXIT_OK


def _estimate(engine: Engine, machines: list[Machine]) -> str:
    offline = sum(1 for m in machines if not m.is_online)
    return batch.estimate_text(len(machines), offline, engine.budget.settings)


async def _dry_run(engine: Engine, seq: Sequence, machines: list[Machine], tenant: Tenant, *, as_json: bool) -> int:
    issues = await engine.preflight(seq, machines)
    est = _estimate(engine, machines)
    docs = dry_run_document(seq, machines, issues)
    if as_json:
        print(dumps(document("dry_run", tenant, dry_run=True, estimate=est, requests=docs)))
    else:
        print(render_dry_run(docs, est))
    return EXIT_USAGE if any(i.level == "error" for i in issues) else EXIT_OK


async def _run(
    runtime: Runtime, seq: Sequence, machines: list[Machine], opts: RunOptions, tenant: Tenant, skipped: list[str]
) -> int:
    engine = runtime.engine
    sys.stderr.write(_estimate(engine, machines) + "\n")
    progress = Progress(sys.stderr)
    prio = Priority.INTERACTIVE if len(machines) == 1 else Priority.BULK
    jsonl = JsonLines(sys.stdout, tenant, job_ids=set()) if opts.fmt == "jsonl" else None
    unsubscribe = stream_events(engine, jsonl) if jsonl else None
    jobs: list[Job] = []
    finished = True
    try:
        await runtime.start()
        jobs = await engine.submit(seq, machines, priority=prio, out_dir=opts.out, canary=opts.plan)
        if jsonl:
            jsonl.job_ids = {j.id for j in jobs}
            for j in jobs:
                jsonl.job(j)
        if opts.wait and opts.plan:
            finished = await follow_unless_held(engine, jobs, progress, deadline_s=opts.deadline_s)
        elif opts.wait:
            finished = await follow(engine, jobs, progress, deadline_s=opts.deadline_s)
        else:
            await _until_submitted(engine, jobs, progress)
    finally:
        progress.close()
        if unsubscribe:
            unsubscribe()
        extra = {"skipped_offline": skipped, "stopped_at_deadline": not finished}
        for folder, group in out_dirs(jobs, opts.out).items():
            await asyncio.to_thread(write_results, folder, group, tenant, **extra)
    state = engine.batches.state(jobs[0].batch_id) if opts.plan and jobs else None
    return _finish(jobs, opts, tenant, finished, skipped, jsonl, state)


def _finish(
    jobs: list[Job],
    opts: RunOptions,
    tenant: Tenant,
    finished: bool,
    skipped: list[str],
    jsonl: JsonLines | None,
    state: BatchState | None = None,
) -> int:
    extra: dict[str, object] = {"skipped_offline": skipped, "stopped_at_deadline": not finished}
    if state is not None:
        extra["batch"] = state.to_json()
    if jsonl:
        jsonl.summary(jobs, **extra)
    else:
        print_jobs(jobs, fmt=opts.fmt, stdout=sys.stdout, tenant=tenant, **extra)
    if not opts.wait:
        sys.stderr.write("Submitted; `lrtui resume` follows the actions and downloads the results.\n")
        if state is not None and state.held:
            sys.stderr.write(f"{state.held} job(s) wait for the canary: `lrtui resume` sends them once it passes.\n")
        return EXIT_OK if not any(j.outcome and j.outcome is not Outcome.SUCCEEDED for j in jobs) else EXIT_FAILED
    if state is not None and state.paused and finished:
        sys.stderr.write(paused_message("run", state))
        return EXIT_FAILED
    if not finished:
        left = unfinished(jobs)
        sys.stderr.write(
            f"lrtui run: stopped at the deadline with {len(left)} job(s) still queued or running; "
            "the actions go on on the service and `lrtui resume` follows them.\n"
        )
        return EXIT_DEADLINE
    return EXIT_OK if all_succeeded(jobs) else EXIT_FAILED


async def _until_submitted(engine: Engine, jobs: list[Job], progress: Progress) -> None:
    while any(j.state in (JobState.QUEUED, JobState.SUBMITTING) for j in jobs):
        progress(engine.budget_snapshot(), jobs)
        await asyncio.sleep(0.2)
