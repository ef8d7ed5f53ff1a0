"""Evidence bundles: the files of one case, a manifest (JSON and CSV) and the journal's hash chain.

Layout of ``<out>/`` (0700 folders, 0600 files)::

    manifest.json   case, who exported it and when, one record per command, every file with its sha256,
                    the chain head, the verdict (``ok`` and ``problems``)
    manifest.csv    the same records, one row per command of every action
    entries.jsonl   the journal's entries: the case's in full, other cases' reduced to seq/prev/hash
    files/<machine>/<action id>/<index>-<name>   GetFile results, and each RunScript's
                    ``<index>-stdout.txt``, ``<index>-stderr.txt`` and ``<index>-result.json`` (the raw document)

``verify_bundle(out)`` re-checks the chain, every file's sha256 against the manifest *and* against the hash the
journal's chained ``result`` entry recorded, and the CSV and entries files, so tampering with any byte of any
of them, or with a hash in ``manifest.json``, shows. ``export_bundle`` runs it on what it wrote: the verdict it
returns is the bundle's, never a claim the files do not back.
"""

from __future__ import annotations

import asyncio
import csv
import getpass
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lrtui.api.errors import ValidationError
from lrtui.engine.jobs import CommandResult, Job
from lrtui.engine.journal import GENESIS, Entry, Journal, verify_chain
from lrtui.engine.private_files import private_dirs
from lrtui.engine.safe_names import safe_component

CSV_FIELDS = [
    "job_id",
    "batch_id",
    "machine_id",
    "machine_name",
    "action_id",
    "requestor",
    "submitted_at",
    "finished_at",
    "comment",
    "command_index",
    "command",
    "command_status",
    "action_status",
    "outcome",
    "exit_code",
    "file",
    "size",
    "sha256",
    "sha256_received",
    "stdout_file",
    "stdout_sha256",
    "stderr_file",
    "stderr_sha256",
    "exported_by",
]
#: a result's files: (role, path, recorded sha256) -- GetFile has "file"; RunScript "result", "stdout", "stderr"
FileRef = tuple[str, str, str | None]


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What ``export_bundle`` wrote and its verdict (``problems`` empty = the bundle verifies)."""

    out: Path
    jobs: int
    commands: int
    files: int
    problems: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.jobs > 0 and not self.problems


def iso(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat() if ts else ""


def case_jobs(jobs: Iterable[Job], case_id: str) -> list[Job]:
    """Jobs of a case: the case id appears in the Comment as a whole word (``case-4`` does not match
    ``case-42``), or equals the batch id."""
    word = re.compile(rf"(?<![\w-]){re.escape(case_id)}(?![\w-])")
    return [j for j in jobs if word.search(j.sequence.comment or "") or j.batch_id == case_id]


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def result_files(r: CommandResult) -> list[FileRef]:
    """The files a result left in the evidence folder, each with the sha256 recorded when it was written."""
    refs: list[FileRef] = []
    if r.file_path:
        refs.append(("file", r.file_path, r.sha256))
    for role, path, digest in (
        ("result", r.result_path, r.result_sha256),
        ("stdout", r.stdout_path, r.stdout_sha256),
        ("stderr", r.stderr_path, r.stderr_sha256),
    ):
        if path:
            refs.append((role, path, digest))
    return refs


def _private_file(path: Path) -> Any:
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8", newline="")


def _row(job: Job, i: int, files: dict[tuple[str, int, str], dict[str, Any]], who: str, req: str) -> dict[str, Any]:
    r = next((x for x in job.results if x.index == i), None)

    def f(role: str, key: str) -> Any:
        return files.get((job.id, i, role), {}).get(key, "")

    main = "file" if r is not None and r.file_path else "result"
    return {
        "job_id": job.id,
        "batch_id": job.batch_id,
        "machine_id": job.machine_id,
        "machine_name": job.machine_name,
        "action_id": job.action_id or "",
        "requestor": req,
        "submitted_at": iso(job.submitted_at),
        "finished_at": iso(job.finished_at),
        "comment": job.sequence.comment,
        "command_index": i,
        "command": job.sequence.commands[i].label(),
        "command_status": (job.command_status[i] if i < len(job.command_status) else None) or "",
        "action_status": job.action_status or "",
        "outcome": job.outcome.value if job.outcome else job.state.value,
        "exit_code": r.script.exit_code if r and r.script and r.script.exit_code is not None else "",
        "file": f(main, "file"),
        "size": f(main, "size"),
        "sha256": f(main, "sha256"),
        "sha256_received": (r.sha256_received if r and r.file_path else f(main, "sha256")) or "",
        "stdout_file": f("stdout", "file"),
        "stdout_sha256": f("stdout", "sha256"),
        "stderr_file": f("stderr", "file"),
        "stderr_sha256": f("stderr", "sha256"),
        "exported_by": who,
    }


def _copy_files(jobs: list[Job], out: Path) -> tuple[dict[tuple[str, int, str], dict[str, Any]], list[str]]:
    """Copy every result file of ``jobs`` into ``out/files``; the copy's hash must be the one recorded."""
    files: dict[tuple[str, int, str], dict[str, Any]] = {}
    problems: list[str] = []
    for job in jobs:
        folder = Path("files") / safe_component(job.machine_name, "machine") / safe_component(job.action_id or job.id)
        for r in job.results:
            for role, path, recorded in result_files(r):
                src = Path(path)
                rel = folder / safe_component(src.name)
                if not src.is_file():
                    problems.append(f"{job.machine_name}: {src.name} is missing from the evidence folder ({src})")
                    continue
                private_dirs(out, (out / rel).parent)
                shutil.copyfile(src, out / rel)
                os.chmod(out / rel, 0o600)
                digest = sha256_file(out / rel)
                if recorded and digest != recorded:
                    problems.append(f"{job.machine_name}: {src.name} does not match the sha256 recorded at download")
                files[(job.id, r.index, role)] = {
                    "file": rel.as_posix(),
                    "sha256": digest,
                    "size": (out / rel).stat().st_size,
                    "job_id": job.id,
                    "command_index": r.index,
                    "role": role,
                }
    return files, problems


