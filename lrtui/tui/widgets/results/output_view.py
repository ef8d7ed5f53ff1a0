"""A Line-API view over pre-split, cleaned lines: fast on megabytes, searchable, never parsed as markup.

Only the visible lines are rendered (``render_line``). ``/`` asks the pane for a search; ``n``/``N`` jump to
the next/previous match, which is highlighted (the current one more strongly).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from lrtui.api.text import clean_report
from lrtui.tui.safe_text import note

MATCH = Style(reverse=True)
CURRENT = Style(reverse=True, bold=True, color="yellow")
GUTTER = Style(dim=True)
NOTE = Style(bold=True, color="yellow")


@dataclass(frozen=True, slots=True)
class Section:
    """A block of lines: an optional heading, the (untrusted) text, and a style for its lines."""

    title: str | None
    text: str
    style: str = ""


def prepare(sections: list[Section]) -> tuple[list[str], list[Style | None], int]:
    """Clean and split once (run off the event loop for big output). Returns lines, styles, max width."""
    lines: list[str] = []
    styles: list[Style | None] = []
    for sec in sections:
        if sec.title is not None:
            lines.append(sec.title)
            styles.append(Style(bold=True, underline=True))
        body, removed = clean_report(sec.text.rstrip("\x00"))  # NUL padding is trimmed, not "removed"
        if removed:
            lines.append(note(removed))
            styles.append(NOTE)
        if body.endswith("\n"):
            body = body[:-1]
        part = body.split("\n") if body else []
        style = Style.parse(sec.style) if sec.style else None
        for line in part:
            lines.append(line.expandtabs(8) if "\t" in line else line)
            styles.append(style)
    width = 0
    for line in lines:
        n = len(line) if line.isascii() else cell_len(line)
        if n > width:
            width = n
    return lines, styles, width


class OutputView(ScrollView, can_focus=True):
    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")
    BINDINGS = [
        Binding("slash", "search", "Search", id="output-search", tooltip="Search the output"),
        Binding("n", "next_match", "Next", id="output-next"),
        Binding("N", "prev_match", "Prev", id="output-prev"),
        Binding("g,home", "scroll_home", "Top", show=False),
        Binding("G,end", "scroll_end", "Bottom", show=False),
        Binding("w", "toggle_wrap", "Wrap", id="output-wrap", tooltip="Wrap long lines (or scroll sideways)"),
        Binding("greater_than_sign,shift+right", "half_page(1)", "Half page right", show=False, id="output-right"),
        Binding("less_than_sign,shift+left", "half_page(-1)", "Half page left", show=False, id="output-left"),
    ]

    class SearchRequested(Message):
        pass

    class MatchChanged(Message):
        def __init__(self, view: OutputView, info: str) -> None:
            super().__init__()
            self.view = view
            self.info = info

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[str] = []
        self.line_styles: list[Style | None] = []
        self._max_width = 0
        self.search_text = ""
        self.matches: list[tuple[int, int]] = []
        self.current = -1
        self.wrap = False
        self._rows: list[tuple[int, int]] = []  #: when wrapping: (line index, first cell) of each screen row

    # ---------------------------------------------------------------- content

    def set_sections(self, sections: list[Section]) -> None:
        self.set_prepared(*prepare(sections))

    def set_prepared(self, lines: list[str], styles: list[Style | None], width: int) -> None:
        self.lines, self.line_styles, self._max_width = lines, styles, width
        self.matches, self.current = [], -1
        if self.search_text:
            self._find()
        self._layout_rows()
        self.scroll_to(0, 0, animate=False)
        self.refresh()

    # ---------------------------------------------------------------- wrapping and sideways scrolling

    def _wrap_width(self) -> int:
        return max(8, self.scrollable_content_region.width - self._gutter_width())

    def _layout_rows(self) -> None:
        """The virtual size for the current mode; when wrapping, the screen rows of every line."""
        if not self.wrap:
            self._rows = []
            self.virtual_size = Size(self._max_width + self._gutter_width(), len(self.lines))
            return
        ww = self._wrap_width()
        rows: list[tuple[int, int]] = []
        for i, line in enumerate(self.lines):
            n = len(line) if line.isascii() else cell_len(line)
            rows.extend((i, start) for start in range(0, max(n, 1), ww))
        self._rows = rows
        self.virtual_size = Size(self.scrollable_content_region.width, len(rows))

    def on_resize(self) -> None:
        if self.wrap:
            self._layout_rows()

    def action_toggle_wrap(self) -> None:
        top = self._line_at(self.scroll_offset.y)
        self.wrap = not self.wrap
        self._layout_rows()
        self.scroll_to(0, self._row_of(top, 0), animate=False)
        self.refresh()

    def action_half_page(self, direction: int) -> None:
        """Scroll sideways by half the visible width (a long line is read in a few presses, not one per column)."""
        if self.wrap:
            return
        step = max(1, self.scrollable_content_region.width // 2)
        self.scroll_to(max(0, self.scroll_offset.x + direction * step), None, animate=False)

    def _line_at(self, row: int) -> int:
        if not self.wrap:
            return row
        return self._rows[row][0] if row < len(self._rows) else len(self.lines)

    def _row_of(self, line: int, col: int) -> int:
        """The screen row that shows cell ``col`` of ``line``."""
        if not self.wrap:
            return line
        return bisect_right(self._rows, (line, col)) - 1 if self._rows else 0

    def clear_search(self) -> None:
        """Forget the search (another job's output is not searched for it, and no count follows)."""
        self.search_text = ""
        self.matches, self.current = [], -1
        self.refresh()

    def text(self) -> str:
        return "\n".join(self.lines)

    def _gutter_width(self) -> int:
        return len(str(len(self.lines))) + 3 if self.lines else 0

    # ---------------------------------------------------------------- search

    def search(self, query: str) -> str:
        self.search_text = query
        self._find()
        if self.matches:
            self.current = 0
            self._reveal()
        self.refresh()
        info = self.match_info()
        self.post_message(self.MatchChanged(self, info))
        return info

    def _find(self) -> None:
        self.matches = []
        self.current = -1
        q = self.search_text.lower()
        if not q:
            return
        for i, line in enumerate(self.lines):
            low = line.lower()
            start = low.find(q)
            while start != -1:
                self.matches.append((i, start))
                start = low.find(q, start + len(q))

    def match_info(self) -> str:
        if not self.search_text:
            return ""
        if not self.matches:
            return f"no match for {self.search_text!r}"
        return f"match {self.current + 1} of {len(self.matches)} for {self.search_text!r}"

    def _step(self, delta: int) -> None:
        if not self.matches:
            if self.search_text:
                self.app.bell()
            return
        self.current = (self.current + delta) % len(self.matches)
        self._reveal()
        self.refresh()
        self.post_message(self.MatchChanged(self, self.match_info()))

    def _reveal(self) -> None:
        line, col = self.matches[self.current]
        if self.wrap:
            line, col = self._row_of(line, col), 0
        height = max(1, self.scrollable_content_region.height)
        width = max(1, self.scrollable_content_region.width)
        y = self.scroll_offset.y
        if not (y <= line < y + height):
            y = max(0, line - height // 3)
        gx = col + self._gutter_width()
        x = self.scroll_offset.x
        if not (x <= gx < x + width - len(self.search_text)):
            x = max(0, gx - width // 3)
        self.scroll_to(x, y, animate=False)

    def action_search(self) -> None:
        self.post_message(self.SearchRequested())

    def action_next_match(self) -> None:
        self._step(1)

    def action_prev_match(self) -> None:
        self._step(-1)

    # ---------------------------------------------------------------- rendering

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        index, start = (
            (scroll_y + y, 0)
            if not self.wrap
            else (self._rows[scroll_y + y] if scroll_y + y < len(self._rows) else (len(self.lines), 0))
        )
        if index >= len(self.lines):
            return Strip.blank(width, base)
        line = self.lines[index]
        style = self.line_styles[index]
        line_style = base + style if style else base
        gw = self._gutter_width()
        number = "" if (style is not None and style.underline) or start else str(index + 1)
        gutter = [Segment(f"{number:>{gw - 3}} ", base + GUTTER), Segment("│ ", base + GUTTER)]
        if self.wrap:
            body = Strip(self._line_segments(index, line, line_style)).crop(start, start + self._wrap_width())
            return Strip([*gutter, *body]).extend_cell_length(width, base)
        strip = Strip([*gutter, *self._line_segments(index, line, line_style)]).crop(scroll_x, scroll_x + width)
        return strip.extend_cell_length(width, base)

    def _line_segments(self, index: int, line: str, style: Style) -> list[Segment]:
        q = self.search_text
        if not q or q.lower() not in line.lower():
            return [Segment(line, style)]
        low, ql = line.lower(), q.lower()
        current = self.matches[self.current] if 0 <= self.current < len(self.matches) else None
        out: list[Segment] = []
        pos = 0
        start = low.find(ql)
        while start != -1:
            if start > pos:
                out.append(Segment(line[pos:start], style))
            hl = CURRENT if current == (index, start) else MATCH
            out.append(Segment(line[start : start + len(q)], style + hl))
            pos = start + len(q)
            start = low.find(ql, pos)
        if pos < len(line):
            out.append(Segment(line[pos:], style))
        return out
