"""The merged table: every row of the batch's CSV or JSON-lines outputs with a ``machine`` column, filtered as
you type (any cell containing the text) and sorted by the column under the cursor (``S``; again: reversed).
``c`` stacks the column under the cursor. At most ``MAX_SHOWN`` rows are drawn (the filter narrows the rest).
Cells are device text: cleaned, never markup."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from lrtui.tui.safe_text import plain
from lrtui.tui.widgets.stack.table_data import MergedTable, sort_rows

MAX_SHOWN = 2000
MAX_CELL = 120  #: characters of a cell drawn (the detail line and `lrtui table` have all of it)


class MergedTableView(DataTable[Text]):
    """The rows shown; the row key is the row's index in ``shown``."""

    BINDINGS = [
        Binding("c", "stack_column", "Stack column", id="stack-table-stack", tooltip="Values of this column, rarest first"),
        Binding("S", "sort", "Sort", id="stack-table-sort", tooltip="Sort by this column (again: reversed)"),
        Binding("g,home", "scroll_top", "First row", show=False, id="stack-table-first"),
        Binding("G,end", "scroll_bottom", "Last row", show=False, id="stack-table-last"),
    ]  # fmt: skip

    @dataclass
    class StackColumn(Message):
        """Stack ``column`` (the one under the cursor)."""

        column: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="cell", zebra_stripes=True)
        self.table: MergedTable | None = None
        self.needle = ""
        self.sort_by: tuple[str, bool] | None = None  #: column and reversed
        self.shown: list[dict[str, str]] = []
        self.matched = 0

    def show(self, table: MergedTable | None, needle: str | None = None) -> None:
        """Show ``table`` (None: keep the one shown) filtered by ``needle`` (None: keep the filter)."""
        if table is not None and table is not self.table:
            self.table = table
            self.clear(columns=True)
            for i, name in enumerate(table.columns):
                self.add_column(plain(name, "bold", multiline=False), key=str(i))
        if needle is not None:
            self.needle = needle
        self._refill()

    def _refill(self) -> None:
        column = self.cursor_column  # clearing moves the cursor home: keep it on its column
        self.clear()
        if self.table is None:
            return
        rows = self.table.matching(self.needle)
        if self.sort_by is not None:
            rows = sort_rows(rows, self.sort_by[0], reverse=self.sort_by[1])
        self.matched = len(rows)
        self.shown = rows[:MAX_SHOWN]
        columns = self.table.columns
        for i, row in enumerate(self.shown):
            self.add_row(*(plain(row.get(c, "")[:MAX_CELL], multiline=False) for c in columns), key=str(i))
        self.move_cursor(row=0, column=column, scroll=False)

    def cursor_column_name(self) -> str | None:
        if self.table is None or not self.table.columns:
            return None
        return self.table.columns[min(self.cursor_column, len(self.table.columns) - 1)]

    def highlighted_row(self) -> dict[str, str] | None:
        return self.shown[self.cursor_row] if 0 <= self.cursor_row < len(self.shown) else None

    def action_stack_column(self) -> None:
        column = self.cursor_column_name()
        if column is not None:
            self.post_message(self.StackColumn(column))

    def action_sort(self) -> None:
        column = self.cursor_column_name()
        if column is None:
            return
        reverse = self.sort_by == (column, False)
        self.sort_by = (column, reverse)
        self._refill()
