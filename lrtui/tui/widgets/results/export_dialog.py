"""Ask for the case id to export (prefilled from the comment's ``case=...`` or the batch id)."""

from __future__ import annotations

import re

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

_CASE = re.compile(r"case[=:]\s*([A-Za-z0-9._-]+)", re.IGNORECASE)


def guess_case(comment: str, batch_id: str) -> str:
    m = _CASE.search(comment or "")
    return m.group(1) if m else batch_id


class ExportScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen #export-dialog { width: 90%; max-width: 90; height: auto; border: round $accent; background: $surface; padding: 0 1; }
    ExportScreen Input { height: 3; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="export-cancel")]

    def __init__(self, case: str) -> None:
        super().__init__()
        self.case = case

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog") as v:
            v.border_title = "Export the case bundle"
            yield Static(
                Text(
                    "Every job whose comment names this case (or whose batch id it is): files, manifest, journal chain."
                ),
                markup=False,
            )
            yield Input(value=self.case, placeholder="Case id, e.g. IR-1234", id="export-case")
            yield Static(Text("enter export · esc cancel", style="dim"), markup=False)

    @on(Input.Submitted, "#export-case")
    def _go(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())
        else:
            self.app.bell()

    def action_cancel(self) -> None:
        self.dismiss(None)
