"""The always-visible header: app name, profile, tenant, DEMO badge and the connection state."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from lrtui.tui.safe_text import clean_line


class AppHeader(Horizontal):
    DEFAULT_CSS = """
    AppHeader { height: 1; background: $panel; color: $foreground; }
    AppHeader #header-title { width: auto; padding: 0 1; background: $primary; color: $text; text-style: bold; }
    AppHeader #header-profile { width: 1fr; padding: 0 1; }
    AppHeader #header-demo { width: auto; padding: 0 1; background: $warning; color: $background;
                             text-style: bold; display: none; }
    AppHeader.-demo #header-demo { display: block; }
    AppHeader #header-state { width: auto; padding: 0 1; color: $text-muted; }
    AppHeader #header-state.-error { color: $error; text-style: bold; }
    """

    def __init__(self, profile: str, tenant: str, *, demo: bool) -> None:
        super().__init__(id="header", classes="-demo" if demo else "")
        self._profile = profile
        self._tenant = tenant

    def compose(self) -> ComposeResult:
        yield Static("lrtui", id="header-title", markup=False)
        yield Static(self._profile_text(), id="header-profile", markup=False)
        yield Static("DEMO", id="header-demo", markup=False)
        yield Static("connecting…", id="header-state", markup=False)

    def _profile_text(self) -> Text:
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append("profile ", style="dim")
        t.append(clean_line(self._profile), style="bold")
        t.append("  tenant ", style="dim")
        t.append(clean_line(self._tenant))
        return t

    def set_identity(self, profile: str, tenant: str, *, demo: bool) -> None:
        self._profile, self._tenant = profile, tenant
        self.set_class(demo, "-demo")
        self.query_one("#header-profile", Static).update(self._profile_text())

    def set_state(self, text: str, *, error: bool = False) -> None:
        state = self.query_one("#header-state", Static)
        state.set_class(error, "-error")
        state.update(Text(clean_line(text)))
