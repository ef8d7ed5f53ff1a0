"""Outputs: one row per group of machines whose (masked) output is identical, largest first; a machine alone
with its output is an outlier (marked with a glyph and the word, not by colour alone)."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from lrtui.engine.stacking import OutputGroup, is_outlier
from lrtui.tui.glyphs import UNICODE, current
from lrtui.tui.safe_text import append_clean

#: the mark of an outlier group in the unicode table (``outlier_mark`` is the one in use)
OUTLIER = f"{UNICODE.outlier} outlier"
SHOWN_NAMES = 3


def machines_cell(machines: tuple[str, ...]) -> Text:
    t = Text()
    for i, name in enumerate(machines[:SHOWN_NAMES]):
        if i:
            t.append(", ")
        append_clean(t, name)
    if len(machines) > SHOWN_NAMES:
        t.append(f", +{len(machines) - SHOWN_NAMES} more", style="dim")
    return t


def outlier_mark() -> str:
    return f"{current().outlier} outlier"


class GroupTable(DataTable[Text]):
    """The groups; the row key is the group's index in ``groups``."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="stack-groups-down"),
        Binding("k", "cursor_up", "Up", show=False, id="stack-groups-up"),
        Binding("g,home", "scroll_top", "First group", show=False, id="stack-groups-first"),
        Binding("G,end", "scroll_bottom", "Last group", show=False, id="stack-groups-last"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.groups: list[OutputGroup] = []

    def on_mount(self) -> None:
        self.add_column(Text("Machines", style="bold"), key="size", width=8)
        self.add_column(Text("Lines", style="bold"), key="lines", width=6)
        self.add_column(Text("", style="bold"), key="mark", width=len(outlier_mark()))
        self.add_column(Text("Who", style="bold"), key="who")

    def show(self, groups: list[OutputGroup]) -> None:
        self.groups = groups
        self.clear()
        for i, g in enumerate(groups):
            mark = Text(outlier_mark(), style="bold yellow") if is_outlier(g, groups) else Text("")
            self.add_row(
                Text(str(g.size), justify="right"),
                Text(str(g.lines), justify="right"),
                mark,
                machines_cell(g.machines),
                key=str(i),
            )

    def highlighted_group(self) -> OutputGroup | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key.value
        except (CellDoesNotExist, RowDoesNotExist):
            return None
        return self.groups[int(key)] if key is not None else None
