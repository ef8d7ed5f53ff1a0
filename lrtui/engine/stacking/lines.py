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


class LineCounter:
    """Accumulates the line stacks of one machine's lines after another (memory bounded by ``max_distinct``)."""

    def __init__(self, max_distinct: int = MAX_DISTINCT_LINES) -> None:
        #: line -> its machines: a string while one machine prints it (most lines of a batch of distinct
        #: outputs: strings are not tracked by the garbage collector, lists are), a list from the second one
        self.seen: dict[str, str | list[str]] = {}
        self.max_distinct = max_distinct
        self.dropped = 0
        self.machines = 0

    def add(self, machine: str, keys: list[str]) -> None:
        """Some (masked) lines of ``machine``; a machine's lines come together, one machine after another."""
        seen = self.seen
        for key in dict.fromkeys(keys):  # in order: deterministic
            who = seen.get(key)
            if who is None:
                if len(seen) >= self.max_distinct:
                    self.dropped += 1
                    continue
                seen[key] = machine
            elif isinstance(who, str):
                if who != machine:
                    seen[key] = [who, machine]
            elif who[-1] != machine:
                who.append(machine)

    def result(self, masks: Sequence[str]) -> LineStacks:
        stacks = [LineStack(k, (ms,) if isinstance(ms, str) else tuple(sorted(set(ms)))) for k, ms in self.seen.items()]
        stacks.sort(key=lambda s: (s.count, s.key))
        return LineStacks(stacks, self.machines, self.dropped, tuple(masks))


def stack_lines(
    outputs: Iterable[MachineOutput], masks: Sequence[str] = (), *, max_distinct: int = MAX_DISTINCT_LINES
) -> LineStacks:
    counter = LineCounter(max_distinct)
    for output in outputs:
        counter.machines += 1
        masker = Masker(masks, output.names())
        for block in iter_blocks(output.path):
            counter.add(output.machine, masker.block(block).split("\n"))
    return counter.result(masks)
