"""Jobs to and from plain JSON-able dicts (the journal's and the export's format), and canonical JSON."""

from __future__ import annotations

import json
from typing import Any

from lrtui.api.models import ScriptResult
from lrtui.api.sequence import Sequence
from lrtui.engine.jobs import CommandResult, Job, JobState, Outcome, Priority


def canonical(obj: Any) -> str:
    """Stable JSON: sorted keys, no spaces, UTF-8 kept (what the hash chain hashes)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def result_to_dict(r: CommandResult) -> dict[str, Any]:
    return {
        "index": r.index,
        "type": r.type,
        "status": r.status,
        "errors": r.errors,
        "script": r.script.model_dump() if r.script else None,
        "file_path": r.file_path,
        "size": r.size,
        "sha256_received": r.sha256_received,
        "sha256": r.sha256,
        "downloaded": r.downloaded,
        "download_error": r.download_error,
    }


def result_from_dict(d: dict[str, Any]) -> CommandResult:
    script = d.get("script")
    return CommandResult(
        index=int(d["index"]),
        type=d.get("type", ""),
        status=d.get("status"),
        errors=d.get("errors") or "",
        script=ScriptResult.model_validate(script) if script else None,
        file_path=d.get("file_path"),
        size=d.get("size"),
        sha256_received=d.get("sha256_received"),
        sha256=d.get("sha256"),
        downloaded=bool(d.get("downloaded")),
        download_error=d.get("download_error"),
    )


_FIELDS = (
    "id",
    "batch_id",
    "machine_id",
    "machine_name",
    "os_family",
    "action_id",
    "action_status",
    "command_status",
    "command_started",
    "created_at",
    "submitted_at",
    "started_at",
    "finished_at",
    "error_code",
    "error_message",
    "machine_online",
    "attempts",
)


def job_to_dict(job: Job) -> dict[str, Any]:
    d: dict[str, Any] = {k: getattr(job, k) for k in _FIELDS}
    d["state"] = job.state.value
    d["outcome"] = job.outcome.value if job.outcome else None
    d["priority"] = job.priority.value
    d["sequence"] = job.sequence.to_body()
    d["results"] = [result_to_dict(r) for r in job.results]
    return d


def job_from_dict(d: dict[str, Any]) -> Job:
    job = Job(
        id=d["id"],
        batch_id=d.get("batch_id", ""),
        machine_id=d["machine_id"],
        machine_name=d.get("machine_name") or d["machine_id"],
        os_family=d.get("os_family") or "unknown",
        sequence=Sequence.from_body(d["sequence"]),
        priority=Priority(d.get("priority") or Priority.BULK),
        state=JobState(d.get("state") or JobState.QUEUED),
        outcome=Outcome(d["outcome"]) if d.get("outcome") else None,
    )
    for k in _FIELDS[5:]:
        if k in d and d[k] is not None:
            setattr(job, k, d[k])
    job.results = [result_from_dict(r) for r in d.get("results") or []]
    return job
