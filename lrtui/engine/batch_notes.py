"""A batch's control state in the journal: one ``batch_state`` note each time it changes (the last one wins).

The note holds what cannot be derived from the jobs: the phase, the reason, the canary machines, the limits and
when the failure limit was last armed (a resumed batch counts only the jobs that finish after it). Counts are
never stored: they come from the jobs. Notes are ordinary hash-chained journal entries (``Journal.record_note``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lrtui.engine.batch_state import PHASES, Phase
from lrtui.engine.journal import Journal

NOTE_KIND = "batch_state"


@dataclass(slots=True)
class BatchNote:
    """What the journal keeps of one batch's control state."""

    batch_id: str
    phase: Phase
    reason: str = ""
    canary: tuple[str, ...] = ()  #: machine ids
    canary_judged: bool = True  #: False while the canary's verdict is still to come
    canary_max_failures: float = 0.0
    max_failures: float | None = None
    armed_at: float = 0.0  #: wall time from which finished jobs count against ``max_failures``

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "phase": self.phase,
            "reason": self.reason,
            "canary": list(self.canary),
            "canary_judged": self.canary_judged,
            "canary_max_failures": self.canary_max_failures,
            "max_failures": self.max_failures,
            "armed_at": self.armed_at,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BatchNote:
        phase = d.get("phase")
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}")
        limit = d.get("max_failures")
        canary = d.get("canary") or []
        if not isinstance(canary, list):
            raise TypeError("canary is not a list")
        return cls(
            batch_id=str(d["batch_id"]),
            phase=phase,
            reason=str(d.get("reason") or ""),
            canary=tuple(str(m) for m in canary),
            canary_judged=bool(d.get("canary_judged", True)),
            canary_max_failures=float(d.get("canary_max_failures") or 0.0),
            max_failures=None if limit is None else float(limit),
            armed_at=float(d.get("armed_at") or 0.0),
        )


def record_note(journal: Journal, note: BatchNote) -> None:
    journal.record_note(NOTE_KIND, note.to_dict())


def load_notes(journal: Journal) -> dict[str, BatchNote]:
    """The latest note of every batch (an unreadable note is skipped and said in ``journal.problems``)."""
    out: dict[str, BatchNote] = {}
    for e in journal.entries_of_kind(NOTE_KIND):
        try:
            note = BatchNote.from_dict(e.data)
        except (KeyError, TypeError, ValueError):
            journal.problems.append(f"{journal.path}: batch state entry {e.seq} cannot be read; skipped")
            continue
        out[note.batch_id] = note
    return out
