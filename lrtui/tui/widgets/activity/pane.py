"""The Activity pane: one row per job, live, flicker-free and cheap.

Engine events only mark rows dirty; a timer flushes them at most every ``FLUSH_S`` with ``update_cell`` on
the cells whose text changed, adding rows only for new jobs. A one-second tick refreshes the countdowns
(elapsed, RunScript timeout, next call slot).
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
from textual.coordinate import Coordinate
from textual.geometry import Size
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowDoesNotExist

from lrtui.engine.jobs import (
    FAILED_OUTCOMES,
    BatchChanged,
    BudgetChanged,
    EngineNotice,
    Event,
    Job,
    JobChanged,
    JobState,
    summarize,
)
from lrtui.tui.messages import ShowError
from lrtui.tui.safe_text import append_clean, plain, safe_line
from lrtui.tui.widgets.activity import batch_keys
from lrtui.tui.widgets.activity.gauges import Gauges
from lrtui.tui.widgets.activity.rows import COLUMNS, FLEX, job_error_text, row_cells, stderr_text

if TYPE_CHECKING:
    from lrtui.engine.batch_state import BatchState
    from lrtui.engine.engine import Engine
    from lrtui.runtime import Runtime

FLUSH_S = 0.15
TICK_S = 1.0


class JobTable(DataTable[Text]):
    """The jobs table: vi-style and home/end keys move the cursor over rows (DataTable's own home/end only
    scroll sideways)."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="activity-down"),
        Binding("k", "cursor_up", "Up", show=False, id="activity-up"),
        Binding("g,home", "scroll_top", "First job", show=False, id="activity-first"),
        Binding("G,end", "scroll_bottom", "Last job", show=False, id="activity-last"),
    ]


