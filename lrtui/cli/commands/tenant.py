"""The tenant's commands: ``lrtui machines``, ``lrtui library list|upload|rm|get`` and ``lrtui cancel``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from lrtui.api.errors import LrtuiError, NotFound, ValidationError, error_text
from lrtui.api.models import LibraryFile, Machine
from lrtui.api.text import clean_line
from lrtui.cli.compose import build_runtime
from lrtui.cli.exits import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from lrtui.cli.output import Tenant, csv_text, document, dumps
from lrtui.cli.targets import check_action_ids, check_refs
from lrtui.cli.tenant import headless_tenant
from lrtui.runtime import Runtime
from lrtui.settings import Settings

MACHINE_COLUMNS = [
    "id",
    "computerDnsName",
    "osPlatform",
    "healthStatus",
    "lastIpAddress",
    "rbacGroupName",
    "riskScore",
    "exposureLevel",
    "machineTags",
    "lastSeen",
]
LIBRARY_COLUMNS = [
    "fileName",
    "sha256",
    "description",
    "createdBy",
    "creationTime",
    "lastUpdatedTime",
    "hasParameters",
    "parametersDescription",
]


async def _with_runtime(settings: Settings, fn: Callable[[Runtime], Awaitable[int]]) -> int:
    runtime = await build_runtime(settings, start=False)
    try:
        return await fn(runtime)
    finally:
        await runtime.aclose()


def _machine_json(m: Machine) -> dict[str, Any]:
    wire = m.model_dump(by_alias=True, mode="json")
    return {c: wire.get(c) for c in MACHINE_COLUMNS}


def _library_json(f: LibraryFile) -> dict[str, Any]:
    wire = f.model_dump(by_alias=True, mode="json")
    return {c: wire.get(c) for c in LIBRARY_COLUMNS}


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, int]]) -> str:
    """A plain text table of ``rows`` (every cell sanitised and cut to its width)."""
    lines = ["  ".join(f"{h.upper():{w}}" for h, w in columns).rstrip()]
    for r in rows:
        cells = []
        for key, width in columns:
            value = r.get(key)
            text = ", ".join(map(str, value)) if isinstance(value, list) else ("" if value is None else str(value))
            cells.append(f"{clean_line(text)[:width]:{width}}")
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _print_rows(
    kind: str, rows: list[dict[str, Any]], fmt: str, tenant: Tenant, text_cols: list[tuple[str, int]]
) -> None:
    if fmt == "json":
        print(dumps(document(kind, tenant, count=len(rows), **{kind: rows})))
    elif fmt == "csv":
        cols = list(rows[0]) if rows else [k for k, _ in text_cols]
        sys.stdout.write(csv_text(cols, ([_cell(r.get(c)) for c in cols] for r in rows)))
    else:
        print(_table(rows, text_cols))
        print(f"{len(rows)} {kind}")


def _cell(value: object) -> object:
    return ";".join(map(str, value)) if isinstance(value, list) else value


async def machines(ns: argparse.Namespace, settings: Settings) -> int:
    """``lrtui machines [--search Q | --filter ODATA]``: the search runs on the whole inventory, locally."""
    tenant = headless_tenant(ns, settings)
    try:
        check_refs([], ns.filter)
    except ValidationError as e:
        print(f"lrtui machines: {error_text(e)}", file=sys.stderr)
        return EXIT_USAGE

    async def go(rt: Runtime) -> int:
        if ns.filter:
            found = await rt.client.machines.list(filter=ns.filter)
        else:
            await rt.inventory.load(rt.client)
            indices = rt.inventory.search(ns.search) if ns.search else range(len(rt.inventory))
            found = [rt.inventory[i] for i in indices]
        rows = [_machine_json(m) for m in found]
        cols = [("id", 40), ("computerDnsName", 32), ("osPlatform", 18), ("healthStatus", 12), ("machineTags", 30)]
        _print_rows("machines", rows, ns.fmt, tenant, cols)
        return EXIT_OK

    return await _with_runtime(settings, go)


async def library(ns: argparse.Namespace, settings: Settings) -> int:
    tenant = headless_tenant(ns, settings)

    async def go(rt: Runtime) -> int:
        lib = rt.client.library
        if ns.library_cmd == "list":
            rows = [_library_json(f) for f in await lib.list()]
            cols = [("fileName", 32), ("description", 40), ("createdBy", 28), ("lastUpdatedTime", 26)]
            _print_rows("files", rows, ns.fmt, tenant, cols)
            return EXIT_OK
        if ns.library_cmd == "upload":
            return await _upload(rt, ns, tenant)
        if ns.library_cmd == "rm":
            await lib.delete(ns.name)
            print(f"Removed {clean_line(ns.name)!r} from the library.")
            return EXIT_OK
        return await _get(rt, ns, tenant)

    return await _with_runtime(settings, go)


async def _upload(rt: Runtime, ns: argparse.Namespace, tenant: Tenant) -> int:
    name = ns.name or ns.file.name
    if not ns.file.is_file():
        print(f"lrtui library upload: {clean_line(ns.file)} is not a file.", file=sys.stderr)
        return EXIT_USAGE
    try:
        f = await rt.client.library.upload(
            name,
            ns.file,
            description=ns.description,
            parameters_description=ns.parameters_description,
            has_parameters=ns.has_parameters,
            override=ns.override,
        )
    except ValidationError as e:
        print(f"lrtui library upload: {error_text(e)}", file=sys.stderr)
        return EXIT_USAGE
    if ns.fmt == "json":
        print(dumps(document("file", tenant, file=_library_json(f))))
    else:
        print(f"Uploaded {clean_line(f.file_name)!r} (sha256 {clean_line(f.sha256 or '?')}).")
    return EXIT_OK


async def _get(rt: Runtime, ns: argparse.Namespace, tenant: Tenant) -> int:
    found = next((f for f in await rt.client.library.list() if f.file_name == ns.name), None)
    if found is None:
        print(f"lrtui library get: no file named {clean_line(ns.name)!r} in the library.", file=sys.stderr)
        return EXIT_FAILED
    row = _library_json(found)
    if ns.fmt == "json":
        print(dumps(document("file", tenant, file=row)))
    else:
        for key, value in row.items():
            print(f"{key:22} {clean_line('' if value is None else value)}")
    return EXIT_OK


async def cancel(ns: argparse.Namespace, settings: Settings) -> int:
    """``lrtui cancel ACTION_ID... | --all-active``: each cancel's answer is named; exit 1 if any failed."""
    tenant = headless_tenant(ns, settings)
    if bool(ns.action_ids) == bool(ns.all_active):
        print("lrtui cancel: give ACTION_ID... or --all-active (not both).", file=sys.stderr)
        return EXIT_USAGE
    try:
        check_action_ids(list(ns.action_ids or []))
    except ValidationError as e:
        print(f"lrtui cancel: {error_text(e)}", file=sys.stderr)
        return EXIT_USAGE

    async def go(rt: Runtime) -> int:
        ids = list(ns.action_ids)
        if ns.all_active:
            ids = [j.action_id for j in rt.journal.open().unfinished_jobs() if j.action_id]
        done: list[dict[str, Any]] = []
        for aid in dict.fromkeys(ids):
            try:
                a = await rt.client.actions.cancel(aid, ns.comment)
                done.append({"action_id": aid, "ok": True, "status": a.status, "error": None})
            except (NotFound, LrtuiError) as e:
                done.append({"action_id": aid, "ok": False, "status": None, "error": error_text(e)})
        if ns.fmt == "json":
            print(dumps(document("cancel", tenant, cancelled=done)))
        elif not done:
            print("No active action in the journal to cancel.")
        for d in done if ns.fmt != "json" else []:
            state = (
                f"cancel asked (status {clean_line(d['status'])})" if d["ok"] else f"failed: {clean_line(d['error'])}"
            )
            print(f"{clean_line(d['action_id'])}: {state}")
        return EXIT_OK if all(d["ok"] for d in done) else EXIT_FAILED

    return await _with_runtime(settings, go)