def _prepare(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValidationError(
            f"{out} already exists and is not an empty folder; the bundle goes into a new folder (give another --out)."
        )
    private_dirs(out, out)


def write_bundle(jobs: list[Job], entries: list[Entry], case_id: str, out: Path) -> ExportResult:
    """Blocking: write the bundle for ``jobs`` into the new folder ``out``, then verify what was written."""
    out = Path(out)
    _prepare(out)
    who = getpass.getuser()
    files, problems = _copy_files(jobs, out)
    ids = {j.id for j in jobs}
    reduced = [
        e.to_dict() if e.job_id in ids else {"seq": e.seq, "prev": e.prev, "hash": e.hash, "redacted": True}
        for e in entries
    ]
    with _private_file(out / "entries.jsonl") as fh:
        for d in reduced:
            fh.write(json.dumps(d, sort_keys=True, ensure_ascii=True) + "\n")
    requestors = {e.job_id: e.data.get("requestor") or "" for e in entries if e.kind == "action" and e.job_id in ids}
    rows = [_row(j, i, files, who, requestors.get(j.id, "")) for j in jobs for i in range(len(j.sequence.commands))]
    with _private_file(out / "manifest.csv") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
        w.writeheader()
        w.writerows(rows)
    chain = verify_chain(reduced)
    if not chain.ok:
        problems.append(f"journal chain: {chain.reason}")
    manifest: dict[str, Any] = {
        "case": case_id,
        "exported_by": who,
        "exported_at": iso(time.time()),
        "jobs": len(jobs),
        "commands": len(rows),
        "records": rows,
        "files": sorted(files.values(), key=lambda x: x["file"]),
        "chain": {"entries": len(reduced), "head": entries[-1].hash if entries else GENESIS, "ok": chain.ok},
        "manifest_csv_sha256": sha256_file(out / "manifest.csv"),
        "entries_sha256": sha256_file(out / "entries.jsonl"),
    }
    manifest["chain"]["reason"] = chain.reason
    _write_manifest(out, manifest, problems)
    problems = list(dict.fromkeys(problems + verify_bundle(out)))
    _write_manifest(out, manifest, problems)
    return ExportResult(out, len(jobs), len(rows), len(files), problems, manifest)


def _write_manifest(out: Path, manifest: dict[str, Any], problems: list[str]) -> None:
    manifest["problems"], manifest["ok"] = problems, not problems and manifest["jobs"] > 0
    tmp = out / "manifest.json.part"
    tmp.unlink(missing_ok=True)
    with _private_file(tmp) as fh:
        fh.write(json.dumps(manifest, indent=2, ensure_ascii=True))
    os.replace(tmp, out / "manifest.json")


async def export_bundle(journal: Journal, case_id: str, out: Path) -> ExportResult:
    """Write the bundle of ``case_id`` into the new folder ``out`` (off the event loop) and verify it."""
    jobs = case_jobs(await asyncio.to_thread(journal.all_jobs), case_id)
    entries = await asyncio.to_thread(journal.entries)
    return await asyncio.to_thread(write_bundle, jobs, entries, case_id, Path(out))


async def export_jobs(journal: Journal, case_id: str, out: Path) -> dict[str, Any]:
    """``export_bundle``'s manifest (its ``problems`` and ``ok`` are the verdict)."""
    return (await export_bundle(journal, case_id, out)).manifest


def _recorded_hashes(entries: list[dict[str, Any]]) -> dict[tuple[str, int, str], str]:
    """The sha256 of every result file as the journal's (chained) ``result`` entries recorded it, last wins."""
    out: dict[tuple[str, int, str], str] = {}
    for e in entries:
        d = e.get("data")
        if e.get("kind") != "result" or not isinstance(d, dict) or not isinstance(d.get("index"), int):
            continue
        for role, key in (("file", "sha256"), ("result", "result_sha256"), ("stdout", "stdout_sha256")):
            if isinstance(d.get(key), str):
                out[(str(e.get("job_id")), d["index"], role)] = d[key]
        if isinstance(d.get("stderr_sha256"), str):
            out[(str(e.get("job_id")), d["index"], "stderr")] = d["stderr_sha256"]
    return out


def verify_bundle(out: Path) -> list[str]:
    """Every problem found in a bundle, each naming what is wrong (empty = intact): a broken or cut chain, a
    file whose bytes changed or that is missing, a manifest hash that disagrees with the journal, a changed
    CSV or entries file, an unreadable manifest."""
    out = Path(out)
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        lines = (out / "entries.jsonl").read_text(encoding="utf-8").splitlines()
        entries = [json.loads(line) for line in lines if line]
        return _verify(out, manifest, entries)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        return [f"{out}: not a readable bundle ({type(e).__name__}: {e})"]


def _verify(out: Path, manifest: dict[str, Any], entries: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    chain = verify_chain(entries)
    if not chain.ok:
        problems.append(f"entries.jsonl: journal chain broken: {chain.reason}")
    if (entries[-1]["hash"] if entries else GENESIS) != manifest["chain"]["head"]:
        problems.append("entries.jsonl: the last entry is not the one recorded in the manifest (entries cut)")
    recorded = _recorded_hashes(entries)
    for f in manifest["files"]:
        p = out / f["file"]
        if not p.is_file():
            problems.append(f"{f['file']}: missing")
        elif sha256_file(p) != f["sha256"]:
            problems.append(f"{f['file']}: changed (its sha256 is not the one in the manifest)")
        ref = (str(f.get("job_id")), f.get("command_index"), str(f.get("role")))
        if ref in recorded and recorded[ref] != f["sha256"]:
            problems.append(f"{f['file']}: the manifest's sha256 is not the one the journal recorded")
    for name, key in (("manifest.csv", "manifest_csv_sha256"), ("entries.jsonl", "entries_sha256")):
        if not (out / name).is_file() or sha256_file(out / name) != manifest.get(key):
            problems.append(f"{name}: changed after the export")
    return problems
