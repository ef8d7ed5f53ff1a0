"""The stack view of one batch (a full screen over the panes): Outputs (``o``), Lines (``l``), Diff (``d``) and,
when the outputs are CSV or JSON lines, Table (``t``: the merged table; ``c`` stacks a column, ``S`` sorts).

Reading and stacking the evidence files runs in a thread worker (``reading…``/``masking…`` in the header
meanwhile); the screen shows what the worker hands back. ``m`` toggles the masks, ``r`` reads the outputs
again (jobs of the batch finished since), ``s`` steps through the sequence's RunScript commands when it has
several, ``escape`` closes the view.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import ContentSwitcher, DataTable, Footer, Input, Static

from lrtui.api.text import clean_line
from lrtui.engine.jobs import Job
from lrtui.engine.stacking import DEFAULT_MASKS
from lrtui.tui.glyphs import current
from lrtui.tui.safe_text import append_clean, plain
from lrtui.tui.styled import styled
from lrtui.tui.widgets.stack.column_stack import ColumnStackTable
from lrtui.tui.widgets.stack.diff_view import DiffView
from lrtui.tui.widgets.stack.groups_table import GroupTable, machines_cell
from lrtui.tui.widgets.stack.header import StackHeader
from lrtui.tui.widgets.stack.lines_table import MAX_ROWS, LineTable
from lrtui.tui.widgets.stack.merged_table import MAX_SHOWN, MergedTableView
from lrtui.tui.widgets.stack.model import (
    ScriptStep,
    StackData,
    batch_jobs,
    load_stack,
    machine_diff,
    script_steps,
)
from lrtui.tui.widgets.stack.table_data import stack_values

MODES = ("outputs", "lines", "diff", "table", "columns")
_FOCUS: dict[str, type[DataTable[Text] | DiffView]] = {
    "outputs": GroupTable,
    "lines": LineTable,
    "diff": DiffView,
    "table": MergedTableView,
    "columns": ColumnStackTable,
}


def open_stack_for(app: App[None], job: Job | None, jobs: Iterable[Job]) -> None:
    """Push the stack view of ``job``'s batch (nothing to do without a job; a bell when it ran no script)."""
    if job is None:
        app.bell()
        return
    batch = batch_jobs(jobs, job.batch_id)
    if not script_steps(batch):
        app.notify("This batch ran no script: nothing to stack.", severity="warning", markup=False)
        return
    app.push_screen(StackScreen(job.batch_id, batch))


