"""One machine against the majority: a unified diff of its masked output against the largest group's."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from lrtui.engine.stacking.masks import Masker, display
from lrtui.engine.stacking.outputs import MachineOutput, iter_blocks

MAX_DIFF_LINES = 200_000  #: lines read from each side at the most


def _masked(output: MachineOutput, masks: Sequence[str], limit: int) -> list[str]:
    """The output's lines as shown, masked by blocks (the way groups are made: multi-line masks such as the
    transcript banner apply here too)."""
    masker = Masker(masks, output.names())
    out: list[str] = []
    for block in iter_blocks(output.path):
        out.extend(display(masker.block(block)).split("\n"))
        if len(out) > limit:
            del out[limit:]
            out.append("… (output cut for the comparison)")
            break
    return out


def diff_against_majority(
    machine: MachineOutput, majority: MachineOutput, masks: Sequence[str] = (), *, context: int = 2
) -> list[str]:
    """Unified diff lines (``---``/``+++`` headers, ``@@`` hunks, ``-`` majority only, ``+`` this machine only);
    empty when the two are alike after masking."""
    a = _masked(majority, masks, MAX_DIFF_LINES)
    b = _masked(machine, masks, MAX_DIFF_LINES)
    return list(
        difflib.unified_diff(
            a, b, fromfile=f"majority ({majority.machine})", tofile=machine.machine, n=context, lineterm=""
        )
    )
