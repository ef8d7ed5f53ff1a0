"""The stack view's table mode, computed off the event loop: a batch's CSV or JSON-lines outputs merged into one
table with a ``machine`` column (at most ``MAX_ROWS`` rows are kept), filtered, sorted by a column, and any
column stacked: each value with the machines (and rows) that have it, rarest first.

Plain functions over ``lrtui.engine.stacking``; ``load_table`` reads files, so callers run it in a worker.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lrtui.engine.stacking import MACHINE_COLUMN as MACHINE
from lrtui.engine.stacking import MachineOutput, rows_of

MAX_ROWS = 100_000  #: rows of the merged table kept in memory (the rest are counted, and exported by `lrtui table`)


@dataclass(frozen=True, slots=True)
class MergedTable:
    columns: tuple[str, ...]  #: ``machine`` first, then every column in the order first seen
    rows: tuple[dict[str, str], ...]  #: device text, untrusted: render through safe_text
    cut: int = 0  #: rows past MAX_ROWS, not kept

    def matching(self, needle: str) -> list[dict[str, str]]:
        """The rows with a cell containing ``needle`` (case-insensitive), in the same order."""
        n = needle.lower()
        return [r for r in self.rows if any(n in v.lower() for v in r.values())] if n else list(self.rows)


@dataclass(frozen=True, slots=True)
class ColumnValue:
    value: str
    machines: tuple[str, ...]  #: sorted
    rows: int  #: rows with this value (a machine may have several)


def load_table(outputs: Iterable[MachineOutput], limit: int = MAX_ROWS) -> MergedTable | None:
    """The merged table of ``outputs`` in one reading (None when no output is CSV with a header line or JSON
    lines)."""
    columns: dict[str, None] = {MACHINE: None}
    rows: list[dict[str, str]] = []
    cut = 0
    for output in outputs:
        for row in rows_of(output):
            columns.update(dict.fromkeys(row))
            if len(rows) < limit:
                rows.append({MACHINE: output.machine, **row})
            else:
                cut += 1
    return MergedTable(tuple(columns), tuple(rows), cut) if len(columns) > 1 else None


def sort_rows(rows: list[dict[str, str]], column: str, *, reverse: bool = False) -> list[dict[str, str]]:
    """Rows ordered by ``column`` (numbers as numbers when every value is one, else text ignoring case)."""
    values = [r.get(column, "") for r in rows]
    numeric = all(_number(v) is not None for v in values if v)
    if numeric:
        return sorted(rows, key=lambda r: _number(r.get(column, "")) or 0.0, reverse=reverse)
    return sorted(rows, key=lambda r: r.get(column, "").lower(), reverse=reverse)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def stack_values(rows: Iterable[dict[str, str]], column: str) -> list[ColumnValue]:
    """Each value of ``column`` with its machines and rows, rarest first (fewest machines, then rows, value)."""
    machines: dict[str, set[str]] = {}
    count: dict[str, int] = {}
    for row in rows:
        if column in row:
            value = row[column]
            machines.setdefault(value, set()).add(row.get(MACHINE, ""))
            count[value] = count.get(value, 0) + 1
    stacks = [ColumnValue(v, tuple(sorted(ms)), count[v]) for v, ms in machines.items()]
    stacks.sort(key=lambda s: (len(s.machines), s.rows, s.value))
    return stacks
