"""A virtual machine list: a Line-API ``ScrollView`` that renders only the visible rows.

It shows ``rows`` (inventory indices, the current search result) and keeps marks by machine id, so marks
survive new searches and refreshes. It never calls the service; the pane feeds it.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from math import ceil
from pathlib import Path
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.widget import Widget

from lrtui.api.text import clean_line, clean_report
from lrtui.tui.glyphs import current
from lrtui.tui.textual_compat import update_scrollbars
from lrtui.tui.widgets.machines.columns import cell_of_row, fit, layout

if TYPE_CHECKING:
    from lrtui.engine.inventory import Inventory

ONLINE = "Active"
#: Painted rows kept for reuse (typing often keeps the top rows). A few screens' worth: each ``Strip`` holds
#: seven caches of its own, long-lived objects every full garbage collection walks.
LINE_CACHE_MAX = 256
NAME_CACHE_MAX = 2048


def flagged_name(raw: str) -> str:
    """A machine name for the list: cleaned, and led by the warning glyph when something was removed (the
    details under the list say how many)."""
    name, removed = clean_report(raw, multiline=False)
    return f"{current().warn} {name}" if removed else name


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

    def __init__(self, *, clock: Callable[[], float] | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.inventory: Inventory | None = None
        self.rows: Sequence[int] = []
        self._stale = False  #: set by invalidate(): the same index may now be another machine
        self.marked: dict[str, None] = {}  #: machine ids in marking order
        self._clock = clock
        self._names: dict[int, str] = {}
        self._last_highlight: int | None = -1
        self._frame_styles: dict[str, Style] = {}  #: looked up once per frame by ``render_lines``
        self._frame_now = 0.0
        #: painted rows by (inventory index, is cursor); valid for ``_cache_key`` (see ``render_lines``)
        self._lines: dict[tuple[int, bool], Strip] = {}
        self._cache_key: tuple[object, ...] = ()

    # ------------------------------------------------------------ data

    def set_rows(self, inventory: Inventory, rows: Sequence[int]) -> None:
        """Show ``rows``; keep the highlighted machine when it is still listed."""
        previous = self.highlighted_index
        same_source = inventory is self.inventory and not self._stale
        self._stale = False
        # a new generation reuses indices for other machines: then every line is repainted
        before = self._line_keys() if same_source else None
        self.inventory = inventory
        self.rows = rows
        if not same_source or len(self._names) > NAME_CACHE_MAX:
            self._names.clear()
            self._lines.clear()
        self._set_virtual_height(len(rows))
        if previous is not None and same_source and rows:
            pos = bisect.bisect_left(rows, previous)
            self.set_reactive(MachineList.cursor, min(pos, len(rows) - 1))
        else:
            self.set_reactive(MachineList.cursor, 0)
        self._scroll_cursor_into_view()
        self._refresh_changed(before)
        self._post_highlight()

    def _line_keys(self) -> tuple[int, list[tuple[int | None, bool]]]:
        """(top, [(row index or None, is cursor)]) of what is on screen now."""
        top = int(self.scroll_offset.y)
        rows, cursor = self.rows, self.cursor
        height = self.scrollable_content_region.height
        return top, [(rows[r] if r < len(rows) else None, r == cursor) for r in range(top, top + height)]

    def _refresh_changed(self, before: tuple[int, list[tuple[int | None, bool]]] | None) -> None:
        """Repaint only the lines whose machine or cursor changed (typing often keeps the top rows)."""
        after = self._line_keys()
        if before is None or before[0] != after[0] or len(before[1]) != len(after[1]):
            self.refresh()
            return
        top = after[0]
        for y, (old, new) in enumerate(zip(before[1], after[1])):
            if old != new:
                self.refresh_lines(top + y)

    def _set_virtual_height(self, rows: int) -> None:
        """A new row count without a screen-wide layout pass (``virtual_size`` is a layout reactive).

        The vertical scrollbar is always shown (``overflow-y: scroll`` in the CSS), so only its thumb changes;
        ``update_scrollbars`` (a private Textual call, see ``textual_compat``) updates it and clamps the scroll
        offset. The list's own lines are not repainted here: ``set_rows`` repaints those that changed.
        """
        size = Size(self.size.width, rows)
        if size == self.virtual_size:
            return
        if not self.size.width:  # not laid out yet: the normal path is cheap now
            self.virtual_size = size
            return
        bar = self.vertical_scrollbar if self.show_vertical_scrollbar else None
        before = _thumb(bar) if bar is not None else None
        self.set_reactive(Widget.virtual_size, size)
        if bar is not None and before is not None and bar.window_virtual_size != rows:
            # Repainting the bar costs ~2 ms a frame; with thousands of rows its thumb rarely moves.
            bar.set_reactive(type(bar).window_virtual_size, rows)
            if _thumb(bar) != before:
                bar.refresh()
            self.scroll_y = self.validate_scroll_y(self.scroll_y)
        else:
            update_scrollbars(self, size)

    def invalidate(self) -> None:
        """The inventory changed under us (new generation): forget cached names, repaint every line."""
        self._names.clear()
        self._lines.clear()
        self._stale = True
        self.refresh()

    @property
    def highlighted_index(self) -> int | None:
        if not self.rows or not (0 <= self.cursor < len(self.rows)):
            return None
        return self.rows[self.cursor]

    def machine_id(self, index: int) -> str:
        assert self.inventory is not None
        return str(self.inventory.field(index, "id"))

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

    def mark(self, machine_id: str) -> None:
        """Mark ``machine_id`` (it keeps its place in the marking order if it already is)."""
        if machine_id not in self.marked:
            self.marked[machine_id] = None
            self._marks_changed()

    def set_marked(self, machine_ids: list[str]) -> None:
        self.marked = dict.fromkeys(machine_ids)
        self._marks_changed()

    def _marks_changed(self) -> None:
        self._lines.clear()
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
            name = self._names[index] = flagged_name(self.inventory.name(index))
        return name

    def render_lines(self, crop: Region) -> list[Strip]:
        # Styles are looked up once per frame, not once per line (rich_style walks the ancestors).
        self._frame_styles = {
            "base": self.rich_style,
            **{name: self.get_component_rich_style(f"machine-list--{name}") for name in ("offline", "marked", "cursor")},
            **{name: self.get_component_rich_style(f"machine-list--{name}", partial=True)
               for name in ("online", "risk-high", "risk-medium")},
        }  # fmt: skip
        self._frame_now = self._clock() if self._clock else 0.0
        # The painted rows stay valid while the inventory, width, styles (theme, focus) and the minute (the
        # "last seen" ages) stay the same: scrolling and typing then reuse them instead of rebuilding them.
        key = (id(self.inventory), self.scrollable_content_region.width, tuple(self._frame_styles.values()),
               int(self._frame_now // 60))  # fmt: skip
        if key != self._cache_key or len(self._lines) > LINE_CACHE_MAX:
            self._lines.clear()
            self._cache_key = key
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = int(self.scroll_offset.y) + y
        styles = self._frame_styles or {"base": self.rich_style}
        if row >= len(self.rows) or self.inventory is None or len(styles) == 1:
            return Strip.blank(width, styles["base"])
        key = (self.rows[row], row == self.cursor)
        strip = self._lines.get(key)
        if strip is None:
            strip = self._lines[key] = Strip(self._row_segments(key[0], width, key[1], styles), width)
        return strip

    def _row_segments(self, index: int, width: int, is_cursor: bool, styles: dict[str, Style]) -> list[Segment]:
        inv = self.inventory
        assert inv is not None
        row = inv.row(index)
        fields = inv.field_index
        marked = row[0] in self.marked
        online = row[fields["health_status"]] == ONLINE
        style = styles["base"]
        if not online:
            style += styles["offline"]
        if marked:
            style += styles["marked"]
        if is_cursor:
            style += styles["cursor"]
        now = self._frame_now
        segments: list[Segment] = []
        for col in layout(width):
            if col.key == "mark":
                g = current()  # the mark, then (console mode) the cursor: colour alone would not show the row
                _add(segments, f"{g.mark if marked else ' '}{g.cursor if is_cursor else ' '}", style)
                continue
            text = (
                self._display_name(index) if col.key == "name" else clean_line(cell_of_row(col.key, row, fields, now))
            )
            extra = None if is_cursor else _accent(col.key, text, online)
            _add(segments, fit(text, col.width), style + styles[extra] if extra else style)
        return segments


def _add(segments: list[Segment], text: str, style: Style) -> None:
    """Append ``text``, merged into the last segment when that has the same style: a row is then 3 or 4
    segments, not 8, and Textual crops, filters and divides every segment of every line it paints."""
    if segments and segments[-1].style is style:
        segments[-1] = Segment(segments[-1].text + text, style)
    else:
        segments.append(Segment(text, style))


def _thumb(bar: ScrollBar) -> tuple[int, int] | None:
    """Where ``bar`` draws its thumb, in eighths of a cell (as ``ScrollBarRender.render_bar``, Textual 8.2.8)."""
    size, virtual = bar.size.height, ceil(bar.window_virtual_size)
    window = ceil(bar.window_size) if bar.window_size < bar.window_virtual_size else 0
    if not (window and size and virtual and size != virtual):
        return None
    thumb = max(1, window / (virtual / size))
    start = int((size - thumb) * (bar.position / (virtual - window)) * 8)
    return start, start + ceil(thumb * 8)


def _accent(key: str, text: str, online: bool) -> str | None:
    if key == "health" and online:
        return "online"
    if key == "risk":
        return {"High": "risk-high", "Medium": "risk-medium"}.get(text)
    return None


def header_text(width: int) -> str:
    """The column titles line for ``width`` cells."""
    return "".join(fit(c.title, c.width) for c in layout(width))
