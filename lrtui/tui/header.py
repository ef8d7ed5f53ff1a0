"""The two top lines: the header (app, profile, tenant, DEMO badge, connection state) and the pane strip.

Each is one light widget that renders a single line (cheaper at startup than a row of Statics or ``Tabs``).
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.style import Style
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widget import Widget

from lrtui.api.text import clean_line
from lrtui.tui.glyphs import current


class AppHeader(Widget):
    """``lrtui  profile NAME  tenant TENANT ....  DEMO  state``: always visible."""

    DEFAULT_CSS = """
    AppHeader { height: 1; background: $panel; color: $foreground; }
    AppHeader > .app-header--title { background: $primary; color: $text; text-style: bold; }
    AppHeader > .app-header--label { color: $text-muted; }
    AppHeader > .app-header--value { text-style: bold; }
    AppHeader > .app-header--demo { color: $warning; background: $background; text-style: bold reverse; }
    AppHeader > .app-header--state { color: $text-muted; }
    AppHeader > .app-header--error { color: $error; text-style: bold; }
    """
    COMPONENT_CLASSES = {
        "app-header--title", "app-header--label", "app-header--value", "app-header--demo", "app-header--state",
        "app-header--error",
    }  # fmt: skip

    def __init__(self, profile: str, tenant: str, *, demo: bool) -> None:
        super().__init__(id="header")
        self.profile = clean_line(profile)
        self.tenant = clean_line(tenant)
        self.demo = demo
        self.state = f"connecting{current().ellipsis}"
        self.state_is_error = False

    def set_identity(self, profile: str, tenant: str, *, demo: bool) -> None:
        self.profile, self.tenant, self.demo = clean_line(profile), clean_line(tenant), demo
        self.refresh()

    def set_connecting(self) -> None:
        self.set_state(f"connecting{current().ellipsis}")

    def set_state(self, text: str, *, error: bool = False) -> None:
        self.state, self.state_is_error = clean_line(text), error
        self.refresh()

    def render(self) -> Text:
        s = self.get_component_rich_style
        left = Text(no_wrap=True, overflow="ellipsis")
        left.append(" lrtui ", s("app-header--title"))
        left.append(" profile ", s("app-header--label"))
        left.append(self.profile, s("app-header--value"))
        left.append("  tenant ", s("app-header--label"))
        left.append(self.tenant)
        right = Text(no_wrap=True)
        if self.demo:
            right.append(" DEMO ", s("app-header--demo"))
            right.append(" ")
        right.append(self.state + " ", s("app-header--error" if self.state_is_error else "app-header--state"))
        width = self.size.width or 80
        room = max(0, width - right.cell_len)
        left.truncate(room, overflow="ellipsis")
        return Text.assemble(left, " " * max(0, room - left.cell_len), right)


class PaneStrip(Widget):
    """``1 Machines  2 Sequence ...``: the active pane highlighted; a click switches pane."""

    DEFAULT_CSS = """
    PaneStrip { height: 1; background: $panel; }
    PaneStrip > .pane-strip--active { background: $primary; color: $text; text-style: bold; }
    PaneStrip > .pane-strip--inactive { color: $text-muted; }
    PaneStrip > .pane-strip--key { text-style: bold; }
    """
    COMPONENT_CLASSES = {"pane-strip--active", "pane-strip--inactive", "pane-strip--key"}

    class Selected(Message):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self, panes: Iterable[tuple[str, str]], *, active: str) -> None:
        super().__init__(id="pane-tabs")
        self.panes = list(panes)  #: (name, label) with the label's first word the key
        self.active = active
        self._spans: list[tuple[int, int, str]] = []

    def set_active(self, name: str) -> None:
        if name != self.active:
            self.active = name
            self.refresh()

    def render(self) -> Text:
        out = Text(no_wrap=True, overflow="ellipsis")
        self._spans = []
        g = current()
        for name, label in self.panes:
            style: Style = self.get_component_rich_style(
                "pane-strip--active" if name == self.active else "pane-strip--inactive"
            )
            key, _, title = label.partition(" ")
            start = out.cell_len
            active = name == self.active
            out.append(g.tab_open if active else " ", style)
            out.append(key, style + self.get_component_rich_style("pane-strip--key", partial=True))
            out.append(f" {title}{g.tab_close if active else ' '}", style)
            self._spans.append((start, out.cell_len, name))
        return out

    def on_click(self, event: events.Click) -> None:
        for start, end, name in self._spans:
            if start <= event.x < end:
                self.post_message(self.Selected(name))
                return

    @property
    def plain(self) -> str:
        return " ".join(f"[{label}]" if name == self.active else label for name, label in self.panes)
