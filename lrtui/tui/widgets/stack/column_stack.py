"""A column stacked: each value of one column of the merged table with the number of machines (and rows) that
have it, rarest first; ``enter`` names the machines. Values are device text: cleaned, never markup."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from lrtui.tui.safe_text import plain
from lrtui.tui.widgets.stack.groups_table import machines_cell
from lrtui.tui.widgets.stack.table_data import ColumnValue

MAX_SHOWN = 2000


class ColumnStackTable(DataTable[Text]):
    """The values; the row key is the value's index in ``values``."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="stack-values-down"),
        Binding("k", "cursor_up", "Up", show=False, id="stack-values-up"),
        Binding("g,home", "scroll_top", "Rarest value", show=False, id="stack-values-first"),
        Binding("G,end", "scroll_bottom", "Commonest value", show=False, id="stack-values-last"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.column = ""
        self.values: list[ColumnValue] = []

    def on_mount(self) -> None:
        self.add_column(Text("Machines", style="bold"), key="machines", width=8)
        self.add_column(Text("Rows", style="bold"), key="rows", width=6)
        self.add_column(Text("Value", style="bold"), key="value")
        self.add_column(Text("Who", style="bold"), key="who")

    def show(self, column: str, values: list[ColumnValue]) -> None:
        self.column, self.values = column, values[:MAX_SHOWN]
        self.clear()
        for i, v in enumerate(self.values):
            self.add_row(
                Text(str(len(v.machines)), justify="right"),
                Text(str(v.rows), justify="right"),
                plain(v.value[:200], multiline=False) if v.value else Text("(empty)", style="italic"),
                machines_cell(v.machines),
                key=str(i),
            )

    def highlighted_value(self) -> ColumnValue | None:
        return self.values[self.cursor_row] if 0 <= self.cursor_row < len(self.values) else None
