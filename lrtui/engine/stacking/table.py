"""Structured output merged across machines: CSV (a header line) or JSON lines become one table with a
``machine`` column, streamed row by row; any column can be stacked (value -> machines), rarest first.

On Windows the service wraps script output in a PowerShell transcript banner (a block between two lines of
asterisks, at the start and at the end); those blocks are skipped before the format is detected.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from lrtui.engine.stacking.outputs import MachineOutput, iter_lines

MACHINE_COLUMN = "machine"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class TableFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class ValueStack:
    value: str
    machines: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.machines)


def csv_safe(cell: str) -> str:
    """A cell a spreadsheet will not run: a leading ``=``, ``+``, ``-``, ``@`` (or tab/CR) gets a ``'``."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def content_lines(output: MachineOutput) -> Iterator[str]:
    """The output's lines without transcript banner blocks and blank lines."""
    in_banner = False
    for line in iter_lines(output.path):
        if line.startswith("**********"):
            in_banner = not in_banner
            continue
        if in_banner or not line.strip() or line.startswith("Transcript started, output file is "):
            continue
        yield line


def detect_format(first_line: str) -> TableFormat:
    text = first_line.strip()
    if text.startswith("{"):
        try:
            return TableFormat.JSONL if isinstance(json.loads(text), dict) else TableFormat.NONE
        except ValueError:
            return TableFormat.NONE
    if text.count(",") >= 1 and all(cell.strip() for cell in next(csv.reader([text]))):
        return TableFormat.CSV
    return TableFormat.NONE


def _cell(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def rows_of(output: MachineOutput) -> Iterator[dict[str, str]]:
    """One machine's rows as ``{column: text}`` (without the machine column); nothing when not a table."""
    lines = content_lines(output)
    first = next(lines, None)
    if first is None:
        return
    kind = detect_format(first)
    if kind is TableFormat.JSONL:
        for text in itertools.chain((first,), lines):
            try:
                item = json.loads(text)
            except ValueError:
                continue
            if isinstance(item, dict):
                yield {str(k): _cell(v) for k, v in item.items()}
    elif kind is TableFormat.CSV:
        header = next(csv.reader([first]))
        for cells in csv.reader(lines):
            yield {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header)}


def table_columns(outputs: Iterable[MachineOutput]) -> list[str]:
    """The merged table's columns: ``machine`` first, then every column in the order first seen."""
    cols: dict[str, None] = {MACHINE_COLUMN: None}
    for output in outputs:
        for row in rows_of(output):
            cols.update(dict.fromkeys(row))
    return list(cols)


def iter_table_rows(outputs: Iterable[MachineOutput]) -> Iterator[dict[str, str]]:
    """Every row of every machine, with its ``machine`` column."""
    for output in outputs:
        for row in rows_of(output):
            yield {MACHINE_COLUMN: output.machine, **row}


def stack_column(outputs: Iterable[MachineOutput], column: str) -> list[ValueStack]:
    """Each value of ``column`` with the machines that have it, rarest first (then by value)."""
    seen: dict[str, set[str]] = {}
    for output in outputs:
        for row in rows_of(output):
            if column in row:
                seen.setdefault(row[column], set()).add(output.machine)
    stacks = [ValueStack(v, tuple(sorted(ms))) for v, ms in seen.items()]
    stacks.sort(key=lambda s: (s.count, s.value))
    return stacks
