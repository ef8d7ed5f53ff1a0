"""What the stack view shows, computed off the event loop: a batch's RunScript outputs read from the evidence
files and stacked (groups, lines, the batch at a glance), and one machine's diff against the majority.

Plain functions over ``lrtui.engine.stacking``; every function here reads files, so callers run them in a thread
worker.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lrtui.api.enums import CommandType
from lrtui.engine.jobs import Job
from lrtui.engine.stacking import (
    Glance,
    LineStacks,
    MachineOutput,
    OutputGroup,
    diff_against_majority,
    glance,
    group_and_stack,
)
from lrtui.tui.widgets.stack.table_data import MergedTable, load_table


@dataclass(frozen=True, slots=True)
class ScriptStep:
    """One RunScript command of the batch's sequence."""

    index: int  #: position in the sequence
    label: str  #: script name and arguments, as sent (untrusted: render through safe_text)


@dataclass(frozen=True, slots=True)
class StackData:
    batch_id: str
    step: ScriptStep
    masks: tuple[str, ...]
    outputs: dict[str, MachineOutput]  #: machine name -> its stdout file for this step
    groups: list[OutputGroup]
    lines: LineStacks
    glance: Glance
    without_output: int  #: jobs of the batch with no stdout file for this step (not finished, failed, cut)
    table: MergedTable | None = None  #: the outputs merged, when they are CSV or JSON lines

    @property
    def majority(self) -> MachineOutput | None:
        """The largest group's first machine (None when nothing was read)."""
        return self.outputs[self.groups[0].machines[0]] if self.groups else None


def batch_jobs(jobs: Iterable[Job], batch_id: str) -> list[Job]:
    return [j for j in jobs if j.batch_id == batch_id]


def script_steps(jobs: Sequence[Job]) -> list[ScriptStep]:
    """The RunScript commands of the batch's sequence (the first job's: one batch, one sequence)."""
    if not jobs:
        return []
    commands = jobs[0].sequence.commands
    return [
        ScriptStep(i, " ".join(p for p in (c.value, c.args or "") if p))
        for i, c in enumerate(commands)
        if c.type is CommandType.RUN_SCRIPT
    ]


def machine_outputs(jobs: Sequence[Job], index: int) -> tuple[dict[str, MachineOutput], int]:
    """Each machine's stdout file for the command at ``index`` (a later job on the same machine wins), and how
    many jobs had none."""
    found: dict[str, MachineOutput] = {}
    missing = 0
    for job in sorted(jobs, key=lambda j: j.created_at):
        path = next(
            (r.stdout_path for r in job.results if r.index == index and r.type == "RunScript" and r.stdout_path),
            None,
        )
        if path is None or not Path(path).is_file():
            missing += 1
            continue
        found[job.machine_name] = MachineOutput(job.machine_name, Path(path))
    return found, missing


def load_stack(jobs: Sequence[Job], batch_id: str, step: ScriptStep, masks: Sequence[str]) -> StackData:
    """Read and stack the batch's outputs for ``step`` (blocking: reads and masks every file once, streamed;
    CSV and JSON lines are read again for the merged table)."""
    outputs, missing = machine_outputs(jobs, step.index)
    ordered = [outputs[m] for m in sorted(outputs)]
    groups, lines = group_and_stack(ordered, masks)
    return StackData(
        batch_id=batch_id,
        step=step,
        masks=tuple(masks),
        outputs=outputs,
        groups=groups,
        lines=lines,
        glance=glance(jobs),
        without_output=missing,
        table=load_table(ordered),
    )


def machine_diff(data: StackData, machine: str) -> list[str]:
    """The unified diff of ``machine``'s output against the majority's, masked as the data was (blocking)."""
    majority = data.majority
    output = data.outputs.get(machine)
    if majority is None or output is None:
        return []
    return diff_against_majority(output, majority, data.masks)
