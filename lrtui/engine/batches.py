"""Batches: one sequence submitted to many machines at once (one ``Engine.submit`` call, one ``batch_id``).

Each batch gets a ``batch`` entry in the journal when it is submitted (its id, the sequence, the comment, the
case id the comment carries, the time and the number of machines), so a batch can be listed and found again
(``lrtui batches``, ``lrtui stack BATCH``) without scanning every job. The jobs of a batch are read from the
journal's ``jobs`` table by their ``batch_id``.

Journals written before batch records existed still have every job's ``batch_id``: their batches are derived
from the jobs (the first job's sequence and comment, the earliest creation time, the number of jobs) and
marked ``derived``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence as Seq
from dataclasses import dataclass
from typing import Any

from lrtui.api.errors import LrtuiError
from lrtui.engine.jobs import Job
from lrtui.engine.journal import Journal

BATCH_KIND = "batch"  #: the journal entry kind of a batch record

#: a case id in a comment: the word after "case" (``case CASE-42 sweep``), else a ticket-like id (``IR-7``)
_CASE_AFTER_WORD = re.compile(r"(?i)\bcase[\s:#]+([A-Za-z0-9][\w.-]{0,63})")
_TICKET = re.compile(r"(?<![\w-])([A-Z][A-Z0-9]{0,15}-\d{1,12})(?![\w-])")


class BatchNotFound(LrtuiError):
    """No batch (or more than one) matches the id or prefix given."""


@dataclass(frozen=True, slots=True)
class BatchRecord:
    batch_id: str
    at: float  #: when it was submitted (epoch seconds)
    sequence: dict[str, Any]  #: the sequence as sent (``Sequence.to_body()``)
    comment: str
    case_id: str | None
    machines: int
    derived: bool = False  #: read from the jobs (a journal from before batch records), not from a record

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "sequence": self.sequence,
            "comment": self.comment,
            "case_id": self.case_id,
            "machines": self.machines,
        }

    @classmethod
    def from_entry(cls, at: float, data: dict[str, Any]) -> BatchRecord:
        case = data.get("case_id")
        seq = data.get("sequence")
        return cls(
            batch_id=str(data["batch_id"]),
            at=float(at),
            sequence=seq if isinstance(seq, dict) else {},
            comment=str(data.get("comment") or ""),
            case_id=str(case) if case else None,
            machines=int(data.get("machines") or 0),
        )


def case_of(comment: str) -> str | None:
    """The case id a comment carries, if any."""
    m = _CASE_AFTER_WORD.search(comment) or _TICKET.search(comment)
    return m.group(1) if m else None


def batch_record(jobs: Seq[Job], at: float) -> BatchRecord:
    """The record of the batch ``jobs`` belong to (all from one submit: one batch id, one sequence)."""
    first = jobs[0]
    comment = first.sequence.comment or ""
    return BatchRecord(first.batch_id, at, first.sequence.to_body(), comment, case_of(comment), len(jobs))


def record_batch(journal: Journal, jobs: Seq[Job]) -> None:
    """Write the batch entry of one submit (nothing for an empty one)."""
    if jobs:
        journal.record_note(BATCH_KIND, batch_record(jobs, journal.wall()).to_dict())


def derived_batches(jobs: Seq[Job], known: set[str]) -> list[BatchRecord]:
    """The batches of ``jobs`` that have no record (ids not in ``known``), derived from the jobs themselves."""
    members: dict[str, list[Job]] = {}
    for job in jobs:
        if job.batch_id and job.batch_id not in known:
            members.setdefault(job.batch_id, []).append(job)
    out = []
    for batch_id, its in members.items():
        first = min(its, key=lambda j: j.created_at)
        comment = first.sequence.comment or ""
        body = first.sequence.to_body()
        out.append(BatchRecord(batch_id, first.created_at, body, comment, case_of(comment), len(its), derived=True))
    return out


def batches(journal: Journal) -> list[BatchRecord]:
    """Every batch, newest first: the recorded ones, and those derived from jobs without a record."""
    out: list[BatchRecord] = []
    for e in journal.entries_of_kind(BATCH_KIND):
        try:
            out.append(BatchRecord.from_entry(e.at, e.data))
        except (KeyError, TypeError, ValueError):
            journal.problems.append(f"{journal.path}: batch entry {e.seq} cannot be read; skipped")
    out += derived_batches(journal.all_jobs(), {b.batch_id for b in out})
    out.sort(key=lambda b: (-b.at, b.batch_id))
    return out


def matching_batches(journal: Journal, wanted: str) -> list[BatchRecord]:
    """The batches ``wanted`` names: the one with that id, else those starting with it (4 characters or more)."""
    known = batches(journal)
    exact = [b for b in known if b.batch_id == wanted]
    return exact or ([b for b in known if b.batch_id.startswith(wanted)] if len(wanted) >= 4 else [])


def find_batch(journal: Journal, wanted: str) -> BatchRecord:
    """The batch whose id is ``wanted`` or starts with it (at least 4 characters, like a short git hash)."""
    hits = matching_batches(journal, wanted)
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise BatchNotFound(
            f"No batch {wanted!r} in the journal.", hint="`lrtui batches` lists them (a unique prefix of 4+ works)."
        )
    raise BatchNotFound(
        f"{len(hits)} batches start with {wanted!r}.", hint="Give more of the id (`lrtui batches` lists them)."
    )


def batch_jobs(journal: Journal, batch_id: str) -> list[Job]:
    """The jobs of one batch, in the order they were created."""
    return journal.jobs_in_batch(batch_id)