class StackScreen(Screen[None]):
    DEFAULT_CSS = """
    StackScreen #stack-modes { height: 1fr; }
    StackScreen #stack-filter { display: none; }
    StackScreen LineTable { border-top: solid $primary; }
    StackScreen #stack-filter.-on { display: block; }
    StackScreen #stack-table-filter { display: none; }
    StackScreen #stack-table-filter.-on { display: block; }
    StackScreen MergedTableView, StackScreen ColumnStackTable { border-top: solid $primary; }
    StackScreen #stack-detail { height: auto; max-height: 4; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close", id="stack-close", tooltip="Back to Activity"),
        Binding("o", "mode('outputs')", "Outputs", id="stack-outputs", tooltip="Machines grouped by identical output"),
        Binding("l", "mode('lines')", "Lines", id="stack-lines", tooltip="Every distinct line, rarest first"),
        Binding(
            "t", "table", "Table", id="stack-table", tooltip="CSV or JSON-lines outputs merged, with a machine column"
        ),
        Binding("d", "diff", "Diff", id="stack-diff", tooltip="The highlighted machine against the majority"),
        Binding("m", "toggle_masks", "Masks", id="stack-masks", tooltip="Mask host names, times, pids, GUIDs"),
        Binding("slash", "filter", "Filter", id="stack-filter", tooltip="Filter the lines (or the table) as you type"),
        Binding("r", "reload", "Re-read", id="stack-reload", tooltip="Read the outputs again (jobs finished since)"),
        Binding("s", "next_script", "Next script", id="stack-next-script", tooltip="The sequence's next RunScript"),
        Binding("question_mark,f1", "help", "Help", id="stack-help", show=False),
    ]

    def __init__(self, batch_id: str, jobs: list[Job]) -> None:
        super().__init__()
        self.batch_id = batch_id
        self.jobs = jobs
        self.steps = script_steps(jobs)
        self.step: ScriptStep = self.steps[0]
        self.masks: tuple[str, ...] = DEFAULT_MASKS
        self.data: StackData | None = None
        self.mode = "outputs"
        self.busy = False  #: a worker is reading (tests wait on this)

    def compose(self) -> ComposeResult:
        yield StackHeader(self.jobs[0].sequence.comment, id="stack-header")
        with ContentSwitcher(initial="stack-outputs-mode", id="stack-modes"):
            yield GroupTable(id="stack-outputs-mode")
            with Vertical(id="stack-lines-mode"):
                yield Input(placeholder="filter lines (escape: back to the list)", id="stack-filter")
                yield LineTable(id="stack-lines-table")
            yield DiffView(id="stack-diff-mode")
            with Vertical(id="stack-table-mode"):
                yield Input(placeholder="filter rows (escape: back to the table)", id="stack-table-filter")
                yield MergedTableView(id="stack-table-grid")
            yield ColumnStackTable(id="stack-columns-mode")
        yield Static("", markup=False, id="stack-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(GroupTable).focus()
        self._load()

    # ---------------------------------------------------------------- workers

    def _load(self) -> None:
        self.busy = True
        ell = current().ellipsis
        self.query_one(StackHeader).show(None, f"masking{ell}" if self.masks else f"reading{ell}")
        # the engine updates jobs on the event loop: the worker reads copies taken here
        jobs = [dataclasses.replace(j, results=list(j.results)) for j in self.jobs]
        self._stack(jobs, self.step, self.masks)

    @work(thread=True, exclusive=True, group="stack-load", exit_on_error=False)
    def _stack(self, jobs: list[Job], step: ScriptStep, masks: tuple[str, ...]) -> None:
        try:
            data = load_stack(jobs, self.batch_id, step, masks)
        except (OSError, ValueError) as e:
            self.app.call_from_thread(self._failed, f"Could not read the outputs: {e}")
            return
        except Exception as e:  # the worker's boundary: say so on screen rather than stay "masking…" for ever
            self.app.call_from_thread(self._failed, f"Stacking failed ({type(e).__name__}: {e}); please report it.")
            return
        self.app.call_from_thread(self._loaded, data)

    @work(thread=True, exclusive=True, group="stack-diff", exit_on_error=False)
    def _diff(self, data: StackData, machine: str) -> None:
        try:
            diff = machine_diff(data, machine)
        except (OSError, ValueError) as e:
            self.app.call_from_thread(self._failed, f"Could not read the outputs: {e}")
            return
        except Exception as e:  # the worker's boundary, as in _stack
            self.app.call_from_thread(self._failed, f"The diff failed ({type(e).__name__}: {e}); please report it.")
            return
        self.app.call_from_thread(self._diffed, data, machine, diff)

    def _failed(self, message: str) -> None:
        self.busy = False
        self.query_one(StackHeader).show(None, "")
        self._say(plain(message, "bold red"))

    def _loaded(self, data: StackData) -> None:
        self.data = data
        self.busy = False
        self.query_one(StackHeader).show(data, "")
        self.query_one(GroupTable).show(data.groups)
        self._show_lines()
        self._show_table(data)
        if not data.outputs:
            self._say(styled("No output to stack yet: no job of this batch has finished this script.", "yellow"))
        else:
            self._say(Text("enter: who · d: diff against the majority · l: lines · m: masks", style="dim"))

    def _diffed(self, data: StackData, machine: str, diff: list[str]) -> None:
        self.busy = False
        majority = data.majority
        self.query_one(DiffView).show(machine, majority.machine if majority else "", diff)
        t = Text("Diff of ", style="dim")
        append_clean(t, machine, "bold")
        t.append(" against the majority (+ this machine only, - the majority only)", style="dim")
        self._say(t)

    # ---------------------------------------------------------------- showing

    def _say(self, text: Text) -> None:
        self.query_one("#stack-detail", Static).update(text)

    def _show_lines(self) -> None:
        if self.data is None:
            return
        table = self.query_one(LineTable)
        table.show(self.data.lines, self.query_one("#stack-filter", Input).value)
        title = f"{table.matched} of {len(self.data.lines.lines)} distinct lines, rarest first"
        if table.matched > MAX_ROWS:
            title += f" (first {MAX_ROWS}: / narrows)"
        table.border_title = title

    def _show_table(self, data: StackData) -> None:
        if data.table is None:
            if self.mode in ("table", "columns"):  # read again, and no longer a table
                self._switch("outputs")
            return
        self.query_one(MergedTableView).show(data.table, self.query_one("#stack-table-filter", Input).value)
        self._title_table()
        values = self.query_one(ColumnStackTable)
        if values.column:  # a column stacked before reading again: stacked again
            self._stack_values(data.table.rows, values.column)

    def _title_table(self) -> None:
        grid = self.query_one(MergedTableView)
        total = len(grid.table.rows) if grid.table is not None else 0
        cut = grid.table.cut if grid.table is not None else 0
        grid.border_title = _table_title(min(grid.matched, MAX_SHOWN), grid.matched, total, cut)

    def _switch(self, mode: str) -> None:
        self.mode = mode
        self.query_one(ContentSwitcher).current = f"stack-{mode}-mode"
        self.query_one(_FOCUS[mode]).focus()

    def highlighted_machine(self) -> str | None:
        """The machine the diff is for: the highlighted group's (Outputs) or the highlighted line's first
        machine (Lines); in Diff, the one shown."""
        if self.mode == "lines":
            line = self.query_one(LineTable).highlighted_line()
            return line.machines[0] if line is not None else None
        if self.mode == "diff":
            return self.query_one(DiffView).machine
        if self.mode == "table":
            row = self.query_one(MergedTableView).highlighted_row()
            return row.get("machine") if row is not None else None
        if self.mode == "columns":
            value = self.query_one(ColumnStackTable).highlighted_value()
            return value.machines[0] if value is not None and value.machines else None
        group = self.query_one(GroupTable).highlighted_group()
        return group.machines[0] if group is not None else None

    @on(DataTable.RowSelected, "#stack-outputs-mode")
    def _group_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        group = self.query_one(GroupTable).highlighted_group()
        if group is not None:
            t = Text(f"{group.size} machine{'s' if group.size != 1 else ''}: ", style="bold")
            t.append_text(machines_cell(group.machines) if group.size > 12 else _names(group.machines))
            self._say(t)

    @on(DataTable.RowSelected, "#stack-lines-table")
    def _line_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        line = self.query_one(LineTable).highlighted_line()
        if line is not None:
            t = Text(f"{line.count} machine{'s print' if line.count != 1 else ' prints'} it: ", style="bold")
            t.append_text(_names(line.machines))
            self._say(t)

    @on(Input.Changed, "#stack-filter")
    def _filter_changed(self) -> None:
        self._show_lines()

    @on(Input.Changed, "#stack-table-filter")
    def _table_filter_changed(self, event: Input.Changed) -> None:
        grid = self.query_one(MergedTableView)
        grid.show(None, event.value)
        self._title_table()

    @on(Input.Submitted, "#stack-table-filter")
    def _table_filter_submitted(self) -> None:
        self.query_one(MergedTableView).focus()

    @on(MergedTableView.StackColumn)
    def _stack_column(self, event: MergedTableView.StackColumn) -> None:
        event.stop()
        data = self.data
        if data is None or data.table is None:
            return
        self._stack_values(data.table.rows, event.column)
        self._switch("columns")

    def _stack_values(self, rows: Iterable[dict[str, str]], column: str) -> None:
        values = stack_values(rows, column)
        view = self.query_one(ColumnStackTable)
        view.show(column, values)
        view.border_title = f"{len(values)} values of {clean_line(column)}, rarest first (enter: who)"

    @on(DataTable.RowSelected, "#stack-columns-mode")
    def _value_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        value = self.query_one(ColumnStackTable).highlighted_value()
        if value is not None:
            n = len(value.machines)
            t = Text(f"{n} machine{'s' if n != 1 else ''} ({value.rows} row{'s' if value.rows != 1 else ''}) ")
            t.append("with ")
            append_clean(t, value.value[:200], "bold")
            t.append(": ")
            t.append_text(_names(value.machines))
            self._say(t)

    @on(Input.Submitted, "#stack-filter")
    def _filter_submitted(self) -> None:
        self.query_one(LineTable).focus()

    # ---------------------------------------------------------------- key actions

    def action_close(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one(MergedTableView if self.mode == "table" else LineTable).focus()
            return
        if self.mode == "columns":
            self._switch("table")
            return
        self.dismiss()

    def action_mode(self, mode: str) -> None:
        if mode in MODES:
            self._switch(mode)

    def action_diff(self) -> None:
        machine, data = self.highlighted_machine(), self.data
        if machine is None or data is None:
            self.app.bell()
            return
        self.busy = True
        self.query_one(DiffView).show_text(styled(f"comparing{current().ellipsis}", "bold yellow"))
        self._switch("diff")
        self._diff(data, machine)

    def action_toggle_masks(self) -> None:
        self.masks = () if self.masks else DEFAULT_MASKS
        self._load()

    def action_table(self) -> None:
        if self.data is not None and self.data.table is None:
            self._say(styled("The outputs are not a table (CSV with a header line, or JSON lines).", "yellow"))
            return
        self._switch("table")

    def action_filter(self) -> None:
        in_table = self.mode in ("table", "columns") and self.data is not None and self.data.table is not None
        self._switch("table" if in_table else "lines")
        box = self.query_one("#stack-table-filter" if in_table else "#stack-filter", Input)
        box.add_class("-on")
        box.focus()

    def action_reload(self) -> None:
        self._load()

    def action_next_script(self) -> None:
        if len(self.steps) < 2:
            self._say(styled("The sequence has one RunScript: nothing else to stack.", "yellow"))
            return
        self.step = self.steps[(self.steps.index(self.step) + 1) % len(self.steps)]
        self._load()

    def action_help(self) -> None:
        from lrtui.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self.active_bindings))


def _table_title(shown: int, matched: int, total: int, cut: int) -> str:
    title = f"{matched} of {total} rows"
    if matched > shown:
        title += f" (first {shown}: / narrows)"
    if cut:
        title += f"; {cut} more not read (lrtui table has them all)"
    return title + " · c: stack the column · S: sort"


def _names(machines: tuple[str, ...]) -> Text:
    t = Text()
    for i, name in enumerate(machines):
        if i:
            t.append(", ")
        append_clean(t, name)
    return t
