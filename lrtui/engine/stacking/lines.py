"""Lines stacked: every distinct (masked) output line with the machines that print it, rarest first."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lrtui.engine.stacking.masks import Masker, display
from lrtui.engine.stacking.outputs import MachineOutput, iter_blocks

MAX_DISTINCT_LINES = 200_000  #: past this, further new lines are only counted (memory stays bounded)


@dataclass(frozen=True, slots=True)
class LineStack:
    key: str  #: the masked line, encoded (see masks)
    machines: tuple[str, ...]  #: every machine that prints it at least once, sorted

    @property
    def count(self) -> int:
        return len(self.machines)

    @property
    def text(self) -> str:
        return display(self.key)


@dataclass(slots=True)
class LineStacks:
    lines: list[LineStack]  #: rarest first, then by text
    machines: int  #: machines read
    dropped: int = 0  #: line occurrences not kept once MAX_DISTINCT_LINES distinct lines were held
    masks: tuple[str, ...] = field(default=())

    def matching(self, needle: str) -> list[LineStack]:
        """The lines whose text contains ``needle`` (case-insensitive), in the same order."""
        n = needle.lower()
        return [s for s in self.lines if n in s.text.lower()] if n else list(self.lines)


def stack_lines(
    outputs: Iterable[MachineOutput], masks: Sequence[str] = (), *, max_distinct: int = MAX_DISTINCT_LINES
) -> LineStacks:
    seen: dict[str, list[str]] = {}
    dropped = 0
    n_machines = 0
    for output in outputs:
        n_machines += 1
        masker = Masker(masks, output.names())
        machine = output.machine
        for block in iter_blocks(output.path):
            for key in dict.fromkeys(masker.block(block).split("\n")):  # in order: deterministic
                who = seen.get(key)
                if who is None:
                    if len(seen) >= max_distinct:
                        dropped += 1
                        continue
                    seen[key] = [machine]
                elif who[-1] != machine:
                    who.append(machine)
    stacks = [LineStack(k, tuple(sorted(set(ms)))) for k, ms in seen.items()]
    stacks.sort(key=lambda s: (s.count, s.key))
    return LineStacks(stacks, n_machines, dropped, tuple(masks))
