"""Manage the live response library: upload a local file (20 MB limit checked first, overwrite asked) and
delete with confirmation. Calls go through ``runtime.client`` in workers; failures stay in the dialog."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from lrtui.api.errors import error_text
from lrtui.api.text import clean_line
from lrtui.tui.glyphs import current
from lrtui.tui.safe_text import plain
from lrtui.tui.styled import styled
from lrtui.tui.widgets.sequence.confirm import ConfirmScreen
from lrtui.tui.widgets.sequence.library_picker import library_prompt

if TYPE_CHECKING:
    from lrtui.api.models import LibraryFile
    from lrtui.runtime import Runtime

LIBRARY_MAX_BYTES = 20 * 1024 * 1024
_NAME = re.compile(r"^[A-Za-z0-9._-]+$")

CSS = """
LibraryManageScreen, UploadScreen { align: center middle; }
.library-manage-dialog {
    width: 94%; max-width: 110; height: auto; max-height: 90%;
    border: round $accent; background: $surface; padding: 0 1;
}
#manage-list { height: auto; max-height: 14; min-height: 3; border: none; }
.library-manage-dialog Input { height: 1; border: none; padding: 0 1; background: $boost; margin: 0 0 1 0; }
.library-manage-dialog Input:focus { background: $accent 30%; }
.library-manage-dialog Checkbox { border: none; padding: 0; height: 1; margin: 0 0 1 0; }
.library-manage-dialog Label { color: $text-muted; }
#upload-message, #manage-message { height: auto; }
"""


@dataclass(frozen=True)
class Upload:
    """What the upload dialog asks for."""

    path: Path
    name: str
    description: str
    has_parameters: bool
    parameters_description: str


def upload_problem(path_text: str, name: str) -> str | None:
    """Why this upload cannot go (checked before any call), or None."""
    if not path_text.strip():
        return "Type the path of a local file to upload."
    p = Path(path_text.strip()).expanduser()
    if not p.is_file():
        return f"{clean_line(str(p))} is not a readable file."
    size = p.stat().st_size
    if size > LIBRARY_MAX_BYTES:
        return f"{p.name} is {size / 1024 / 1024:.1f} MB; the API accepts library files up to 20 MB."
    if not _NAME.match(name):
        return f"{clean_line(name)!r} is not a usable library name: use only letters, digits, '-', '_' and '.'."
    return None


def params_label(on: bool) -> str:
    """The upload checkbox's label: its state as a glyph and a word (the box itself differs only by colour)."""
    g = current()
    return f"{g.check_on if on else g.check_off} Takes parameters: {'yes' if on else 'no'}"


class UploadScreen(ModalScreen[Upload | None]):
    DEFAULT_CSS = CSS
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="upload-cancel"),
        Binding("ctrl+s", "submit", "Upload", id="upload-go"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="library-manage-dialog") as v:
            v.border_title = "Upload a file to the library"
            yield Label("Local file (20 MB at most)")
            yield Input(placeholder="e.g. ~/scripts/collect.ps1", id="upload-path")
            yield Label("Library name (letters, digits, - _ .)")
            yield Input(placeholder="default: the file's name", id="upload-name")
            yield Label("Description")
            yield Input(placeholder="what it does", id="upload-description")
            yield Checkbox(params_label(False), id="upload-has-params")
            yield Label("Parameters description (the hint shown when adding it)")
            yield Input(placeholder="e.g. -OutDir <folder>", id="upload-params")
            yield Static(Text(""), markup=False, id="upload-message")
            yield Static(Text("enter next field · ctrl+s upload · esc cancel", style="dim"), markup=False)

    def _path_and_name(self) -> tuple[str, str]:
        """The typed path, and the library name (the file's name unless one is typed)."""
        path = self.query_one("#upload-path", Input).value.strip()
        return path, self.query_one("#upload-name", Input).value.strip() or Path(path).name

    def _upload(self) -> Upload:
        path, name = self._path_and_name()
        return Upload(
            path=Path(path).expanduser(),
            name=name,
            description=self.query_one("#upload-description", Input).value,
            has_parameters=self.query_one("#upload-has-params", Checkbox).value,
            parameters_description=self.query_one("#upload-params", Input).value,
        )

    @on(Checkbox.Changed, "#upload-has-params")
    def _params_toggled(self, event: Checkbox.Changed) -> None:
        event.checkbox.label = params_label(event.value)  # the state in a glyph and words, not colour alone
        self._changed()

    @on(Input.Changed)
    def _changed(self) -> None:
        path, name = self._path_and_name()
        problem = upload_problem(path, name) if path else None
        message = styled(problem or "", "bold red")
        params = self.query_one("#upload-params", Input).value.strip()
        if not problem and params and not self.query_one("#upload-has-params", Checkbox).value:
            message = Text(
                "A parameters description is typed but 'Takes parameters' is no: tab to it and press space "
                "if the script takes parameters.",
                style="bold yellow",
            )
        self.query_one("#upload-message", Static).update(message)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "upload-params":
            self.action_submit()
        else:
            self.focus_next()

    def action_submit(self) -> None:
        problem = upload_problem(*self._path_and_name())
        if problem:
            self.query_one("#upload-message", Static).update(styled(problem, "bold red"))
            self.app.bell()
            return
        self.dismiss(self._upload())

    def action_cancel(self) -> None:
        self.dismiss(None)


