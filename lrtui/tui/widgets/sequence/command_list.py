"""The list of commands in the sequence: always in an order the service accepts.

The list owns the commands (a ``Sequence`` without its comment); every edit goes through ``Sequence``'s own
rules (``add``, ``move``, ``remove``, ``replace_at``) and is announced with ``SequenceCommandList.Changed``. A move the
rules refuse is announced with ``SequenceCommandList.Refused`` carrying the rule's own reason; nothing changes.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from lrtui.api.enums import CommandType
from lrtui.api.sequence import Command, Sequence, SequenceError
from lrtui.tui.safe_text import append_clean

TYPE_STYLE = {
    CommandType.PUT_FILE: "bold cyan",
    CommandType.RUN_SCRIPT: "bold magenta",
    CommandType.GET_FILE: "bold green",
}


def command_prompt(index: int, cmd: Command) -> Text:
    """One row: number, type, value, args, all plain text (values come from the analyst and the library)."""
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append(f"{index + 1:>2} ", style="dim")
    t.append(f"{cmd.type.value:<9} ", style=TYPE_STYLE.get(cmd.type, "bold"))
    append_clean(t, cmd.value)
    if cmd.args:
        t.append("  ")
        append_clean(t, cmd.args, "italic")
    return t


class SequenceCommandList(OptionList):
    """The sequence's commands. (Not "CommandList": Textual's palette styles every widget of that type name.)"""

    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")
    BINDINGS = [
        Binding(
            "alt+up,K",
            "move(-1)",
            "Move up",
            id="sequence-move-up",
            show=False,
            tooltip="Move the command up within its group",
        ),
        Binding(
            "alt+down,J",
            "move(1)",
            "Move down",
            id="sequence-move-down",
            show=False,
            tooltip="Move the command down within its group",
        ),
        Binding("d,delete", "remove", "Remove", id="sequence-remove", tooltip="Remove the highlighted command"),
        Binding("e", "edit", "Edit", id="sequence-edit", tooltip="Edit the script arguments or the path"),
    ]

    class Changed(Message):
        def __init__(self, command_list: SequenceCommandList, sequence: Sequence) -> None:
            super().__init__()
            self.command_list = command_list
            self.sequence = sequence

    class Refused(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    class EditRequested(Message):
        def __init__(self, index: int, command: Command) -> None:
            super().__init__()
            self.index = index
            self.command = command

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._sequence = Sequence()
        self.border_subtitle = "empty: p, s or g adds a command"

    @property
    def sequence(self) -> Sequence:
        return self._sequence

    @property
    def commands(self) -> tuple[Command, ...]:
        return self._sequence.commands

    # ---------------------------------------------------------------- edits (method calls from the pane)

    def set_sequence(self, seq: Sequence, *, highlight: int | None = None) -> None:
        self._sequence = seq
        self._render_rows(highlight)
        self.post_message(self.Changed(self, seq))

    def add(self, cmd: Command) -> None:
        seq = self._sequence.add(cmd)
        self.set_sequence(seq, highlight=_index_of_added(self._sequence.commands, seq.commands))

    def replace(self, index: int, cmd: Command) -> None:
        try:
            seq = self._sequence.replace_at(index, cmd)
        except SequenceError as e:
            self.post_message(self.Refused(e.user_message()))
            return
        self.set_sequence(seq, highlight=index)

    # ---------------------------------------------------------------- key actions

    def action_move(self, delta: int) -> None:
        index = self.highlighted
        if index is None:
            return
        try:
            seq = self._sequence.move(index, delta)
        except SequenceError as e:
            self.app.bell()
            self.post_message(self.Refused(e.user_message()))
            return
        self.set_sequence(seq, highlight=index + delta)

    def action_remove(self) -> None:
        index = self.highlighted
        if index is None:
            return
        seq = self._sequence.remove(index)
        self.set_sequence(seq, highlight=min(index, len(seq.commands) - 1) if seq.commands else None)

    def action_edit(self) -> None:
        index = self.highlighted
        if index is not None and index < len(self.commands):
            self.post_message(self.EditRequested(index, self.commands[index]))

    def _render_rows(self, highlight: int | None) -> None:
        self.clear_options()
        self.add_options([Option(command_prompt(i, c), id=f"cmd-{i}") for i, c in enumerate(self.commands)])
        if self.commands:
            self.highlighted = max(0, min(highlight if highlight is not None else 0, len(self.commands) - 1))
        n = len(self.commands)
        self.border_subtitle = f"{n} command{'s' if n != 1 else ''}" if n else "empty: p, s or g adds a command"


def _index_of_added(before: tuple[Command, ...], after: tuple[Command, ...]) -> int:
    """The position where ``Sequence.add`` put the new command."""
    for i, c in enumerate(before):
        if after[i] is not c:
            return i
    return len(before)