class ActivityPane(Vertical):
    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")
    BINDINGS = [
        Binding("x", "cancel_job", "Cancel", id="activity-cancel", tooltip="Cancel the highlighted job"),
        Binding("r", "retry_job", "Retry", id="activity-retry", tooltip="Retry the highlighted failed job"),
        Binding(
            "F",
            "retry_class",
            "Retry class",
            id="activity-retry-class",
            tooltip="Retry every failed job with the highlighted job's outcome",
        ),
        Binding("p", "toggle_pause", "Pause/resume", id="activity-pause", tooltip="Pause or resume the queue"),
        Binding("enter", "open_results", "Results", id="activity-results", show=True),
        Binding("S", "stack_batch", "Stack", id="activity-stack", tooltip="Stack the batch's outputs"),
        Binding("P", "batch('pause')", "Batch pause/resume", show=False, id="activity-batch-pause", tooltip="Pause or resume the highlighted job's batch"),
        Binding("R", "batch('retry')", "Batch retry", show=False, id="activity-batch-retry", tooltip="Retry the failed jobs of the highlighted job's batch"),
        Binding("X", "batch('cancel')", "Batch cancel", show=False, id="activity-batch-cancel", tooltip="Cancel the highlighted job's batch"),
    ]  # fmt: skip

    def action_stack_batch(self) -> None:
        from lrtui.tui.widgets.stack.screen import open_stack_for

        open_stack_for(self.app, self.highlighted_job(), self._jobs.values())

    class OpenResults(Message):
        def __init__(self, job_id: str) -> None:
            super().__init__()
            self.job_id = job_id

    def __init__(self, *, clock: Callable[[], float], id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.runtime: Runtime | None = None
        self._clock = clock
        self._unsubscribe: Callable[[], None] | None = None
        self._jobs: dict[str, Job] = {}
        self._dirty: set[str] = set()
        self._budget_dirty = True
        self._cells: dict[str, dict[str, str]] = {}
        self._notice: Text | None = None
        self._batches: dict[str, BatchState] = {}  #: the tracked batches' states (``BatchChanged``)
        self.flushes = 0  #: how many flushes changed something (tests check coalescing)

    def compose(self) -> ComposeResult:
        yield Gauges(id="activity-gauges")
        table = JobTable(id="activity-table", cursor_type="row", zebra_stripes=True, cell_padding=0)
        table.border_title = "Jobs"
        yield table
        yield Static(Text("connecting...", style="dim"), markup=False, id="activity-detail")

    def on_mount(self) -> None:
        table = self.table
        for key, label, width in COLUMNS:
            label_text = (
                Text(label, style="bold", justify="right")
                if key in ("elapsed", "left")
                else Text(f" {label}", style="bold")
            )
            table.add_column(label_text, key=key, width=width)
        self.set_interval(FLUSH_S, self._flush, name="activity-flush")
        self.set_interval(TICK_S, self._tick, name="activity-tick")

    def on_resize(self) -> None:
        """Share the width left by the fixed columns between Machine and Info (the error code and message)."""
        table = self.table
        fixed = sum(w for k, _, w in COLUMNS if k not in FLEX) + 2 * table.cell_padding * len(COLUMNS)
        rest = table.scrollable_content_region.width - fixed - 1
        machine = max(13, min(31, rest * 2 // 5))
        widths = {"machine": machine, "info": max(11, rest - machine)}
        changed = False
        for key, width in widths.items():
            column = table.columns.get(ColumnKey(key))
            if column is not None and column.width != width:
                column.width = width
                changed = True
        if changed:  # the table's scrollable width follows its columns (as DataTable does when it adds one)
            width = sum(column.get_render_width(table) for column in table.columns.values())
            table.virtual_size = Size(width, table.virtual_size.height)
            table.refresh()

    def on_unmount(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None

    # ---------------------------------------------------------------- contract

    def bind_runtime(self, runtime: Runtime) -> None:
        self.runtime = runtime
        if self._unsubscribe:
            self._unsubscribe()
        self._unsubscribe = runtime.engine.subscribe(self._on_event)
        for job in runtime.engine.jobs:
            self._jobs[job.id] = job
            self._dirty.add(job.id)
        for batch_id in {j.batch_id for j in self._jobs.values()}:  # picked up before this pane subscribed
            self._batches[batch_id] = runtime.engine.batches.state(batch_id)
        self._budget_dirty = True
        self._flush()

    def focus_default(self) -> None:
        self.table.focus()

    @property
    def table(self) -> DataTable[Text]:
        table: DataTable[Text] = self.query_one("#activity-table", DataTable)
        return table

    @property
    def engine(self) -> Engine | None:
        return self.runtime.engine if self.runtime else None

    def now(self) -> float:
        return self._clock()

    def highlighted_job(self) -> Job | None:
        table = self.table
        if not table.row_count:
            return None
        try:
            key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        except (CellDoesNotExist, RowDoesNotExist):
            return None
        return self._jobs.get(key) if key else None

    # ---------------------------------------------------------------- events: mark dirty only

    def _on_event(self, event: Event) -> None:
        if isinstance(event, JobChanged):
            self._jobs[event.job.id] = event.job
            self._dirty.add(event.job.id)
        elif isinstance(event, BudgetChanged):
            self._budget_dirty = True
        elif isinstance(event, BatchChanged):
            self._batches[event.batch_id] = event.state
            self._budget_dirty = True
        elif isinstance(event, EngineNotice):
            style = {"error": "bold red", "warning": "yellow"}.get(event.level, "")
            self._notice = plain(event.message, style, multiline=False)
            self._budget_dirty = True

    # ---------------------------------------------------------------- flush and tick

    def _flush(self) -> None:
        if not self._dirty and not self._budget_dirty:
            return
        dirty, self._dirty = self._dirty, set()
        now = self.now()
        first_new: str | None = None
        for job_id in sorted(dirty, key=lambda j: self._jobs[j].created_at if j in self._jobs else 0):
            job = self._jobs.get(job_id)
            if job is not None and self._apply(job, now) and first_new is None:
                first_new = job_id
        if first_new is not None:  # a new batch: the cursor goes to its first job (and the table scrolls to it)
            table = self.table
            table.move_cursor(row=table.get_row_index(first_new), scroll=True)
        self._budget_dirty = False
        self._show_gauges()
        self._show_detail()
        self.flushes += 1

    def _apply(self, job: Job, now: float, only: tuple[str, ...] | None = None) -> bool:
        """Show ``job``'s row; True when the row is new."""
        table = self.table
        cells = row_cells(job, now)
        cache = self._cells.get(job.id)
        if cache is None:
            table.add_row(*(cells[k] for k, _, _ in COLUMNS), key=job.id)
            self._cells[job.id] = {k: v.plain + repr(v.style) + repr(v.spans) for k, v in cells.items()}
            return True
        for key in only or cells:
            text = cells[key]
            sig = text.plain + repr(text.style) + repr(text.spans)
            if cache.get(key) != sig:
                cache[key] = sig
                table.update_cell(job.id, key, text)
        return False

    def _tick(self) -> None:
        now = self.now()
        for job in self._jobs.values():
            if job.id not in self._cells:  # not shown yet: the flush adds its row (and moves the cursor to it)
                continue
            if job.is_active or job.state is JobState.COLLECTING:
                self._apply(job, now, only=("elapsed", "left", "cmds"))
            elif job.state in (JobState.QUEUED, JobState.PAUSED):
                self._apply(job, now, only=("state", "elapsed"))
        self._show_gauges()

    def _show_gauges(self) -> None:
        engine = self.engine
        if engine is None:
            return
        try:
            snap = engine.budget_snapshot()
        except Exception:
            return
        self.query_one(Gauges).show(snap)

    def _show_detail(self) -> None:
        detail = self.query_one("#activity-detail", Static)
        if self.runtime is None:
            return
        counts = summarize(list(self._jobs.values()))
        t = Text()
        if not self._jobs:
            t.append("No jobs yet: build a sequence (2) and run it with ctrl+r.", style="dim")
        else:
            t.append(f"{len(self._jobs)} jobs: ", style="bold")
            t.append(", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(counts.items())))
        job = self.highlighted_job()
        if job is not None and batch_keys.shows(state := self._batches.get(job.batch_id)) and state is not None:
            t.append("\n")
            t.append_text(batch_keys.batch_line(state))
        story = (job_error_text(job) or stderr_text(job)) if job is not None else None
        if job is not None and story is not None:
            t.append("\n")
            append_clean(t, job.machine_name, "bold")
            t.append(": ", style="bold")
            t.append_text(story)
        elif self._notice is not None:
            t.append("\n")
            t.append_text(self._notice)
        detail.update(t)

    @on(DataTable.RowHighlighted, "#activity-table")
    def _row_highlighted(self) -> None:
        self._show_detail()

    @on(DataTable.RowSelected, "#activity-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.post_message(self.OpenResults(event.row_key.value))

    # ---------------------------------------------------------------- key actions

    def _say(self, text: str, style: str = "yellow") -> None:
        self._notice = Text(text, style=style)
        self._show_detail()

    def action_open_results(self) -> None:
        job = self.highlighted_job()
        if job is not None:
            self.post_message(self.OpenResults(job.id))

    def action_cancel_job(self) -> None:
        job, engine = self.highlighted_job(), self.engine
        if job is None or engine is None:
            return
        if job.is_final or job.state is JobState.COLLECTING:
            self._say(f"{safe_line(job.machine_name)} is already finished; nothing to cancel.")
            self.app.bell()
            return
        from lrtui.tui.widgets.sequence.confirm import ConfirmScreen

        what = (
            "remove it from the queue"
            if job.state in (JobState.QUEUED, JobState.PAUSED)
            else "ask the service to cancel the action"
        )
        q = Text(
            f"Cancel the job on {safe_line(job.machine_name)}? This will {what}. Work already running on the device may not stop."
        )
        job_id = job.id

        def answer(yes: bool | None) -> None:
            if yes:
                self._call("Cancel failed", lambda: engine.cancel(job_id))

        self.app.push_screen(ConfirmScreen("Cancel?", q), answer)

    def action_retry_job(self) -> None:
        job, engine = self.highlighted_job(), self.engine
        if job is None or engine is None:
            return
        if not job.is_final or job.outcome not in FAILED_OUTCOMES:
            self._say("Only a finished job that did not succeed can be retried.")
            self.app.bell()
            return
        job_id = job.id
        self._call("Retry failed", lambda: engine.retry(job_id))

    def action_retry_class(self) -> None:
        job, engine = self.highlighted_job(), self.engine
        if job is None or engine is None:
            return
        outcome = job.outcome
        if not job.is_final or outcome is None or outcome not in FAILED_OUTCOMES:
            self._say("Highlight a failed job: F retries every failed job with the same outcome.")
            self.app.bell()
            return
        n = sum(1 for j in self._jobs.values() if j.is_final and j.outcome is outcome)
        from lrtui.tui.widgets.sequence.confirm import ConfirmScreen

        q = f"Retry all {n} job{'s' if n != 1 else ''} that ended {outcome.value.replace('_', ' ')}? Each retry spends a call from the budget."

        def answer(yes: bool | None) -> None:
            if yes:
                self._call("Retry failed failed", lambda: engine.retry_failed(outcome))

        self.app.push_screen(ConfirmScreen("Retry failed?", q), answer)

    def action_toggle_pause(self) -> None:
        engine = self.engine
        if engine is None:
            return
        if engine.budget_snapshot().paused:
            engine.resume()
            self._say("Queue resumed.", "green")
        else:
            engine.pause()
            self._say("Queue paused: nothing new is sent; running actions continue. p resumes.")
        self._budget_dirty = True

    def action_batch(self, what: str) -> None:
        """P, R, X: pause/resume, retry the failed jobs of, or cancel the highlighted job's batch."""
        if (job := self.highlighted_job()) is not None and (engine := self.engine) is not None:
            batch_keys.act(what, engine, job, say=self._say, call=self._call, confirm=self.app.push_screen)

    @work(group="activity-control", exit_on_error=False)
    async def _call(self, title: str, call: Callable[[], Awaitable[object]]) -> None:
        """Make one engine call; a failure is shown by the app, titled ``title``."""
        try:
            await call()
        except Exception as e:
            self.post_message(ShowError(e, title=title))
