"""A batch at a glance: how many jobs are in each state and outcome, the RunScript exit codes, the failure
classes, and GetFile results grouped by the sha256 of the collected file (the same file on 280 machines, a
different one on 3)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from lrtui.engine.jobs import FAILED_OUTCOMES, Job, Outcome, stderr_line


@dataclass(frozen=True, slots=True)
class FileGroup:
    device_path: str  #: the GetFile path as sent (first spelling seen)
    sha256: str | None  #: None when the file was not collected (the error is in the job)
    machines: tuple[str, ...]


@dataclass(slots=True)
class Glance:
    jobs: int = 0
    states: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    exit_codes: Counter[int | None] = field(default_factory=Counter)  #: RunScript exit codes (None: none reported)
    failures: Counter[str] = field(default_factory=Counter)  #: failed outcomes only
    stderr: int = 0  #: succeeded jobs (exit 0) whose script wrote to stderr: not failures, but worth reading
    files: list[FileGroup] = field(default_factory=list)  #: rarest first, per path


def glance(jobs: Iterable[Job]) -> Glance:
    g = Glance()
    by_file: dict[tuple[str, str | None], list[str]] = {}
    spelled: dict[str, str] = {}  #: lowercased device path -> first spelling seen (Windows paths ignore case)
    for job in jobs:
        g.jobs += 1
        g.states[job.state.value] += 1
        if job.outcome is not None:
            g.outcomes[job.outcome.value] += 1
            if job.outcome in FAILED_OUTCOMES:
                g.failures[job.outcome.value] += 1
            elif job.outcome is Outcome.SUCCEEDED and stderr_line(job):
                g.stderr += 1
        for r in job.results:
            if r.type == "RunScript" and r.script is not None:
                g.exit_codes[r.script.exit_code] += 1
            elif r.type == "GetFile" and r.index < len(job.sequence.commands):
                path = job.sequence.commands[r.index].value
                key = path.lower()
                spelled.setdefault(key, path)
                by_file.setdefault((key, r.sha256 if r.downloaded else None), []).append(job.machine_name)
    g.files = sorted(
        (FileGroup(spelled[p], sha, tuple(sorted(ms))) for (p, sha), ms in by_file.items()),
        key=lambda f: (f.device_path.lower(), len(f.machines), f.sha256 or ""),
    )
    return g
