"""The Results pane: one job's action, command by command.

RunScript: exit code, stdout and stderr in a searchable Line-API view. GetFile: saved path, size, both hashes,
and a listing when the file is a zip or tar. PutFile produces no result. Everything from the device is
cleaned (``lrtui.api.text.clean``) and shown as plain text.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from lrtui.api.enums import CommandType
from lrtui.api.errors import error_text
from lrtui.api.text import clean
from lrtui.engine.jobs import Event, Job, JobChanged
from lrtui.tui.messages import ShowError
from lrtui.tui.safe_text import plain
from lrtui.tui.styled import styled
from lrtui.tui.widgets.results.output_view import OutputView, Section, prepare
from lrtui.tui.widgets.results.render import command_row, header_text, info_text, result_for, signature
from lrtui.tui.widgets.results.script_output import script_sections

if TYPE_CHECKING:
    from rich.style import Style

    from lrtui.engine.jobs import CommandResult
    from lrtui.runtime import Runtime

FLUSH_S = 0.25
STATUS_HINT = "/ search · n/N next/prev · c copy path · E export · [ ] other machine"


class ResultsPane(Vertical):
    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")
    BINDINGS = [
        Binding("slash", "search", "Search", id="results-search"),
        Binding("c", "copy_path", "Copy path", id="results-copy-path", tooltip="Copy the saved file's path"),
        Binding("E", "export", "Export case", id="results-export", tooltip="Export the case bundle"),
        Binding("left_square_bracket", "other_job(-1)", "Prev job", id="results-prev-job"),
        Binding("right_square_bracket", "other_job(1)", "Next job", id="results-next-job"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.runtime: Runtime | None = None
        self.job_id: str | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._dirty = False
        self._sig: tuple[object, ...] | None = None
        self._shown_index: int | None = None
        self._output_key: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        yield Static(
            Text("No job selected: open one from Activity (3, then enter).", style="dim"),
            markup=False,
            id="results-header",
        )
        ol = OptionList(id="results-commands")
        ol.border_title = "Commands"
        yield ol
        yield Static(Text(""), markup=False, id="results-info")
        out = OutputView(id="results-output")
        out.border_title = "Output"
        yield out
        search = Input(placeholder="Search the output (enter finds, esc closes)", id="results-search")
        search.display = False  # shown by `/` (set here: a pane removed while it mounts has no children to query)
        yield search
        yield Static(
            Text(STATUS_HINT, style="dim"),
            markup=False,
            id="results-status",
        )

    def on_mount(self) -> None:
        self.set_interval(FLUSH_S, self._flush, name="results-flush")

    def on_unmount(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()

    # ---------------------------------------------------------------- contract

    def bind_runtime(self, runtime: Runtime) -> None:
        self.runtime = runtime
        if self._unsubscribe:
            self._unsubscribe()
        self._unsubscribe = runtime.engine.subscribe(self._on_event)

    def show_job(self, job_id: str) -> None:
        if job_id != self.job_id:  # a search (and its match count) belongs to the job it was made in
            self.output.clear_search()
            self.query_one("#results-status", Static).update(Text(STATUS_HINT, style="dim"))
        self.job_id = job_id
        self._sig = None
        self._shown_index = None
        self._output_key = None
        self._render_job(first=True)

    def focus_default(self) -> None:
        self.query_one("#results-commands", OptionList).focus()

    @property
    def job(self) -> Job | None:
        if self.runtime is None or self.job_id is None:
            return None
        try:
            return self.runtime.engine.job(self.job_id)
        except KeyError:
            return None

    @property
    def output(self) -> OutputView:
        return self.query_one(OutputView)

    # ---------------------------------------------------------------- live updates

    def _on_event(self, event: Event) -> None:
        if isinstance(event, JobChanged) and event.job.id == self.job_id:
            self._dirty = True

    def _flush(self) -> None:
        if self._dirty:
            self._dirty = False
            self._render_job()

    def _render_job(self, first: bool = False) -> None:
        job = self.job
        header = self.query_one("#results-header", Static)
        if job is None:
            header.update(styled("That job is not known to this session.", "yellow"))
            return
        sig = signature(job)
        if sig == self._sig:
            return
        self._sig = sig
        header.update(header_text(job))
        ol = self.query_one("#results-commands", OptionList)
        keep = ol.highlighted
        ol.clear_options()
        ol.add_options([Option(command_row(job, i)) for i in range(len(job.sequence.commands))])
        if first or keep is None:
            keep = next((i for i, c in enumerate(job.sequence.commands) if c.type is CommandType.RUN_SCRIPT), 0)
        if job.sequence.commands:
            ol.highlighted = min(keep, len(job.sequence.commands) - 1)
        self._show_command(force=True)

    @on(OptionList.OptionHighlighted, "#results-commands")
    def _command_highlighted(self) -> None:
        self._show_command()

    def _show_command(self, force: bool = False) -> None:
        job = self.job
        index = self.query_one("#results-commands", OptionList).highlighted
        if job is None or index is None or index >= len(job.sequence.commands):
            return
        if not force and index == self._shown_index:
            return
        self._shown_index = index
        self.query_one("#results-info", Static).update(info_text(job, index))
        r = result_for(job, index)
        cmd = job.sequence.commands[index]
        key = (
            job.id,
            index,
            r.downloaded if r else None,
            r.file_path if r else None,
            r.script is not None if r else None,
        )
        if key == self._output_key:
            return
        self._output_key = key
        if cmd.type is CommandType.RUN_SCRIPT and r is not None and r.script is not None:
            self.output.border_title = "Output: stdout, then stderr"
            self._load_output(r)
        elif cmd.type is CommandType.GET_FILE and r is not None and r.file_path:
            self.output.border_title = "Archive listing"
            self._load_listing(r.file_path)
        else:
            self.output.border_title = "Output"
            self.output.set_sections([])

    @work(exclusive=True, group="results-output", exit_on_error=False)
    async def _load_output(self, r: CommandResult) -> None:
        def read() -> tuple[list[str], list[Style | None], int]:
            return prepare(script_sections(r))  # the files are read and cleaned in a thread

        self.output.set_prepared(*await asyncio.to_thread(read))

    @work(exclusive=True, group="results-output", exit_on_error=False)
    async def _load_listing(self, path: str) -> None:
        from lrtui.tui.widgets.results.archive import archive_listing

        listing = await asyncio.to_thread(archive_listing, path)
        if listing is None:
            sections = [Section(None, "Not a zip or tar archive. c copies the saved path.", "dim")]
        else:
            kind, lines = listing
            sections = [Section(f"{kind}: {len(lines)} entries", "\n".join(lines))]
        self.output.set_prepared(*await asyncio.to_thread(prepare, sections))

    # ---------------------------------------------------------------- search

    @on(OutputView.SearchRequested)
    def action_search(self) -> None:
        inp = self.query_one("#results-search", Input)
        inp.display = True
        inp.value = self.output.search_text
        inp.focus()

    @on(Input.Submitted, "#results-search")
    def _search(self, event: Input.Submitted) -> None:
        event.input.display = False
        self.output.search(event.value)
        self.output.focus()

    def on_key(self, event: events.Key) -> None:
        inp = self.query_one("#results-search", Input)
        if event.key == "escape" and inp.has_focus:
            event.stop()
            inp.display = False
            self.output.focus()

    @on(OutputView.MatchChanged)
    def _match_changed(self, event: OutputView.MatchChanged) -> None:
        self.query_one("#results-status", Static).update(
            styled(event.info or "", "yellow" if "no match" in event.info else "")
        )

    # ---------------------------------------------------------------- actions

    def _file_path(self) -> str | None:
        job = self.job
        if job is None:
            return None
        index = self.query_one("#results-commands", OptionList).highlighted
        r = result_for(job, index) if index is not None else None
        if r is not None and r.file_path:
            return r.file_path
        return next((x.file_path for x in job.results if x.file_path), None)

    def action_copy_path(self) -> None:
        path = self._file_path()
        if path is None:
            self.app.bell()
            self.query_one("#results-status", Static).update(
                styled("No saved file to copy: pick a finished GetFile.", "yellow")
            )
            return
        self.app.copy_to_clipboard(path)
        self.query_one("#results-status", Static).update(plain(f"Copied {path}", "green", multiline=False))

    def action_other_job(self, delta: int) -> None:
        job = self.job
        if job is None or self.runtime is None:
            return
        batch = sorted(
            (j for j in self.runtime.engine.jobs if j.batch_id == job.batch_id), key=lambda j: j.machine_name.lower()
        )
        if len(batch) < 2:
            return
        i = next(k for k, j in enumerate(batch) if j.id == job.id)
        self.show_job(batch[(i + delta) % len(batch)].id)

    def action_export(self) -> None:
        job, runtime = self.job, self.runtime
        if job is None or runtime is None:
            self.app.bell()
            return
        from lrtui.tui.widgets.results.export_dialog import ExportScreen, guess_case

        def chosen(case: str | None) -> None:
            if case:
                self._export(runtime, case)

        self.app.push_screen(ExportScreen(guess_case(job.sequence.comment, job.batch_id)), chosen)

    @work(exclusive=True, group="results-export", exit_on_error=False)
    async def _export(self, runtime: Runtime, case: str) -> None:
        from lrtui.api.errors import ValidationError
        from lrtui.engine.export import export_bundle
        from lrtui.engine.safe_names import safe_component

        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        out = Path(runtime.data_dir) / "exports" / f"{safe_component(case)}-{stamp}"
        status = self.query_one("#results-status", Static)
        status.update(Text(f"Exporting case {case}...", style="dim"))
        try:
            result = await export_bundle(runtime.journal, case, out)  # blocking parts run in threads
        except ValidationError as e:  # e.g. the folder exists and is not empty: refused, nothing written
            status.update(plain("Export refused: " + error_text(e), "bold red"))
            self.post_message(ShowError(e, title="Export refused"))  # the app's one error path: plain text
            return
        except Exception as e:
            self.post_message(ShowError(e, title="Export failed"))
            status.update(styled("Export failed.", "bold red"))
            return
        summary, details = export_verdict(result.ok, result.jobs, result.files, result.problems, out)
        status.update(styled(summary, "green" if result.ok else "bold red"))
        if details:
            self.app.notify(details, title="Export", severity="error", markup=False, timeout=30)


def export_verdict(ok: bool, jobs: int, files: int, problems: list[str], out: Path) -> tuple[str, str]:
    """(the status line, the problems one a line): "Exported N jobs" only when the bundle verifies."""
    if ok:
        return f"Exported {jobs} jobs ({files} files) to {out}", ""
    if not problems:
        return f"Nothing exported: no job names this case ({out} is empty)", ""
    lines = "\n".join(f"- {clean(p)}" for p in problems)  # notify(markup=False): plain text
    return f"Export NOT verified: {len(problems)} problem(s), see manifest.json in {out}", lines
