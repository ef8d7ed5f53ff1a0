"""A batch's control state, as the engine publishes it (``BatchChanged``) and the CLI and the app show it.

A leaf module (no lrtui imports) so ``jobs.py`` can name it in its events. The engine's ``BatchControl``
(``batch_control.py``) keeps the live state; the journal keeps its notes (``batch_notes.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

#: "canary": only the canary machines run, the rest are held; "running": the rest run (or the batch had no
#: canary); "paused": the batch's waiting jobs are held until ``resume``; "done": every job is final
Phase = Literal["canary", "running", "paused", "done"]
PHASES: tuple[Phase, ...] = ("canary", "running", "paused", "done")


@dataclass(frozen=True, slots=True)
class BatchState:
    """One batch at one instant: its phase, why (in words), and its counts (latest job per machine)."""

    batch_id: str
    phase: Phase
    reason: str = ""  #: plain words, e.g. "canary: 2 of 3 failed: script_failed on WS-01, ..."
    total: int = 0  #: machines in the batch
    finished: int = 0  #: machines whose latest job is final
    failed: int = 0  #: of those, the ones that count as failed (``canary.count_as``)
    held: int = 0  #: jobs held back (not queued) by the canary or a pause
    canary: tuple[str, ...] = ()  #: the canary machines' ids (empty without a canary)
    canary_max_failures: float = 0.0
    max_failures: float | None = None

    @property
    def paused(self) -> bool:
        return self.phase == "paused"

    def to_json(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "phase": self.phase,
            "reason": self.reason,
            "total": self.total,
            "finished": self.finished,
            "failed": self.failed,
            "held": self.held,
            "canary": list(self.canary),
            "canary_max_failures": self.canary_max_failures,
            "max_failures": self.max_failures,
        }
