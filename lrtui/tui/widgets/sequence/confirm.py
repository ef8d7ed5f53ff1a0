"""A small yes/no question (overwrite, delete, cancel). ``y``/``enter`` yes, ``n``/``esc`` no."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from lrtui.tui.safe_text import plain


class ConfirmScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen #confirm-dialog {
        width: 80%; max-width: 80; height: auto;
        border: round $warning; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm-yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm-no"),
    ]

    def __init__(self, title: str, question: str | Text) -> None:
        super().__init__()
        self._title = title
        self._question = question if isinstance(question, Text) else plain(question)

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog") as v:
            v.border_title = self._title
            yield Static(self._question, markup=False)
            yield Static(Text("y yes · n no", style="dim"), markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
