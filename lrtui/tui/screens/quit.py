"""Quitting: what happens to running sessions, and a confirmation when some are still running."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


def demo_kept(journal: Path | None, evidence: Path | None) -> str:
    """What a demo session leaves behind, and where."""
    parts = [f"its journal {journal}" if journal else "", f"its evidence in {evidence}" if evidence else ""]
    kept = " and ".join(p for p in parts if p)
    return f"The demo keeps {kept}." if kept else ""


def quit_notice(unfinished: int, *, demo: bool, kept: str = "") -> str | None:
    """The line printed after the app exits (None when there is nothing to say)."""
    if demo:
        ended = f"lrtui: {unfinished} demo job(s) were still running; the demo tenant ends with the app."
        return " ".join(x for x in ((ended if unfinished else "lrtui:"), kept) if x) if (unfinished or kept) else None
    if unfinished:
        return (
            f"lrtui: {unfinished} job(s) still running. Sessions already submitted continue on the service; "
            "lrtui picks them up from the journal next time you start it."
        )
    return "lrtui: running sessions (if any) continue on the service and are picked up next time."


class QuitScreen(ModalScreen[bool]):
    """Asked only when jobs are unfinished."""

    DEFAULT_CSS = """
    QuitScreen { align: center middle; }
    QuitScreen > Vertical { width: 64; max-width: 95%; height: auto; border: thick $warning;
                            background: $surface; padding: 1 2; }
    QuitScreen #quit-keys { margin-top: 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("y,enter", "answer(True)", "Quit", id="quit-confirm"),
        Binding("n,escape", "answer(False)", "Stay", id="quit-cancel"),
    ]

    def __init__(self, unfinished: int, *, demo: bool, kept: str = "") -> None:
        super().__init__()
        self.unfinished = unfinished
        self.demo = demo
        self.kept = kept  #: ``demo_kept(...)``: where the demo's journal and evidence stay

    def compose(self) -> ComposeResult:
        body = Text()
        body.append(f"{self.unfinished} job(s) are not finished.\n\n", style="bold")
        if self.demo:
            body.append("This is the demo tenant: its sessions end with the app.")
            if self.kept:
                body.append("\n\n" + self.kept)
        else:
            body.append(
                "Sessions already submitted keep running on the service. Jobs still queued here wait in the "
                "journal: lrtui picks all of them up the next time you start it."
            )
        with Vertical():
            yield Static(body, markup=False)
            yield Static("y / enter  quit      n / escape  stay", id="quit-keys", markup=False)

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
