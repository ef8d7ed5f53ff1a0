"""Pick a library file for PutFile or RunScript; for a script with parameters, ask for its Args.

The filter matches every word typed against the name, description, parameter hint and sha256. Args are
checked live by ``make_command``; a refused value stays in the field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from lrtui.api.enums import CommandType
from lrtui.api.errors import ValidationError, error_text
from lrtui.api.sequence import Command, make_command
from lrtui.api.text import clean_report
from lrtui.tui.glyphs import current
from lrtui.tui.safe_text import NOTE_STYLE, append_clean, note
from lrtui.tui.styled import styled

if TYPE_CHECKING:
    from lrtui.api.models import LibraryFile

LibraryLoader = Callable[[bool], Awaitable["list[LibraryFile]"]]
CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")


def library_matches(f: LibraryFile, query: str) -> bool:
    hay = " ".join(x or "" for x in (f.file_name, f.description, f.parameters_description, f.sha256)).lower()
    return all(word in hay for word in query.lower().split())


def library_prompt(f: LibraryFile) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")
    append_clean(t, f.file_name, "bold")
    if f.has_parameters:
        t.append("  takes parameters", style="italic magenta")
    t.append("  sha256 ", style="dim")
    append_clean(t, (f.sha256 or "?")[:12], "dim")
    t.append("\n  ")
    desc, removed = clean_report(" ".join((f.description or "").split()), multiline=False)
    if len(desc) > 64:
        desc = desc[: 64 - len(current().ellipsis)] + current().ellipsis
    t.append(desc or "(no description)", style="" if desc else "dim")
    if removed:
        t.append(f" {note(removed)}", style=NOTE_STYLE)
    return t


def library_detail(f: LibraryFile) -> Text:
    t = Text()
    append_clean(t, f.file_name, "bold")
    t.append("  by ", style="dim")
    append_clean(t, f.created_by or "?", "dim")
    t.append("\n")
    if f.has_parameters:
        t.append("Parameters: ", style="bold")
        append_clean(t, f.parameters_description or "(no hint given)", multiline=True)
        t.append("\n")
    t.append("sha256 ", style="dim")
    append_clean(t, f.sha256 or "unknown")
    return t


class LibraryPicker(ModalScreen[Command | None]):
    DEFAULT_CSS = CSS
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="library-cancel"),
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("ctrl+t", "switch_type", "PutFile/RunScript", id="library-switch-type"),
        Binding("f5", "refresh_library", "Refresh", id="library-refresh"),
    ]

    def __init__(self, load: LibraryLoader, type_: CommandType = CommandType.RUN_SCRIPT) -> None:
        super().__init__()
        self._load = load
        self._type = CommandType(type_)
        self._files: list[LibraryFile] = []
        self._shown: list[LibraryFile] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="library-dialog"):
            yield Input(placeholder="Filter: name, description, parameters, sha256", id="library-filter")
            yield OptionList(id="library-list")
            yield Static(Text("Loading the library...", style="dim"), markup=False, id="library-detail")
            yield Static(
                Text("enter pick · ctrl+t PutFile/RunScript · F5 refresh · esc cancel", style="dim"), markup=False
            )

    def on_mount(self) -> None:
        self._title()
        self.query_one("#library-list", OptionList).can_focus = False
        self._fetch(False)

    def _title(self) -> None:
        what = "copy it to the device" if self._type is CommandType.PUT_FILE else "run it on the device"
        self.query_one("#library-dialog").border_title = f"Add {self._type.value}: pick a library file to {what}"

    @work(exclusive=True, group="library-load", exit_on_error=False)
    async def _fetch(self, refresh: bool) -> None:
        detail = self.query_one("#library-detail", Static)
        try:
            self._files = sorted(await self._load(refresh), key=lambda f: f.file_name.lower())
        except Exception as e:
            detail.update(styled(f"Cannot read the library: {error_text(e)}", "bold red"))
            return
        self._apply_filter(self.query_one("#library-filter", Input).value)

    def _apply_filter(self, query: str) -> None:
        ol = self.query_one("#library-list", OptionList)
        q = query.strip().lower()
        shown = [f for f in self._files if library_matches(f, query)]
        # names that start with the query first, then names that contain it, then other fields
        self._shown = sorted(shown, key=lambda f: (not f.file_name.lower().startswith(q), q not in f.file_name.lower()))
        ol.clear_options()
        ol.add_options([Option(library_prompt(f)) for f in self._shown])
        if self._shown:
            ol.highlighted = 0
        self._show_detail()

    def _show_detail(self) -> None:
        detail = self.query_one("#library-detail", Static)
        f = self._highlighted()
        if f is not None:
            detail.update(library_detail(f))
        elif self._files:
            detail.update(styled(f"Nothing matches; {len(self._files)} files in the library.", "yellow"))
        else:
            detail.update(styled("The library is empty: upload a file with m (manage library).", "yellow"))

    def _highlighted(self) -> LibraryFile | None:
        i = self.query_one("#library-list", OptionList).highlighted
        return self._shown[i] if i is not None and i < len(self._shown) else None

    @on(Input.Changed, "#library-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._apply_filter(event.value)

    @on(OptionList.OptionHighlighted, "#library-list")
    def _highlight_changed(self) -> None:
        self._show_detail()

    @on(Input.Submitted, "#library-filter")
    @on(OptionList.OptionSelected, "#library-list")
    def _picked(self) -> None:
        f = self._highlighted()
        if f is None:
            self.app.bell()
            return
        if self._type is CommandType.RUN_SCRIPT and f.has_parameters:

            def got_args(args: str | None) -> None:
                if args is not None:
                    self.dismiss(make_command(CommandType.RUN_SCRIPT, f.file_name, args or None))

            self.app.push_screen(ArgsScreen(f.file_name, f.parameters_description or ""), got_args)
            return
        try:
            self.dismiss(make_command(self._type, f.file_name))
        except ValidationError as e:
            self.query_one("#library-detail", Static).update(styled(e.user_message(), "bold red"))

    def action_cursor(self, delta: int) -> None:
        ol = self.query_one("#library-list", OptionList)
        (ol.action_cursor_down if delta > 0 else ol.action_cursor_up)()

    def action_switch_type(self) -> None:
        self._type = CommandType.PUT_FILE if self._type is CommandType.RUN_SCRIPT else CommandType.RUN_SCRIPT
        self._title()

    def action_refresh_library(self) -> None:
        self._fetch(True)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ArgsScreen(ModalScreen[str | None]):
    """Ask for a RunScript's Args, the script's parameter hint shown. Returns "" for none, None on cancel."""

    DEFAULT_CSS = CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="args-cancel")]

    def __init__(self, script: str, hint: str, initial: str = "") -> None:
        super().__init__()
        self._script = script
        self._hint = hint
        self._initial = initial

    def compose(self) -> ComposeResult:
        with Vertical(id="args-dialog") as v:
            title = Text("Arguments for ")
            append_clean(title, self._script)
            v.border_title = title
            hint = Text("Parameters: ", style="bold")
            append_clean(hint, self._hint or "(the library gives no hint)", multiline=True)
            yield Static(hint, markup=False, id="args-hint")
            yield Input(
                value=self._initial,
                select_on_focus=False,
                placeholder="Args (one string; may be empty)",
                id="args-input",
            )
            yield Static(Text(""), markup=False, id="args-message")
            yield Static(Text("enter accept · esc cancel", style="dim"), markup=False)

    def on_mount(self) -> None:
        self._check(self._initial)

    def _check(self, value: str) -> str | None:
        msg = self.query_one("#args-message", Static)
        try:
            make_command(CommandType.RUN_SCRIPT, self._script, value or None)
        except ValidationError as e:
            msg.update(styled(e.user_message(), "bold red"))
            return e.user_message()
        msg.update(styled(f"{current().ok} ok" if value else "No arguments.", "green" if value else "dim"))
        return None

    @on(Input.Changed, "#args-input")
    def _changed(self, event: Input.Changed) -> None:
        self._check(event.value)

    @on(Input.Submitted, "#args-input")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._check(event.value) is not None:
            self.app.bell()  # refused: the text stays
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
