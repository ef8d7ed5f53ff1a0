"""Canary runs: the rules, as plain functions (the engine's ``BatchControl`` applies them).

A canary run submits a batch to a few machines first, spread over the batch's OS platforms and device groups,
waits until each of them is final, and lets the rest go only when the canaries' failure rate is at or under
``canary_max_failures``. While the rest runs, ``max_failures`` pauses the batch once failures pass that
share of the finished jobs (see :func:`over_limit` for when a share is judged).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from lrtui.api.text import clean_line
from lrtui.engine.jobs import Outcome

#: a failure rate is judged once this many jobs (or every job, in a smaller batch) are final
MIN_FINISHED = 10
#: machines named in a reason, the rest counted
NAMED = 4

Verdict = Literal["ok", "failed", "ignored"]

#: how each outcome counts (the one table): ignored outcomes count neither as a failure nor as finished
_VERDICTS: dict[Outcome, Verdict] = {
    Outcome.SUCCEEDED: "ok",
    Outcome.SCRIPT_FAILED: "failed",
    Outcome.COMMAND_FAILED: "failed",
    Outcome.TIMED_OUT: "failed",
    Outcome.BLOCKED: "failed",  # the machine was busy: the batch did not run there
    Outcome.NOT_ALLOWED: "failed",
    Outcome.API_ERROR: "failed",
    Outcome.CANCELLED: "ignored",  # the analyst stopped it: it says nothing about the sequence
    Outcome.REFUSED: "ignored",  # pre-flight refused it before any call (reported at submit): never ran
}


def count_as(outcome: Outcome | None) -> Verdict:
    """How a final job's outcome counts for the canary and the failure limit: succeeded is "ok"; cancelled
    (by the analyst) and refused (by pre-flight, no call spent) are "ignored"; every other outcome "failed"."""
    if outcome is None:
        return "ignored"
    return _VERDICTS.get(outcome, "failed")


@dataclass(frozen=True, slots=True)
class CanaryPlan:
    """``size`` canary machines first (0: none, only the failure limit); fractions 0..1."""

    size: int
    canary_max_failures: float = 0.0
    max_failures: float | None = None

    def __post_init__(self) -> None:
        if self.size < 0:
            raise ValueError("the canary size must be 0 or more")
        for name, v in (("canary_max_failures", self.canary_max_failures), ("max_failures", self.max_failures)):
            if v is not None and not (0.0 <= v <= 1.0):
                raise ValueError(f"{name} must be a fraction from 0 to 1, not {v!r}")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A machine that may be a canary: its id, the stratum it belongs to and whether it is online."""

    machine_id: str
    platform: str
    group: str
    online: bool


def choose_canaries(candidates: Sequence[Candidate], size: int) -> list[str]:
    """``size`` machine ids spread over the (platform, group) strata: round-robin over the strata, online
    machines first within each; strata with an online machine first, then larger ones, then by name.
    Deterministic: the same candidates in the same order give the same canaries."""
    strata: dict[tuple[str, str], list[Candidate]] = {}
    for c in candidates:
        strata.setdefault((c.platform.lower(), c.group.lower()), []).append(c)
    for members in strata.values():
        members.sort(key=lambda c: not c.online)  # stable: online first, then as given
    order = sorted(strata, key=lambda k: (not strata[k][0].online, -len(strata[k]), k))
    out: list[str] = []
    depth = 0
    while len(out) < min(size, len(candidates)):
        for key in order:
            if depth < len(strata[key]) and len(out) < size:
                out.append(strata[key][depth].machine_id)
        depth += 1
    return out


def failure_list(failed: Iterable[tuple[str, Outcome | None]]) -> str:
    """``script_failed on WS-01, timed_out on WS-07 and 3 more`` (names cleaned: they come from devices)."""
    items = [f"{o.value if o else 'unknown'} on {clean_line(name)}" for name, o in failed]
    text = ", ".join(items[:NAMED])
    return text + (f" and {len(items) - NAMED} more" if len(items) > NAMED else "")


def canary_passed(failed: int, counted: int, limit: float) -> bool:
    """Whether the canaries let the rest go: at least one counted and failures / counted at or under ``limit``."""
    return counted > 0 and failed / counted <= limit + 1e-9


def canary_reason(failed: Sequence[tuple[str, Outcome | None]], counted: int, size: int) -> str:
    """Why a canary paused its batch."""
    if counted == 0:
        return f"canary: none of the {size} canary jobs ran to an outcome (cancelled or refused)"
    return f"canary: {len(failed)} of {counted} failed: {failure_list(failed)}"


def over_limit(failed: int, finished: int, total: int, limit: float) -> bool:
    """Whether ``failed`` of ``finished`` (of ``total`` counted machines) passes ``limit``: judged once
    ``MIN_FINISHED`` jobs (or all, when fewer) are final, or earlier when the failures already pass ``limit``
    of the whole batch (it cannot end under the limit any more)."""
    if finished == 0 or failed / finished <= limit + 1e-9:
        return False
    return finished >= min(MIN_FINISHED, total) or failed > limit * total + 1e-9


def limit_reason(failed: Sequence[tuple[str, Outcome | None]], finished: int, limit: float) -> str:
    """Why the failure limit paused a batch."""
    share = len(failed) / finished if finished else 0.0
    return (
        f"failures: {len(failed)} of {finished} finished failed ({_pct(share)}, over the {_pct(limit)} limit):"
        f" {failure_list(failed)}"
    )


def _pct(x: float) -> str:
    p = x * 100
    return f"{p:.0f}%" if math.isclose(p, round(p)) else f"{p:.1f}%"


def parse_fraction(text: str) -> float:
    """``10%``, ``0.1``, ``0`` -> a fraction 0..1; ``ValueError`` with a sentence saying what is wrong."""
    s = text.strip()
    try:
        value = float(s[:-1]) / 100 if s.endswith("%") else float(s)
    except ValueError:
        raise ValueError(f"{text!r} is not a share: give a percent (10%) or a fraction (0.1)") from None
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{text!r} is out of range: give 0% to 100% (or 0 to 1)")
    return value
