"""Live preview of the exact request body: ``Sequence.to_json(indent=2)``, shown as plain text."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from lrtui.api.sequence import Sequence
from lrtui.tui.safe_text import plain


class BodyPreview(VerticalScroll, can_focus=True):
    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Body (JSON sent to runliveresponse)"
        self._json = ""

    def compose(self) -> ComposeResult:
        yield Static(Text(""), markup=False, id="body-json")

    @property
    def text(self) -> str:
        return self._json

    def show(self, seq: Sequence) -> None:
        js = seq.to_json(indent=2)
        if js == self._json:
            return
        self._json = js
        text = plain(js)
        text.no_wrap = False
        text.highlight_regex(r'"(Commands|Comment|type|params|key|value)"(?=:)', "bold")
        self.query_one("#body-json", Static).update(text)
