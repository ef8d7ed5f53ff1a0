"""Diff: one machine's output against the majority's, unified, coloured and marked by sign (``+`` this machine
only, ``-`` the majority only), every line cleaned (device text is untrusted)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog

from lrtui.tui.safe_text import plain

_STYLES = {"+": "green", "-": "red", "@": "cyan"}


class DiffView(RichLog):
    DEFAULT_CSS = """
    DiffView { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False, highlight=False, wrap=False, max_lines=50_000)
        self.machine: str | None = None
        self.diff: list[str] = []

    def show_text(self, text: Text) -> None:
        self.machine, self.diff = None, []
        self.clear()
        self.write(text)

    def show(self, machine: str, majority: str, diff: list[str]) -> None:
        self.machine, self.diff = machine, diff
        self.clear()
        if not diff:
            t = plain(machine, "bold", multiline=False)
            t.append(" prints the same as the majority (")
            t.append_text(plain(majority, multiline=False))
            t.append(") after masking.")
            self.write(t)
            return
        for line in diff:
            style = "bold" if line.startswith(("---", "+++")) else _STYLES.get(line[:1], "")
            self.write(plain(line, style, multiline=False))
