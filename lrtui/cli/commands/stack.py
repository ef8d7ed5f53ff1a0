"""``lrtui stack BATCH`` and ``lrtui table BATCH``: a batch's RunScript outputs (the stdout evidence files) stacked
by whole output, by line or by a column's values, rarest first; or merged into one table with a ``machine``
column. Device text is untrusted: text output goes through ``clean_line``, JSON is ASCII-escaped and CSV cells
that a spreadsheet would run are neutralised."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrtui.api.errors import LrtuiError
from lrtui.api.text import clean_line
from lrtui.cli.commands.batches import LoadedBatch, counts_text, iso, load_batch, with_journal
from lrtui.cli.exits import EXIT_FAILED, EXIT_OK
from lrtui.cli.output import Tenant, document, dumps
from lrtui.cli.tenant import headless_tenant
from lrtui.engine.journal import Journal
from lrtui.engine.stacking import (
    DEFAULT_MASKS,
    MASKS,
    Glance,
    MachineOutput,
    csv_safe,
    glance,
    group_outputs,
    is_outlier,
    iter_table_rows,
    stack_column,
    stack_lines,
    table_columns,
)
from lrtui.settings import Settings

SHOW_MACHINES = 5  #: machines named per group or line in the text output (JSON and CSV name them all)


class StackError(LrtuiError):
    """The batch cannot be stacked as asked (no RunScript, no output, unknown column or mask)."""


@dataclass(slots=True)
class Evidence:
    """The stdout files of one RunScript of a batch, and the machines without one."""

    index: int  #: the command's index in the sequence
    script: str
    outputs: list[MachineOutput] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def parse_masks(ns: argparse.Namespace) -> tuple[str, ...]:
    if ns.no_mask:
        return ()
    if ns.mask is None:
        return DEFAULT_MASKS
    names = tuple(n.strip() for n in ns.mask.split(",") if n.strip())
    unknown = [n for n in names if n not in MASKS]
    if unknown:
        raise StackError(f"Unknown mask {unknown[0]!r}.", hint=f"Known masks: {', '.join(MASKS)} (or --no-mask).")
    return names


def evidence(batch: LoadedBatch, command: int | None) -> Evidence:
    """The RunScript ``command`` (its index in the sequence; default: the first RunScript) of every job."""
    cmds = batch.jobs[0].sequence.commands if batch.jobs else ()
    scripts = [i for i, c in enumerate(cmds) if c.type.value == "RunScript"]
    if not scripts:
        raise StackError(f"Batch {batch.record.batch_id} has no RunScript to stack.")
    index = scripts[0] if command is None else command
    if index not in scripts:
        where = ", ".join(f"{i} ({cmds[i].value})" for i in scripts)
        raise StackError(
            f"Command {index} of batch {batch.record.batch_id} is not a RunScript.", hint=f"Use one of: {where}."
        )
    ev = Evidence(index, cmds[index].value)
    for job in batch.jobs:
        result = next((r for r in job.results if r.index == index and r.stdout_path), None)
        path = Path(result.stdout_path) if result is not None and result.stdout_path else None
        if path is not None and path.is_file():
            ev.outputs.append(MachineOutput(job.machine_name, path))
        else:
            ev.missing.append(job.machine_name)
    ev.outputs.sort(key=lambda o: o.machine)
    if not ev.outputs:
        raise StackError(
            f"No machine of batch {batch.record.batch_id} has the output of {ev.script} on this computer yet.",
            hint="Wait for the jobs (lrtui resume) or fetch the results (lrtui results ACTION_ID).",
        )
    return ev


def _names(machines: tuple[str, ...] | list[str]) -> str:
    shown = ", ".join(clean_line(m) for m in machines[:SHOW_MACHINES])
    return shown + (f" and {len(machines) - SHOW_MACHINES} more" if len(machines) > SHOW_MACHINES else "")


def glance_text(batch: LoadedBatch, g: Glance) -> list[str]:
    r = batch.record
    codes = ", ".join(f"{'none' if c is None else c}: {n}" for c, n in sorted(g.exit_codes.items(), key=str))
    out = [
        f"Batch {r.batch_id}  {iso(r.at)}  {r.machines} machines  {clean_line(r.comment)}",
        f"  states: {counts_text(g.states)}   outcomes: {counts_text(g.outcomes)}",
        f"  exit codes: {codes or '-'}   failures: {counts_text(g.failures)}"
        + (f"   exit 0 with stderr: {g.stderr}" if g.stderr else ""),
    ]
    for f in g.files:
        sha = f.sha256[:16] if f.sha256 else "not collected"
        out.append(f"  GetFile {clean_line(f.device_path)}  {sha}: {len(f.machines)} ({_names(f.machines)})")
    return out


def _by_output(ev: Evidence, masks: tuple[str, ...]) -> tuple[list[dict[str, Any]], list[str]]:
    groups = group_outputs(ev.outputs, masks)
    rows: list[dict[str, Any]] = [
        {
            "digest": g.digest,
            "size": g.size,
            "lines": g.lines,
            "outlier": is_outlier(g, groups),
            "machines": list(g.machines),
        }
        for g in groups
    ]
    text = [
        f"{r['size']:>6}  {'OUTLIER ' if r['outlier'] else ''}{r['lines']} lines  {r['digest'][:12]}  {_names(r['machines'])}"
        for r in rows
    ]
    return rows, [f"{len(groups)} distinct outputs, largest first:", *text]


def _by_line(ev: Evidence, masks: tuple[str, ...]) -> tuple[list[dict[str, Any]], list[str]]:
    stacks = stack_lines(ev.outputs, masks)
    rows: list[dict[str, Any]] = [
        {"count": s.count, "text": s.text, "machines": list(s.machines)} for s in stacks.lines
    ]
    text = [f"{len(rows)} distinct lines, rarest first (machines that print each):"]
    for r in rows:
        who = f"  [{_names(r['machines'])}]" if r["count"] <= SHOW_MACHINES else ""
        text.append(f"{r['count']:>6}  {clean_line(r['text'])}{who}")
    if stacks.dropped:
        text.append(f"({stacks.dropped} occurrences of further distinct lines were counted but not kept)")
    return rows, text


def _by_column(ev: Evidence, column: str) -> tuple[list[dict[str, Any]], list[str]]:
    columns = table_columns(ev.outputs)
    if len(columns) == 1:
        raise StackError(f"The output of {ev.script} is not a table (CSV with a header line, or JSON lines).")
    if column not in columns:
        raise StackError(f"No column {column!r} in the output of {ev.script}.", hint=f"Columns: {', '.join(columns)}.")
    stacks = stack_column(ev.outputs, column)
    rows: list[dict[str, Any]] = [{"count": s.count, "value": s.value, "machines": list(s.machines)} for s in stacks]
    text = [f"{len(rows)} distinct values of {clean_line(column)}, rarest first:"]
    text += [f"{r['count']:>6}  {clean_line(r['value'])}  [{_names(r['machines'])}]" for r in rows]
    return rows, text


def _stack_rows(ev: Evidence, by: str, masks: tuple[str, ...]) -> tuple[list[dict[str, Any]], list[str]]:
    if by == "output":
        return _by_output(ev, masks)
    if by == "line":
        return _by_line(ev, masks)
    if by.startswith("column:") and by[7:]:
        return _by_column(ev, by[7:])
    raise StackError(f"Cannot stack by {by!r}.", hint="Use --by output, --by line or --by column:NAME.")


def _csv(header: list[str], rows: list[list[object]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([csv_safe(h) for h in header])
    w.writerows([csv_safe("" if c is None else str(c)) for c in row] for row in rows)
    return buf.getvalue()


def _stack_csv(by: str, rows: list[dict[str, Any]]) -> str:
    """One CSV row per machine and group/line/value (a long table: sort and filter it anywhere)."""
    if by == "output":
        flat = [[r["digest"], r["size"], r["outlier"], m] for r in rows for m in r["machines"]]
        return _csv(["group", "size", "outlier", "machine"], flat)
    key = "text" if by == "line" else "value"
    return _csv([key, "count", "machine"], [[r[key], r["count"], m] for r in rows for m in r["machines"]])


def _stack_doc(
    batch: LoadedBatch, ev: Evidence, by: str, masks: tuple[str, ...], tenant: Tenant, rows: list[dict[str, Any]]
) -> str:
    g = glance(batch.jobs)
    body = {
        "batch_id": batch.record.batch_id,
        "command": {"index": ev.index, "script": ev.script},
        "by": by,
        "masks": list(masks),
        "machines": len(ev.outputs),
        "missing": ev.missing,
        "glance": {
            "states": dict(g.states),
            "outcomes": dict(g.outcomes),
            "failures": dict(g.failures),
            "stderr": g.stderr,
        },
        "rows": rows,
    }
    return dumps(document("stack", tenant, **body))


async def stack(ns: argparse.Namespace, settings: Settings) -> int:
    tenant = headless_tenant(ns, settings)
    masks = parse_masks(ns)

    async def go(journal: Journal) -> int:
        def work() -> str:
            batch = load_batch(journal, ns.batch)
            ev = evidence(batch, ns.command)
            rows, text = _stack_rows(ev, ns.by, masks)
            if ns.fmt == "json":
                return _stack_doc(batch, ev, ns.by, masks, tenant, rows) + "\n"
            if ns.fmt == "csv":
                return _stack_csv(ns.by, rows)
            head = glance_text(batch, glance(batch.jobs))
            head.append(f"  stacking {clean_line(ev.script)} (command {ev.index}) of {len(ev.outputs)} machines")
            head.append(f"  masks: {', '.join(masks) or 'none (--no-mask)'}")
            if ev.missing:
                head.append(f"  without output here: {len(ev.missing)} ({_names(ev.missing)})")
            return "\n".join([*head, "", *text]) + "\n"

        sys.stdout.write(await asyncio.to_thread(work))
        return EXIT_OK

    return await with_journal(settings, go, ns.batch)


async def table(ns: argparse.Namespace, settings: Settings) -> int:
    headless_tenant(ns, settings)

    async def go(journal: Journal) -> int:
        def work() -> int:
            ev = evidence(load_batch(journal, ns.batch), ns.command)
            columns = table_columns(ev.outputs)
            if len(columns) == 1:
                raise StackError(f"The output of {ev.script} is not a table (CSV with a header line, or JSON lines).")
            if ns.fmt == "jsonl":
                for row in iter_table_rows(ev.outputs):
                    sys.stdout.write(json.dumps(row, ensure_ascii=True) + "\n")
            else:
                w = csv.writer(sys.stdout, lineterminator="\n")
                w.writerow([csv_safe(c) for c in columns])
                for row in iter_table_rows(ev.outputs):
                    w.writerow([csv_safe(row.get(c, "")) for c in columns])
            if ev.missing:
                sys.stderr.write(
                    f"lrtui table: {len(ev.missing)} machine(s) without output here: {_names(ev.missing)}\n"
                )
            return EXIT_OK if not ev.missing else EXIT_FAILED

        return await asyncio.to_thread(work)

    return await with_journal(settings, go, ns.batch)
