"""Whole outputs stacked: machines whose (masked) output is identical form one group; largest group first,
singletons are the outliers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from lrtui.engine.stacking.lines import MAX_DISTINCT_LINES, LineCounter, LineStacks
from lrtui.engine.stacking.masks import Masker
from lrtui.engine.stacking.outputs import MachineOutput, iter_blocks


@dataclass(frozen=True, slots=True)
class OutputGroup:
    digest: str  #: sha256 of the masked output (hex)
    machines: tuple[str, ...]  #: sorted by name
    lines: int  #: lines in the output (the group's first machine)

    @property
    def size(self) -> int:
        return len(self.machines)


def _raw_digest(output: MachineOutput, chunk: int = 1 << 20) -> tuple[str, int] | None:
    """sha256 of the file's bytes and its line count, when the text path would hash the same bytes: no CR or NUL
    to fold, no ``\x01`` to escape, ending with a newline (or empty); None otherwise."""
    h = hashlib.sha256()
    lines = 0
    last = b"\n"
    with output.path.open("rb") as f:
        while block := f.read(chunk):
            if b"\r" in block or b"\x00" in block or b"\x01" in block:
                return None
            h.update(block)
            lines += block.count(b"\n")
            last = block[-1:]
    return (h.hexdigest(), lines) if last == b"\n" else None


def output_digest(output: MachineOutput, masks: Sequence[str]) -> tuple[str, int]:
    """sha256 of one output after masking, and its number of lines (the file is streamed).

    Without masks the bytes are hashed as they are (fast: stacking exact outputs keeps up with ``sort``); the
    text path gives the same digest for the same lines, so both paths group alike."""
    if not masks and (raw := _raw_digest(output)) is not None:
        return raw
    return text_digest(output, masks)


def masked_blocks(output: MachineOutput, masks: Sequence[str], digest: Callable[[bytes], object]) -> Iterator[str]:
    """Each decoded, line-end-folded block of ``output`` with ``masks`` applied, fed to ``digest`` (a hash's
    ``update``) as it goes: the one reading both the group digest and the line stack use."""
    masker = Masker(masks, output.names())
    for block in iter_blocks(output.path):
        masked = masker.block(block)
        digest(masked.encode("utf-8", "surrogatepass"))
        digest(b"\n")
        yield masked


def text_digest(output: MachineOutput, masks: Sequence[str]) -> tuple[str, int]:
    """The digest of the decoded, line-end-folded and masked text (see ``output_digest``)."""
    h = hashlib.sha256()
    n = sum(masked.count("\n") + 1 for masked in masked_blocks(output, masks, h.update))
    return h.hexdigest(), n


def group_outputs(outputs: Iterable[MachineOutput], masks: Sequence[str] = ()) -> list[OutputGroup]:
    """Machines grouped by identical masked output: largest group first, then by the first machine's name."""
    return make_groups((output.machine, *output_digest(output, masks)) for output in outputs)


def make_groups(digests: Iterable[tuple[str, str, int]]) -> list[OutputGroup]:
    """Groups from ``(machine, digest, lines)`` triples: largest first, then by the first machine's name."""
    members: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    for machine, digest, n in digests:
        members.setdefault(digest, []).append(machine)
        lines.setdefault(digest, n)
    groups = [OutputGroup(d, tuple(sorted(ms)), lines[d]) for d, ms in members.items()]
    groups.sort(key=lambda g: (-g.size, g.machines[0]))
    return groups


def group_and_stack(
    outputs: Iterable[MachineOutput], masks: Sequence[str] = (), *, max_distinct: int = MAX_DISTINCT_LINES
) -> tuple[list[OutputGroup], LineStacks]:
    """``group_outputs`` and ``stack_lines`` in one reading and masking of each output (what the stack view
    shows first); the same results as the two calls."""
    counter = LineCounter(max_distinct)
    digests: list[tuple[str, str, int]] = []
    for output in outputs:
        counter.machines += 1
        h = hashlib.sha256()
        n = 0
        for masked in masked_blocks(output, masks, h.update):
            keys = masked.split("\n")
            n += len(keys)
            counter.add(output.machine, keys)
        digests.append((output.machine, h.hexdigest(), n))
    return make_groups(digests), counter.result(masks)


def is_outlier(group: OutputGroup, groups: Sequence[OutputGroup]) -> bool:
    """A machine alone with its output, in a batch where others agree with each other."""
    return group.size == 1 and len(groups) > 1 and groups[0].size > 1
