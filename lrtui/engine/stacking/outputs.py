"""One machine's output as stacking reads it: a file streamed line by line, decoded leniently.

Evidence files keep what the device printed byte for byte (NUL padding included); stacking compares text, so
lines are decoded as UTF-8 with replacement, ``\\r\\n`` is folded, and the NUL padding the service appends at
the end of a result is dropped from each line's end.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class MachineOutput:
    """The stdout (or stderr) file of one machine's RunScript, and the names the machine goes by."""

    machine: str  #: the machine's name as shown (computerDnsName)
    path: Path
    host_names: tuple[str, ...] = ()  #: every name of the host that its own output may print (FQDN, short)

    def names(self) -> tuple[str, ...]:
        """The machine's own names, longest first (so the FQDN is masked before its short name)."""
        short = self.machine.split(".")[0]
        names = {n for n in (self.machine, short, *self.host_names) if n}
        return tuple(sorted(names, key=lambda n: (-len(n), n)))


_LINE_END_JUNK = re.compile(r"[\r\x00]+(?=\n)|[\r\x00]+\Z")


def iter_blocks(path: Path, *, chunk: int = 1 << 20) -> Iterator[str]:
    """The file as blocks of whole lines (``\n``-separated, no trailing ``\n``), about ``chunk`` characters each,
    with ``\r`` and NUL padding removed from line ends. Joined with ``\n`` they give the lines of ``iter_lines``."""
    with path.open("r", encoding="utf-8", errors="replace", newline="") as f:
        rest = ""
        while True:
            block = f.read(chunk)
            if not block:
                break
            block = rest + block
            cut = block.rfind("\n")
            if cut < 0:
                rest = block
                continue
            block, rest = block[:cut], block[cut + 1 :]
            yield _LINE_END_JUNK.sub("", block) if ("\r" in block or "\x00" in block) else block
        tail = _LINE_END_JUNK.sub("", rest)
        if tail:
            yield tail


def iter_lines(path: Path, *, chunk: int = 1 << 20) -> Iterator[str]:
    """The lines of ``path`` without their line ends, read in chunks (never the whole file at once)."""
    for block in iter_blocks(path, chunk=chunk):
        yield from block.split("\n")
