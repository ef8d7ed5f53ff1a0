"""Evidence bundles: the files of one case, a manifest (JSON and CSV) and the journal's hash chain.

Layout of ``<out>/``::

    manifest.json   case, who exported it and when, one record per command, chain head, file hashes
    manifest.csv    the same records, one row per command
    entries.jsonl   the journal's entries: the case's in full, other cases' reduced to seq/prev/hash
    files/<machine>/<action id>/<index>-<name>   copies of the collected files (hashes checked after copying)

``verify_bundle(out)`` re-checks the chain and every file's sha256, so tampering with either shows.
"""

from __future__ import annotations

import asyncio
import csv
import getpass
import hashlib
import json
import re
import shutil
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lrtui.engine.jobs import Job
from lrtui.engine.journal import GENESIS, Entry, Journal, verify_chain
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
    "exported_by",
]


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


def _rows(job: Job, files: dict[tuple[str, int], dict[str, Any]], who: str, requestor: str) -> list[dict[str, Any]]:
    rows = []
    by_index = {r.index: r for r in job.results}
    for i, c in enumerate(job.sequence.commands):
        r = by_index.get(i)
        f = files.get((job.id, i), {})
        rows.append(
            {
                "job_id": job.id,
                "batch_id": job.batch_id,
                "machine_id": job.machine_id,
                "machine_name": job.machine_name,
                "action_id": job.action_id or "",
                "requestor": requestor,
                "submitted_at": iso(job.submitted_at),
                "finished_at": iso(job.finished_at),
                "comment": job.sequence.comment,
                "command_index": i,
                "command": c.label(),
                "command_status": (job.command_status[i] if i < len(job.command_status) else None) or "",
                "action_status": job.action_status or "",
                "outcome": job.outcome.value if job.outcome else job.state.value,
                "exit_code": r.script.exit_code if r and r.script else "",
                "file": f.get("file", ""),
                "size": r.size if r and r.size is not None else "",
                "sha256": (r.sha256 if r else None) or "",
                "sha256_received": (r.sha256_received if r else None) or "",
                "exported_by": who,
            }
        )
    return rows


def _copy_files(jobs: list[Job], out: Path) -> tuple[dict[tuple[str, int], dict[str, Any]], list[str]]:
    files: dict[tuple[str, int], dict[str, Any]] = {}
    problems: list[str] = []
    for job in jobs:
        for r in job.results:
            if not r.file_path:
                continue
            src = Path(r.file_path)
            rel = (
                Path("files")
                / safe_component(job.machine_name, "machine")
                / safe_component(job.action_id or job.id, "action")
                / safe_component(src.name)
            )
            if not src.exists():
                problems.append(f"{job.machine_name}: {src.name} is missing from the evidence folder")
                continue
            dest = out / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
            digest = sha256_file(dest)
            if r.sha256 and digest != r.sha256:
                problems.append(f"{job.machine_name}: {src.name} does not match the sha256 recorded at download")
            files[(job.id, r.index)] = {"file": rel.as_posix(), "sha256": digest}
    return files, problems


def write_bundle(jobs: list[Job], entries: list[Entry], case_id: str, out: Path) -> dict[str, Any]:
    """Blocking: write the bundle for ``jobs`` into ``out``; returns the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    who = getpass.getuser()
    files, problems = _copy_files(jobs, out)
    ids = {j.id for j in jobs}
    reduced = [
        e.to_dict() if e.job_id in ids else {"seq": e.seq, "prev": e.prev, "hash": e.hash, "redacted": True}
        for e in entries
    ]
    with open(out / "entries.jsonl", "w", encoding="utf-8") as f:
        for d in reduced:
            f.write(json.dumps(d, sort_keys=True, ensure_ascii=False) + "\n")
    requestors = {e.job_id: e.data.get("requestor") or "" for e in entries if e.kind == "action" and e.job_id in ids}
    rows = [row for j in jobs for row in _rows(j, files, who, requestors.get(j.id, ""))]
    with open(out / "manifest.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        w.writeheader()
        w.writerows(rows)
    chain = verify_chain(reduced)
    manifest = {
        "case": case_id,
        "exported_by": who,
        "exported_at": iso(time.time()),
        "jobs": len(jobs),
        "records": rows,
        "files": sorted(files.values(), key=lambda x: x["file"]),
        "chain": {
            "entries": len(reduced),
            "head": entries[-1].hash if entries else GENESIS,
            "ok": chain.ok,
            "reason": chain.reason,
        },
        "manifest_csv_sha256": sha256_file(out / "manifest.csv"),
        "entries_sha256": sha256_file(out / "entries.jsonl"),
        "problems": problems,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    return manifest


async def export_jobs(journal: Journal, case_id: str, out: Path) -> dict[str, Any]:
    jobs = case_jobs(await asyncio.to_thread(journal.all_jobs), case_id)
    entries = await asyncio.to_thread(journal.entries)
    return await asyncio.to_thread(write_bundle, jobs, entries, case_id, Path(out))


def verify_bundle(out: Path) -> list[str]:
    """Problems found in a bundle: a broken chain, a file whose hash changed, a changed CSV. Empty = intact."""
    out = Path(out)
    problems: list[str] = []
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    entries = [json.loads(line) for line in (out / "entries.jsonl").read_text(encoding="utf-8").splitlines() if line]
    chain = verify_chain(entries)
    if not chain.ok:
        problems.append(f"journal chain: {chain.reason}")
    if entries and entries[-1]["hash"] != manifest["chain"]["head"]:
        problems.append("journal chain: the last entry is not the one recorded in the manifest")
    for f in manifest["files"]:
        p = out / f["file"]
        if not p.exists() or sha256_file(p) != f["sha256"]:
            problems.append(f"{f['file']}: missing or changed")
    if sha256_file(out / "manifest.csv") != manifest["manifest_csv_sha256"]:
        problems.append("manifest.csv was changed")
    return problems
