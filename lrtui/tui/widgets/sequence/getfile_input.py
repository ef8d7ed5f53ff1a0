"""Type a GetFile path plainly; it is checked as you type against every OS family among the targets.

``C:\\Temp\\x.zip`` is typed with single backslashes: JSON escapes them in the body, nothing here does.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from lrtui.api.enums import CommandType
from lrtui.api.errors import ValidationError
from lrtui.api.paths import path_style
from lrtui.api.sequence import Command, make_command
from lrtui.tui.glyphs import current
from lrtui.tui.styled import styled

FAMILY_LABEL = {"windows": "Windows", "linux": "Linux", "macos": "macOS"}


def check_families(families: set[str]) -> list[str]:
    """The OS families a path is checked against (unknown families are skipped: nothing to check)."""
    return sorted(f for f in families if f in FAMILY_LABEL)


def getfile_problems(path: str, families: set[str]) -> list[str]:
    """One message per OS family that refuses the path; with no known family, judged by the path's shape."""
    fams = check_families(families) or ["linux" if path_style(path) == "posix" else "windows"]
    out: list[str] = []
    for fam in fams:
        try:
            make_command(CommandType.GET_FILE, path, os_family=fam)
        except ValidationError as e:
            prefix = f"{FAMILY_LABEL[fam]}: " if len(fams) > 1 else ""
            out.append(prefix + e.user_message())
    return out


class GetFileInput(Input):
    """The path field: plain text, no escaping."""


class GetFileScreen(ModalScreen[Command | None]):
    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="getfile-cancel")]

    def __init__(self, families: set[str], initial: str = "") -> None:
        super().__init__()
        self._families = set(families)
        self._initial = initial

    def compose(self) -> ComposeResult:
        fams = check_families(self._families)
        against = ", ".join(FAMILY_LABEL[f] for f in fams) if fams else "no marked targets yet (judged by its shape)"
        with Vertical(id="getfile-dialog") as v:
            v.border_title = "GetFile: collect a file from the device"
            yield Static(Text(f"Full path of the file, typed plainly. Checked against: {against}."), markup=False)
            yield GetFileInput(
                value=self._initial,
                select_on_focus=False,
                placeholder=r"C:\Windows\Temp\triage.zip  or  /var/log/syslog",
                id="getfile-path",
            )
            yield Static(Text(""), markup=False, id="getfile-message")
            yield Static(Text("enter add · esc cancel", style="dim"), markup=False)

    def on_mount(self) -> None:
        self._show(self._initial)

    def _show(self, value: str) -> list[str]:
        problems = getfile_problems(value, self._families) if value else []
        msg = self.query_one("#getfile-message", Static)
        if problems:
            msg.update(styled("\n".join(problems), "bold red"))
        elif value:
            msg.update(styled(f"{current().ok} valid path", "green"))
        else:
            msg.update(Text(""))
        return problems

    @on(Input.Changed, "#getfile-path")
    def _changed(self, event: Input.Changed) -> None:
        self._show(event.value)

    @on(Input.Submitted, "#getfile-path")
    def _submitted(self, event: Input.Submitted) -> None:
        value = event.value
        if not value:
            self.query_one("#getfile-message", Static).update(styled("Type the full path of a file.", "bold red"))
            self.app.bell()
            return
        if self._show(value):
            self.app.bell()  # refused: the text stays in the field
            return
        self.dismiss(Command(CommandType.GET_FILE, value))

    def action_cancel(self) -> None:
        self.dismiss(None)
