"""Save the sequence under a name; open (or delete) a saved one. Files live in ``sequences_dir()``."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from lrtui.api.errors import LrtuiError, error_text
from lrtui.api.sequence import Sequence
from lrtui.tui import saved_sequences
from lrtui.tui.styled import styled
from lrtui.tui.widgets.sequence.confirm import ConfirmScreen

DIALOG_CSS = """
SaveSequenceScreen, OpenSavedScreen { align: center middle; }
.saved-dialog {
    width: 90%; max-width: 100; height: auto; max-height: 90%;
    border: round $accent; background: $surface; padding: 0 1;
}
#saved-list { height: auto; max-height: 10; min-height: 3; border: none; }
#saved-preview { height: auto; max-height: 12; color: $text-muted; }
"""


class SaveSequenceScreen(ModalScreen[str | None]):
    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="save-cancel")]

    def __init__(self, seq: Sequence) -> None:
        super().__init__()
        self.seq = seq

    def compose(self) -> ComposeResult:
        with Vertical(classes="saved-dialog") as v:
            v.border_title = "Save the sequence"
            yield Input(placeholder="Name, e.g. triage-windows", id="save-name")
            yield Static(Text(""), markup=False, id="save-message")
            yield Static(Text("enter save · esc cancel", style="dim"), markup=False)

    def _message(self, text: str, style: str = "bold red") -> None:
        self.query_one("#save-message", Static).update(Text(text, style=style))

    @on(Input.Changed, "#save-name")
    def _changed(self, event: Input.Changed) -> None:
        if not event.value:
            self._message("")
            return
        try:
            name = saved_sequences.check_name(event.value)
        except LrtuiError as e:
            self._message(e.user_message())
            return
        self._message(f"{name} exists: saving replaces it." if saved_sequences.exists(name) else "", "yellow")

    @on(Input.Submitted, "#save-name")
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            name = saved_sequences.check_name(event.value)
        except LrtuiError as e:
            self._message(e.user_message())
            self.app.bell()
            return
        if saved_sequences.exists(name):

            def answer(yes: bool | None) -> None:
                if yes:
                    self._save(name)

            self.app.push_screen(ConfirmScreen("Replace?", f"A sequence named {name!r} exists. Replace it?"), answer)
            return
        self._save(name)

    def _save(self, name: str) -> None:
        try:
            saved_sequences.save(name, self.seq)
        except (LrtuiError, OSError) as e:
            self._message(f"Cannot save: {error_text(e)}")
            return
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)


class OpenSavedScreen(ModalScreen[Sequence | None]):
    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="open-cancel"),
        Binding("d,delete", "delete", "Delete", id="open-delete"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="saved-dialog") as v:
            v.border_title = "Open a saved sequence"
            yield OptionList(id="saved-list")
            yield Static(Text(""), markup=False, id="saved-preview")
            yield Static(Text("enter load · d delete · esc cancel", style="dim"), markup=False)

    def on_mount(self) -> None:
        self._reload()
        self.query_one("#saved-list").focus()

    def _reload(self) -> None:
        self.names = saved_sequences.list_saved()
        ol = self.query_one("#saved-list", OptionList)
        ol.clear_options()
        ol.add_options([Option(Text(n)) for n in self.names])
        if self.names:
            ol.highlighted = 0
        else:
            self.query_one("#saved-preview", Static).update(
                styled("No saved sequences yet: ctrl+s in the Sequence pane saves one.", "yellow")
            )

    def _current(self) -> str | None:
        i = self.query_one("#saved-list", OptionList).highlighted
        return self.names[i] if i is not None and i < len(self.names) else None

    @on(OptionList.OptionHighlighted, "#saved-list")
    def _preview(self) -> None:
        name = self._current()
        if name is None:
            return
        try:
            text = Text(saved_sequences.load(name).to_json(indent=2))
        except LrtuiError as e:
            text = styled(e.user_message(), "bold red")
        self.query_one("#saved-preview", Static).update(text)

    @on(OptionList.OptionSelected, "#saved-list")
    def _open(self) -> None:
        name = self._current()
        if name is None:
            return
        try:
            self.dismiss(saved_sequences.load(name))
        except LrtuiError as e:
            self.query_one("#saved-preview", Static).update(styled(e.user_message(), "bold red"))

    def action_delete(self) -> None:
        name = self._current()
        if name is None:
            return

        def answer(yes: bool | None) -> None:
            if yes:
                try:
                    saved_sequences.delete(name)
                except LrtuiError as e:
                    self.query_one("#saved-preview", Static).update(styled(e.user_message(), "bold red"))
                self._reload()

        self.app.push_screen(ConfirmScreen("Delete?", f"Delete the saved sequence {name!r}?"), answer)

    def action_cancel(self) -> None:
        self.dismiss(None)
