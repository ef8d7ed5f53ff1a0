"""Machine-readable output of the headless commands: one JSON document (``--json``), a stream of JSON lines
(``--jsonl``) and CSV (``--csv``, one row per command), all naming the tenant and whether it is the demo.

JSON is written with ``ensure_ascii=True``: control, C1 and bidi characters from the service or a device
arrive escaped (``\\u001b``, ``\\u202e``), never raw on a terminal. CSV cells that a spreadsheet would run as a
formula (``= + - @``, tab, carriage return) are prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from lrtui.engine.jobs import CommandResult, Job, job_to_json, summarize

#: the version of every JSON document and JSON line the CLI writes (and of ``results.json``)
SCHEMA = "lrtui/1"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Tenant:
    """Which tenant a command ran against, as every document names it."""

    profile: str
    tenant: str
    demo: bool
    api_url: str

    def as_json(self) -> dict[str, Any]:
        return {"profile": self.profile, "tenant": self.tenant, "demo": self.demo, "api_url": self.api_url}


def dumps(doc: object, *, indent: int | None = 2) -> str:
    """JSON with every non-ASCII character escaped (terminal controls and bidi overrides cannot pass)."""
    return json.dumps(doc, indent=indent, ensure_ascii=True)


def all_succeeded(jobs: list[Job]) -> bool:
    from lrtui.engine.jobs import Outcome

    return bool(jobs) and all(j.outcome is Outcome.SUCCEEDED for j in jobs)


def document(kind: str, tenant: Tenant, **body: Any) -> dict[str, Any]:
    """The envelope of every JSON document: ``schema``, ``kind`` and ``tenant`` first."""
    return {"schema": SCHEMA, "kind": kind, "tenant": tenant.as_json(), **body}


def jobs_document(jobs: list[Job], tenant: Tenant, **extra: Any) -> dict[str, Any]:
    """``run``/``resume``/``results`` (and ``results.json``): summary counts, whether all succeeded, every job."""
    return document(
        "jobs",
        tenant,
        **extra,
        summary=summarize(jobs),
        all_succeeded=all_succeeded(jobs),
        jobs=[job_to_json(j) for j in jobs],
    )


# ---------------------------------------------------------------- CSV


def neutral(value: object) -> str:
    """One CSV cell: text, with a leading ``'`` where a spreadsheet would read a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(header: list[str], rows: Iterable[list[object]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([neutral(v) for v in row])
    return buf.getvalue()


COMMAND_COLUMNS = [
    "tenant",
    "demo",
    "machine_id",
    "machine_name",
    "job_id",
    "action_id",
    "state",
    "outcome",
    "index",
    "type",
    "value",
    "args",
    "status",
    "exit_code",
    "file",
    "size",
    "sha256",
    "sha256_received",
    "stdout",
    "stdout_sha256",
    "stderr",
    "stderr_sha256",
    "error",
]


def _result_cells(r: CommandResult | None) -> list[object]:
    if r is None:
        return [None] * 9
    return [
        r.script.exit_code if r.script else None,
        r.file_path,
        r.size,
        r.sha256,
        r.sha256_received,
        r.stdout_path,
        r.stdout_sha256,
        r.stderr_path,
        r.stderr_sha256,
    ]


def command_rows(jobs: list[Job], tenant: Tenant) -> list[list[object]]:
    """One row per command of every job (``COMMAND_COLUMNS``)."""
    rows: list[list[object]] = []
    for j in jobs:
        results = {r.index: r for r in j.results}
        for i, c in enumerate(j.sequence.commands):
            r = results.get(i)
            status = j.command_status[i] if i < len(j.command_status) else None
            error = (r.download_error or r.errors) if r is not None else None
            head: list[object] = [tenant.tenant, tenant.demo, j.machine_id, j.machine_name, j.id, j.action_id]
            head += [j.state.value, j.outcome.value if j.outcome else None, i, c.type.value, c.value, c.args, status]
            rows.append(head + _result_cells(r) + [error or j.error_message])
    return rows


def jobs_csv(jobs: list[Job], tenant: Tenant) -> str:
    return csv_text(COMMAND_COLUMNS, command_rows(jobs, tenant))


# ---------------------------------------------------------------- JSON lines


class JsonLines:
    """``--jsonl``: one line per job change and one per collected result, written as they happen.

    Feed it the engine's events (``Engine.subscribe``); a job's line is written when its state, outcome or
    action changes, a result's line once per command result that was collected."""

    def __init__(self, stream: TextIO, tenant: Tenant, job_ids: set[str] | None = None) -> None:
        self.stream = stream
        self.tenant = tenant
        self.job_ids = job_ids  #: only these jobs (None: all)
        self._seen: dict[str, tuple[str, str | None, str | None]] = {}
        self._results: set[tuple[str, int]] = set()

    def write(self, event: str, **body: Any) -> None:
        line = {"schema": SCHEMA, "event": event, "tenant": self.tenant.tenant, "demo": self.tenant.demo, **body}
        self.stream.write(dumps(line, indent=None) + "\n")
        self.stream.flush()

    def job(self, job: Job) -> None:
        """Write what changed about ``job`` (nothing if nothing did)."""
        if self.job_ids is not None and job.id not in self.job_ids:
            return
        key = (job.state.value, job.outcome.value if job.outcome else None, job.action_id)
        if self._seen.get(job.id) != key:
            self._seen[job.id] = key
            self.write(
                "job",
                job_id=job.id,
                machine_id=job.machine_id,
                machine_name=job.machine_name,
                action_id=job.action_id,
                state=key[0],
                outcome=key[1],
                error_code=job.error_code,
                error_message=job.error_message,
            )
        for r in job.results:
            if (r.downloaded or r.download_error) and (job.id, r.index) not in self._results:
                self._results.add((job.id, r.index))
                full = job_to_json(job)["results"]
                doc = next((x for x in full if x["index"] == r.index), None)
                self.write("result", job_id=job.id, machine_id=job.machine_id, action_id=job.action_id, result=doc)

    def summary(self, jobs: list[Job], **extra: Any) -> None:
        self.write("summary", summary=summarize(jobs), all_succeeded=all_succeeded(jobs), **extra)
