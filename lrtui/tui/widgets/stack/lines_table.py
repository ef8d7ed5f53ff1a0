"""Lines: every distinct (masked) output line with the number of machines that print it, rarest first,
filtered by a needle. At most ``MAX_ROWS`` rows are shown (a filter narrows the rest)."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from lrtui.engine.stacking import LineStack, LineStacks
from lrtui.tui.safe_text import plain

MAX_ROWS = 2000


class LineTable(DataTable[Text]):
    """The lines; the row key is the line's index in ``shown``."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="stack-lines-down"),
        Binding("k", "cursor_up", "Up", show=False, id="stack-lines-up"),
        Binding("g,home", "scroll_top", "First line", show=False, id="stack-lines-first"),
        Binding("G,end", "scroll_bottom", "Last line", show=False, id="stack-lines-last"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.shown: list[LineStack] = []
        self.matched = 0  #: lines matching the filter (more than ``shown`` past MAX_ROWS)

    def on_mount(self) -> None:
        self.add_column(Text("Machines", style="bold"), key="count", width=8)
        self.add_column(Text("Line", style="bold"), key="text")

    def show(self, stacks: LineStacks, needle: str) -> None:
        matching = stacks.matching(needle)
        self.matched = len(matching)
        self.shown = matching[:MAX_ROWS]
        self.clear()
        for i, s in enumerate(self.shown):
            self.add_row(Text(str(s.count), justify="right"), plain(s.text, multiline=False), key=str(i))

    def highlighted_line(self) -> LineStack | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key.value
        except (CellDoesNotExist, RowDoesNotExist):
            return None
        return self.shown[int(key)] if key is not None else None
