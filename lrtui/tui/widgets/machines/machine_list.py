"""A virtual machine list: a Line-API ``ScrollView`` that renders only the visible rows.

It shows ``rows`` (inventory indices, the current search result) and keeps marks by machine id, so marks
survive new searches and refreshes. It never calls the service; the pane feeds it.
"""

from __future__ import annotations

from pathlib import Path

import bisect
from typing import TYPE_CHECKING, Any, Callable

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from lrtui.tui.safe_text import clean_line
from lrtui.tui.widgets.machines.columns import Column, cell, fit, layout

if TYPE_CHECKING:
    from lrtui.engine.inventory import Inventory

MARK_GLYPH = "● "
OFFLINE_HEALTH = "Active"


class MachineList(ScrollView, can_focus=True, inherit_bindings=False):
    """The machines matching the search, one line each."""

    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")
    SCOPED_CSS = False

    BINDING_GROUP_TITLE = "Machine list"
    COMPONENT_CLASSES = {
        "machine-list--cursor",
        "machine-list--marked",
        "machine-list--offline",
        "machine-list--risk-high",
        "machine-list--risk-medium",
        "machine-list--online",
    }
    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False, id="machines-up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="machines-down"),
        Binding("pageup,ctrl+u", "page_up", "Page up", show=False, id="machines-page-up"),
        Binding("pagedown,ctrl+d", "page_down", "Page down", show=False, id="machines-page-down"),
        Binding("home,g", "first", "First", show=False, id="machines-first"),
        Binding("end,G", "last", "Last", show=False, id="machines-last"),
        Binding("space", "toggle_mark", "Mark", id="machines-mark", tooltip="Mark or unmark this machine"),
        Binding("a,ctrl+a", "mark_all", "Mark all", id="machines-mark-all", tooltip="Mark every machine listed"),
        Binding("c,escape", "clear_marks", "Clear", id="machines-clear-marks", tooltip="Clear all marks"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)

    class Highlighted(Message):
        """The highlighted machine changed (``index`` into the inventory, or None when the list is empty)."""

        def __init__(self, index: int | None) -> None:
            super().__init__()
            self.index = index

    class Resized(Message):
        """The list's content width changed (the pane lays out its column titles to match)."""

        def __init__(self, width: int) -> None:
            super().__init__()
            self.width = width

    class MarksChanged(Message):
        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    def __init__(self, *, clock: Callable[[], float] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.inventory: Inventory | None = None
        self.rows: list[int] = []
        self.marked: dict[str, None] = {}  #: machine ids in marking order
        self._clock = clock
        self._names: dict[int, str] = {}
        self._last_highlight: int | None = -1

    # ------------------------------------------------------------ data

    def set_rows(self, inventory: "Inventory", rows: list[int]) -> None:
        """Show ``rows``; keep the highlighted machine when it is still listed."""
        previous = self.highlighted_index
        same_source = inventory is self.inventory
        self.inventory = inventory
        self.rows = rows
        if not same_source or len(self._names) > 5000:
            self._names.clear()
        self.virtual_size = Size(self.size.width, len(rows))
        if previous is not None and same_source and rows:
            pos = bisect.bisect_left(rows, previous)
            self.set_reactive(MachineList.cursor, min(pos, len(rows) - 1))
        else:
            self.set_reactive(MachineList.cursor, 0)
        self._scroll_cursor_into_view()
        self.refresh()
        self._post_highlight()

    def invalidate(self) -> None:
        """The inventory changed under us (new generation): forget cached names."""
        self._names.clear()

    @property
    def highlighted_index(self) -> int | None:
        if not self.rows or not (0 <= self.cursor < len(self.rows)):
            return None
        return self.rows[self.cursor]

    def machine_id(self, index: int) -> str:
        assert self.inventory is not None
        return self.inventory.field(index, "id")

    # ------------------------------------------------------------ actions

    def watch_cursor(self, old: int, new: int) -> None:
        clamped = max(0, min(new, len(self.rows) - 1)) if self.rows else 0
        if clamped != new:
            self.set_reactive(MachineList.cursor, clamped)
        self._scroll_cursor_into_view()
        self.refresh()
        self._post_highlight()

    def _post_highlight(self) -> None:
        index = self.highlighted_index
        if index != self._last_highlight:
            self._last_highlight = index
            self.post_message(self.Highlighted(index))

    def _scroll_cursor_into_view(self) -> None:
        height = max(1, self.scrollable_content_region.height)
        top = int(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_page_up(self) -> None:
        self.cursor -= max(1, self.scrollable_content_region.height - 1)

    def action_page_down(self) -> None:
        self.cursor += max(1, self.scrollable_content_region.height - 1)

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self.rows) - 1

    def action_toggle_mark(self) -> None:
        index = self.highlighted_index
        if index is None:
            return
        mid = self.machine_id(index)
        if mid in self.marked:
            del self.marked[mid]
        else:
            self.marked[mid] = None
        self.cursor += 1
        self._marks_changed()

    def action_mark_all(self) -> None:
        if self.inventory is None or not self.rows:
            return
        field = self.inventory.field
        for index in self.rows:
            self.marked.setdefault(field(index, "id"), None)
        self._marks_changed()

    def action_clear_marks(self) -> None:
        if self.marked:
            self.marked.clear()
            self._marks_changed()

    def set_marked(self, machine_ids: list[str]) -> None:
        self.marked = dict.fromkeys(machine_ids)
        self._marks_changed()

    def _marks_changed(self) -> None:
        self.refresh()
        self.post_message(self.MarksChanged(len(self.marked)))

    # ------------------------------------------------------------ mouse

    def on_click(self, event: events.Click) -> None:
        row = int(self.scroll_offset.y) + event.y
        if 0 <= row < len(self.rows):
            self.cursor = row
            if event.chain >= 2:
                self.action_toggle_mark()

    # ------------------------------------------------------------ rendering

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.rows))
        self._scroll_cursor_into_view()
        self.post_message(self.Resized(self.scrollable_content_region.width))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def _display_name(self, index: int) -> str:
        name = self._names.get(index)
        if name is None:
            assert self.inventory is not None
            name = self._names[index] = clean_line(self.inventory.name(index))
        return name

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = int(self.scroll_offset.y) + y
        base = self.rich_style
        if row >= len(self.rows) or self.inventory is None:
            return Strip.blank(width, base)
        index = self.rows[row]
        return Strip(self._row_segments(index, width, row == self.cursor, base), width)

    def _row_segments(self, index: int, width: int, is_cursor: bool, base: Style) -> list[Segment]:
        inv = self.inventory
        assert inv is not None
        now = self._clock() if self._clock else 0.0

        def get(name: str) -> Any:
            return inv.field(index, name)

        marked = get("id") in self.marked
        online = get("health_status") == OFFLINE_HEALTH
        row_style = base
        if not online:
            row_style += self.get_component_rich_style("machine-list--offline")
        if marked:
            row_style += self.get_component_rich_style("machine-list--marked")
        if is_cursor:
            row_style += self.get_component_rich_style("machine-list--cursor")
        segments: list[Segment] = []
        for col in layout(width):
            segments.append(self._cell(col, get, index, now, marked, online, row_style, is_cursor))
        return segments

    def _cell(
        self, col: Column, get: Any, index: int, now: float, marked: bool, online: bool, style: Style, is_cursor: bool
    ) -> Segment:
        if col.key == "mark":
            return Segment(MARK_GLYPH if marked else "  ", style)
        text = self._display_name(index) if col.key == "name" else clean_line(cell(col.key, get, now))
        extra = None
        if not is_cursor:
            if col.key == "health" and online:
                extra = "machine-list--online"
            elif col.key == "risk" and text == "High":
                extra = "machine-list--risk-high"
            elif col.key == "risk" and text == "Medium":
                extra = "machine-list--risk-medium"
        if extra:
            style = style + self.get_component_rich_style(extra, partial=True)
        return Segment(fit(text, col.width), style)


def header_text(width: int) -> str:
    """The column titles line for ``width`` cells."""
    return "".join(fit(c.title, c.width) for c in layout(width))
