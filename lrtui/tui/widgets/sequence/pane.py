"""The Sequence pane: build PutFile / RunScript / GetFile commands, a comment, preview the body, run it.

Method calls come down from the app (``bind_runtime``, ``set_targets``, ``action_run``, ``load_sequence``,
``add_library_command``); ``SequencePane.Submitted`` goes up when jobs were created. Nothing typed is lost:
a refused edit keeps the text, a failed submit keeps the sequence.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from lrtui.api.enums import CommandType
from lrtui.api.errors import ValidationError
from lrtui.api.sequence import Command, Sequence, make_command
from lrtui.tui.messages import ShowError
from lrtui.tui.styled import styled
from lrtui.tui.widgets.sequence.body_preview import BodyPreview
from lrtui.tui.widgets.sequence.command_list import SequenceCommandList
from lrtui.tui.widgets.sequence.comment_input import CommentInput
from lrtui.tui.widgets.sequence.getfile_input import FAMILY_LABEL, GetFileScreen, check_families
from lrtui.tui.widgets.sequence.library_picker import LibraryLoader
from lrtui.tui.widgets.sequence.targets import script_mismatch, targets_text

if TYPE_CHECKING:
    from lrtui.api.models import LibraryFile, Machine
    from lrtui.engine.canary import CanaryPlan
    from lrtui.engine.engine import Engine
    from lrtui.runtime import Runtime

HINT = "p PutFile · s RunScript · g GetFile · e edit · d del · K/J move · ^r run"


def sorted_note(cmd: Command, next_cmd: Command) -> str:
    """Why an added command is not at the end of the list (the service's order rule), in words."""
    return (
        f"Added {cmd.type.value} before {next_cmd.type.value}: the service runs PutFile, then RunScript, then "
        "GetFile, so it went to the end of its group."
    )


class SequencePane(Vertical):
    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")
    BINDINGS = [
        Binding("p", "add_putfile", "PutFile", id="sequence-add-putfile", tooltip="Add a PutFile from the library"),
        Binding(
            "s", "add_runscript", "RunScript", id="sequence-add-runscript", tooltip="Add a RunScript from the library"
        ),
        Binding("g", "add_getfile", "GetFile", id="sequence-add-getfile", tooltip="Add a GetFile by typing a path"),
        Binding("c", "focus_comment", "Comment", id="sequence-comment", tooltip="Edit the required comment"),
        Binding("ctrl+s", "save", "Save", id="sequence-save", tooltip="Save the sequence under a name"),
        Binding("o", "open_saved", "Open", id="sequence-open", tooltip="Load a saved sequence"),
        Binding("h", "history", "Past", id="sequence-history", tooltip="Re-run a past action's sequence"),
        Binding(
            "m", "manage_library", "Library", id="sequence-library", tooltip="Upload to or delete from the library"
        ),
    ]

    class Submitted(Message):
        def __init__(self, job_ids: tuple[str, ...]) -> None:
            super().__init__()
            self.job_ids = job_ids

    def __init__(self, *, comment_prefix: str = "", id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.runtime: Runtime | None = None
        self._default_prefix = comment_prefix  #: the profile's, until the runtime's settings are bound
        self._targets: tuple[Machine, ...] = ()
        self._refusal: str | None = None
        self._sorted_note: tuple[tuple[Command, ...], str] | None = None  #: (the list it is about, the words)
        self._submitting = False
        self._library: list[LibraryFile] = []

    def compose(self) -> ComposeResult:
        yield Static(targets_text(()), markup=False, id="sequence-targets")
        cl = SequenceCommandList(id="sequence-commands")
        cl.border_title = "Commands"
        yield cl
        yield Static(Text(HINT, style="dim"), markup=False, id="sequence-status")
        yield CommentInput(self._comment_prefix(), id="sequence-comment")
        yield BodyPreview(id="sequence-body")

    def on_mount(self) -> None:
        self._refresh()

    # ---------------------------------------------------------------- contract: method calls from the app

    def bind_runtime(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.comment_input.prefill(self._comment_prefix())
        self._refresh()

    def set_targets(self, machines: tuple[Machine, ...] | list[Machine]) -> None:
        self._targets = tuple(machines)
        self.query_one("#sequence-targets", Static).update(targets_text(self._targets))
        self._refresh()

    def load_sequence(self, seq: Sequence) -> None:
        self.command_list.set_sequence(Sequence(seq.commands), highlight=0)
        if seq.comment.strip():
            self.comment_input.value = seq.comment
        self._refusal = None
        self._refresh()

    def add_library_command(self, file: LibraryFile, type: CommandType | str) -> None:
        kind = CommandType(type)
        if kind is CommandType.RUN_SCRIPT and file.has_parameters:
            from lrtui.tui.widgets.sequence.library_picker import ArgsScreen

            def got(args: str | None) -> None:
                if args is not None:
                    self._add(kind, file.file_name, args or None)

            self.app.push_screen(ArgsScreen(file.file_name, file.parameters_description or ""), got)
            return
        self._add(kind, file.file_name)

    def focus_default(self) -> None:
        """What the app focuses when this pane is shown: the command list."""
        self.command_list.focus()

    # ---------------------------------------------------------------- state

    @property
    def command_list(self) -> SequenceCommandList:
        return self.query_one(SequenceCommandList)

    @property
    def comment_input(self) -> CommentInput:
        return self.query_one(CommentInput)

    @property
    def targets(self) -> tuple[Machine, ...]:
        return self._targets

    @property
    def sequence(self) -> Sequence:
        """The sequence as it would be sent now (commands and comment)."""
        return self.command_list.sequence.with_comment(self.comment_input.value)

    def families(self) -> set[str]:
        return {m.os_family for m in self._targets}

    def problems(self) -> list[str]:
        seq = self.sequence
        fams: list[str | None] = [*check_families(self.families())] or [None]
        out: list[str] = []
        for fam in fams:
            for p in seq.problems(fam):
                label = f"{FAMILY_LABEL[fam]}: " if fam and len(fams) > 1 and p.startswith("Command") else ""
                if label + p not in out:
                    out.append(label + p)
        return out

    def _comment_prefix(self) -> str:
        if self.runtime is None:
            return self._default_prefix
        return self.runtime.settings.profile.comment_prefix

    def _refresh(self) -> None:
        if not self.is_mounted:
            return
        self.query_one(BodyPreview).show(self.sequence)
        status = self.query_one("#sequence-status", Static)
        if self._refusal:
            status.update(styled(self._refusal, "bold red"))
            return
        if self._sorted_note is not None and self._sorted_note[0] == self.command_list.commands:
            status.update(styled(self._sorted_note[1], "yellow"))
            return
        problems = [
            p for p in self.problems() if not (p.startswith("The sequence is empty") and not self.command_list.commands)
        ]
        if not self.command_list.commands:
            status.update(Text(HINT, style="dim"))
        elif problems:
            status.update(
                Text(problems[0] + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""), style="yellow")
            )
        elif self._script_mismatch():
            status.update(styled(self._script_mismatch() or "", "yellow"))
        elif not self._targets:
            status.update(Text("Ready to run once machines are marked (1 Machines, space).", style="dim"))
        else:
            n = len(self._targets)
            status.update(styled(f"Ready: ctrl+r runs it on {n} machine{'s' if n != 1 else ''}.", "green"))

    def _script_mismatch(self) -> str | None:
        return script_mismatch(self.command_list.commands, self.families())

    def refuse(self, reason: str) -> None:
        """Show why something was refused (until the next change) and ring the bell."""
        self._refusal = reason
        self._refresh()
        self.app.bell()

    def _add(self, kind: CommandType, value: str, args: str | None = None) -> None:
        try:
            cmd = make_command(kind, value, args)
        except ValidationError as e:
            self.refuse(e.user_message())
            return
        self._append(cmd)

    def _append(self, cmd: Command) -> None:
        """Add ``cmd`` where the order rule puts it; say so when that is not the end of the list."""
        before = self.command_list.commands
        self.command_list.add(cmd)
        self.command_list.focus()
        after = self.command_list.commands
        at = next((i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b), len(before))
        if at < len(after) - 1:  # not at the end: the order rule put it before commands of a later group
            self._sorted_note = (after, sorted_note(cmd, after[at + 1]))

    # ---------------------------------------------------------------- messages from the children

    @on(SequenceCommandList.Changed)
    def _commands_changed(self) -> None:
        self._refusal = None
        self._refresh()

    @on(SequenceCommandList.Refused)
    def _command_refused(self, event: SequenceCommandList.Refused) -> None:
        self._refusal = event.reason
        self._refresh()

    @on(Input.Changed, "#sequence-comment")
    def _comment_changed(self) -> None:
        self._refusal = None
        self._refresh()

    @on(SequenceCommandList.EditRequested)
    def _edit(self, event: SequenceCommandList.EditRequested) -> None:
        index, cmd = event.index, event.command
        if cmd.type is CommandType.PUT_FILE:
            self.refuse("A PutFile has nothing to edit: remove it (d) and add another file (p).")
        elif cmd.type is CommandType.RUN_SCRIPT:
            from lrtui.tui.widgets.sequence.library_picker import ArgsScreen

            def got(args: str | None) -> None:
                if args is not None:
                    self.command_list.replace(index, Command(cmd.type, cmd.value, args or None))

            self.app.push_screen(ArgsScreen(cmd.value, self._param_hint(cmd.value), cmd.args or ""), got)
        else:

            def got_path(new: Command | None) -> None:
                if new is not None:
                    self.command_list.replace(index, new)

            self.app.push_screen(GetFileScreen(self.families(), cmd.value), got_path)

    def _param_hint(self, name: str) -> str:
        for f in self._library:
            if f.file_name == name:
                return f.parameters_description or ""
        return ""

    # ---------------------------------------------------------------- key actions

    def _library_loader(self) -> LibraryLoader | None:
        if self.runtime is None:
            return None
        engine = self.runtime.engine

        async def load(refresh: bool) -> list[LibraryFile]:
            self._library = list(await engine.library(refresh=refresh))
            return self._library

        return load

    def _pick_library(self, kind: CommandType) -> None:
        load = self._library_loader()
        if load is None:
            self.refuse("Not connected yet: the library opens once the tenant is connected.")
            return
        from lrtui.tui.widgets.sequence.library_picker import LibraryPicker

        def picked(cmd: Command | None) -> None:
            if cmd is not None:
                self._append(cmd)

        self.app.push_screen(LibraryPicker(load, kind), picked)

    def action_add_putfile(self) -> None:
        self._pick_library(CommandType.PUT_FILE)

    def action_add_runscript(self) -> None:
        self._pick_library(CommandType.RUN_SCRIPT)

    def action_add_getfile(self) -> None:
        def got(cmd: Command | None) -> None:
            if cmd is not None:
                self._append(cmd)

        self.app.push_screen(GetFileScreen(self.families()), got)

    def action_focus_comment(self) -> None:
        self.comment_input.focus()

    def action_save(self) -> None:
        if not self.command_list.commands:
            self.refuse("Nothing to save: add a command first.")
            return
        from lrtui.tui.widgets.sequence.saved_dialogs import SaveSequenceScreen

        def saved(name: str | None) -> None:
            if name:
                self.app.notify("Saved as " + name + ".", markup=False)  # the name is typed text: never markup

        self.app.push_screen(SaveSequenceScreen(self.sequence), saved)

    def action_open_saved(self) -> None:
        from lrtui.tui.widgets.sequence.saved_dialogs import OpenSavedScreen

        self.app.push_screen(OpenSavedScreen(), self._load_chosen)

    def _load_chosen(self, seq: Sequence | None) -> None:
        if seq is not None:
            self.load_sequence(seq)

    def action_history(self) -> None:
        if self.runtime is None:
            self.refuse("Not connected yet: past actions show once the tenant is connected.")
            return
        from lrtui.tui.widgets.sequence.history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.runtime), self._load_chosen)

    def action_manage_library(self) -> None:
        if self.runtime is None:
            self.refuse("Not connected yet: the library opens once the tenant is connected.")
            return
        from lrtui.tui.widgets.sequence.library_manage import LibraryManageScreen

        self.app.push_screen(LibraryManageScreen(self.runtime))

    def action_run(self) -> None:
        """Confirm, then submit the sequence to the marked machines (also the app's ctrl+r)."""
        if self.app.screen is not self.screen:
            self.app.bell()  # a dialog is open (perhaps the confirmation itself): finish it first
            return
        if self._submitting:
            self.refuse("A submission is already in progress.")
            return
        if self.runtime is None:
            self.refuse("Not connected yet: wait for the tenant to connect, then run.")
            return
        if not self._targets:
            self.refuse("No targets: mark machines in Machines (1, then space), then run.")
            return
        if not self.command_list.commands:
            self.refuse("The sequence is empty: add at least one command (p, s or g).")
            return
        from lrtui.tui.screens.run_confirm import RunConfirmScreen

        seq, machines, engine = self.sequence, self._targets, self.runtime.engine
        screen = RunConfirmScreen(
            seq,
            machines,
            engine,
            threshold=self.runtime.settings.ui.bulk_confirm_threshold,
            problems=self.problems(),
            comment_prefix=self._comment_prefix(),
        )

        def chosen(machines: list[Machine] | None) -> None:
            if machines:
                self._submit(engine, seq, tuple(machines), screen.plan)

        self.app.push_screen(screen, chosen)

    @work(exclusive=True, group="sequence-submit", exit_on_error=False)
    async def _submit(
        self, engine: Engine, seq: Sequence, machines: tuple[Machine, ...], plan: CanaryPlan | None = None
    ) -> None:
        from lrtui.engine.jobs import Priority

        self._submitting = True
        try:
            priority = Priority.INTERACTIVE if len(machines) == 1 else Priority.BULK
            jobs = await engine.submit(seq, list(machines), priority=priority, canary=plan)
        except Exception as e:
            self.post_message(ShowError(e, title="The sequence was not submitted"))
            return
        finally:
            self._submitting = False
        self.post_message(self.Submitted(tuple(j.id for j in jobs)))
