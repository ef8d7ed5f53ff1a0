"""The journal's commands: ``lrtui resume``, ``actions``, ``results ACTION_ID`` and ``export --case ID``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable

from lrtui.cli.compose import build_runtime
from lrtui.cli.exits import EXIT_FAILED, EXIT_OK
from lrtui.cli.render import Progress, all_succeeded, dumps, print_jobs, render_actions, render_export
from lrtui.engine import batch
from lrtui.runtime import Runtime
from lrtui.settings import Settings


async def _with_runtime(settings: Settings, fn: Callable[[Runtime], Awaitable[int]]) -> int:
    """A runtime whose engine is not started (the command starts it if it needs it), closed afterwards."""
    runtime = await build_runtime(settings, start=False)
    try:
        return await fn(runtime)
    finally:
        await runtime.aclose()


async def resume(ns: argparse.Namespace, settings: Settings) -> int:
    async def go(rt: Runtime) -> int:
        progress = Progress(sys.stderr)
        try:
            jobs = await batch.resume(rt.engine, ns.out, progress)
        finally:
            progress.close()
        if not jobs:
            sys.stderr.write("Nothing to resume: every job in the journal is finished.\n")
            if ns.json:
                print_jobs([], as_json=True, stdout=sys.stdout)
            return EXIT_OK
        print_jobs(jobs, as_json=ns.json, stdout=sys.stdout)
        return EXIT_OK if all_succeeded(jobs) else EXIT_FAILED

    return await _with_runtime(settings, go)


async def actions(ns: argparse.Namespace, settings: Settings) -> int:
    async def go(rt: Runtime) -> int:
        rows = batch.list_actions_from_journal(rt.journal, active_only=ns.active)
        if ns.json:
            sys.stdout.write(dumps(rows) + "\n")
        elif not rows:
            sys.stdout.write(("The journal is empty." if not ns.active else "No unfinished jobs.") + "\n")
        else:
            sys.stdout.write(render_actions(rows) + "\n")
        return EXIT_OK

    return await _with_runtime(settings, go)


async def results(ns: argparse.Namespace, settings: Settings) -> int:
    async def go(rt: Runtime) -> int:
        data_dir = settings.paths.data_dir()
        job = await batch.fetch_results(rt.client, ns.action_id, ns.out, journal=rt.journal, data_dir=data_dir)
        print_jobs([job], as_json=ns.json, stdout=sys.stdout)
        return EXIT_OK

    return await _with_runtime(settings, go)


async def export(ns: argparse.Namespace, settings: Settings) -> int:
    async def go(rt: Runtime) -> int:
        manifest = await batch.export_case(ns.case, ns.out, journal=rt.journal)
        print(render_export(ns.case, ns.out, manifest))
        if not manifest["jobs"]:
            return EXIT_FAILED
        return EXIT_OK if manifest["chain"]["ok"] and not manifest["problems"] else EXIT_FAILED

    return await _with_runtime(settings, go)