class LibraryManageScreen(ModalScreen[None]):
    DEFAULT_CSS = CSS
    BINDINGS = [
        Binding("escape", "cancel", "Close", id="manage-close"),
        Binding("u", "upload", "Upload", id="manage-upload"),
        Binding("d,delete", "delete", "Delete", id="manage-delete"),
        Binding("f5", "refresh_library", "Refresh", id="manage-refresh"),
    ]

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime
        self.files: list[LibraryFile] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="library-manage-dialog") as v:
            v.border_title = "Live response library"
            yield OptionList(id="manage-list")
            yield Static(Text("Loading...", style="dim"), markup=False, id="manage-message")
            yield Static(Text("u upload · d delete · F5 refresh · esc close", style="dim"), markup=False)

    def on_mount(self) -> None:
        self.query_one("#manage-list").focus()
        self._load(False)

    def _message(self, text: str, style: str = "") -> None:
        self.query_one("#manage-message", Static).update(plain(text, style))

    @work(exclusive=True, group="library-manage", exit_on_error=False)
    async def _load(self, refresh: bool, note: str = "") -> None:
        try:
            self.files = sorted(await self.runtime.engine.library(refresh=refresh), key=lambda f: f.file_name.lower())
        except Exception as e:
            self._message(f"Cannot read the library: {error_text(e)}", "bold red")
            return
        ol = self.query_one("#manage-list", OptionList)
        ol.clear_options()
        ol.add_options([Option(library_prompt(f)) for f in self.files])
        if self.files:
            ol.highlighted = 0
        self._message(f"{note} {len(self.files)} files in the library.".strip(), "green" if note else "dim")

    def _current(self) -> LibraryFile | None:
        i = self.query_one("#manage-list", OptionList).highlighted
        return self.files[i] if i is not None and i < len(self.files) else None

    def action_refresh_library(self) -> None:
        self._load(True)

    def action_upload(self) -> None:
        def got(v: Upload | None) -> None:
            if v is None:
                return
            if any(f.file_name == v.name for f in self.files):

                def answer(yes: bool | None) -> None:
                    if yes:
                        self._upload(v, True)

                self.app.push_screen(
                    ConfirmScreen("Overwrite?", f"{v.name} is already in the library. Overwrite it?"), answer
                )
            else:
                self._upload(v, False)

        self.app.push_screen(UploadScreen(), got)

    @work(exclusive=True, group="library-upload", exit_on_error=False)
    async def _upload(self, v: Upload, override: bool) -> None:
        self._message(f"Uploading {v.name}...", "dim")
        try:
            await self.runtime.client.library.upload(
                v.name,
                v.path,
                description=v.description,
                parameters_description=v.parameters_description,
                has_parameters=v.has_parameters,
                override=override,
            )
        except Exception as e:
            self._message(f"Upload failed: {error_text(e)}", "bold red")
            return
        self._load(True, f"Uploaded {v.name}.")

    def action_delete(self) -> None:
        f = self._current()
        if f is None:
            return
        q = f"Delete {f.file_name} from the tenant's live response library? Sequences that use it will fail pre-flight."
        name = f.file_name

        def answer(yes: bool | None) -> None:
            if yes:
                self._delete(name)

        self.app.push_screen(ConfirmScreen("Delete?", plain(q)), answer)

    @work(exclusive=True, group="library-delete", exit_on_error=False)
    async def _delete(self, name: str) -> None:
        try:
            await self.runtime.client.library.delete(name)
        except Exception as e:
            self._message(f"Delete failed: {error_text(e)}", "bold red")
            return
        self._load(True, f"Deleted {name}.")

    def action_cancel(self) -> None:
        self.dismiss(None)
