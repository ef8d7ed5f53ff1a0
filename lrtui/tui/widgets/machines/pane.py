"""The Machines pane: search the whole tenant as you type, mark machines, read the highlighted one's details.

The pane never calls the service itself: it reads ``runtime.inventory`` and asks it to load pages from
``runtime.client`` in an app worker (so the app's single worker-error handler reports failures).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static

from lrtui.tui.glyphs import current
from lrtui.tui.widgets.machines.details import MachineDetails
from lrtui.tui.widgets.machines.machine_list import MachineList, header_text
from lrtui.tui.widgets.machines.search_input import SearchInput

if TYPE_CHECKING:
    from lrtui.api.models import Machine
    from lrtui.engine.inventory import Inventory
    from lrtui.runtime import Runtime

#: Machines per page. The service allows 10,000; 5,000 halves the peak memory of a page in flight (the JSON
#: and its objects), which the allocator keeps afterwards, for twice the calls (20 for 100,000 machines).
PAGE_SIZE = 5_000
DETAILS_DELAY = 0.08  #: seconds: details of the highlighted machine follow a search after this pause


class MachinesPane(Vertical):
    """Pane ``1``."""

    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")
    SCOPED_CSS = False

    BINDING_GROUP_TITLE = "Machines"
    DEFAULT_CLASSES = "pane"
    BINDINGS = [
        Binding("slash", "focus_search", "Search", id="machines-search", tooltip="Search the whole tenant"),
        Binding(
            "r,f5",
            "refresh_inventory",
            "Refresh",
            show=False,
            id="machines-refresh",
            tooltip="Reload machines from the service",
        ),
    ]

    class MarkedChanged(Message):
        """The set of marked machines changed; ``machines`` in marking order."""

        def __init__(self, machines: tuple[Machine, ...]) -> None:
            super().__init__()
            self.machines = machines

    def __init__(
        self, *, clock: Callable[[], float] | None = None, id: str = "machines", classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.runtime: Runtime | None = None
        self._clock = clock
        self.query_text = ""
        self.last_search_ms = 0.0
        self.on_search_painted: list[Callable[[float], None]] = []  #: bench hooks: key-to-paint latency (s)
        self._generation = -1
        self._marks_pending = False
        self._details_timer: Timer | None = None
        self._searched_at = 0.0
        self._status_shown: Text | None = None

    def compose(self) -> ComposeResult:
        yield SearchInput(id="machine-search", on_change=self._search_changed, on_leave=self._focus_list)
        yield Static("", id="machine-header", markup=False)
        yield MachineList(clock=self._clock, id="machine-list")
        yield Static(f"Connecting to the tenant{current().ellipsis}", id="machine-status", markup=False)
        yield MachineDetails(clock=self._clock, id="machine-details")

    # ------------------------------------------------------------ typed access

    @property
    def machine_list(self) -> MachineList:
        return self.query_one("#machine-list", MachineList)

    @property
    def search_input(self) -> SearchInput:
        return self.query_one("#machine-search", SearchInput)

    @property
    def details(self) -> MachineDetails:
        return self.query_one("#machine-details", MachineDetails)

    @property
    def inventory(self) -> Inventory | None:
        return self.runtime.inventory if self.runtime else None

    @property
    def marked_machines(self) -> tuple[Machine, ...]:
        inv = self.inventory
        if inv is None:
            return ()
        found = (inv.get(mid) for mid in self.machine_list.marked)
        return tuple(m for m in found if m is not None)

    # ------------------------------------------------------------ runtime

    def bind_runtime(self, runtime: Runtime) -> None:
        """Called once by the app when the runtime is ready: load the tenant."""
        self.runtime = runtime
        self.details.show_message(f"Loading machines{current().ellipsis}")
        self.action_refresh_inventory()

    def focus_default(self) -> None:
        """What the app focuses when this pane is shown: the machine list."""
        self.machine_list.focus()

    def action_refresh_inventory(self) -> None:
        if self.runtime is None:
            return
        self._set_status(f"Loading machines from the service{current().ellipsis}")
        self.app.run_worker(
            self._load(self.runtime),
            group="inventory",
            exclusive=True,
            exit_on_error=False,
            description="Loading machines",
        )

    async def _load(self, runtime: Runtime) -> None:
        inv = runtime.inventory

        def on_page(loaded: int, page: int) -> None:
            self._set_status(f"Loading machines{current().ellipsis} {loaded:,} so far")
            self._apply_search(force=True)

        try:
            await inv.load(runtime.client, on_page=on_page, page_size=PAGE_SIZE)
        finally:
            self._apply_search(force=True)
        self.post_message(self.Loaded(len(inv)))

    class Loaded(Message):
        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    # ------------------------------------------------------------ search

    def _search_changed(self, value: str) -> None:
        """Called by the search box as its value changes (synchronously: same frame as the keystroke)."""
        if value == self.query_text:
            return
        self.query_text = value
        self._apply_search(started=time.monotonic())

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "machine-search":
            event.stop()  # already applied by _search_changed

    def _apply_search(self, *, force: bool = False, started: float | None = None) -> None:
        inv = self.inventory
        if inv is None:
            return
        t0 = time.perf_counter()
        if started is not None:  # typed: the details may lag the list (a page load shows them at once)
            self._searched_at = time.monotonic()
        rows = inv.search(self.query_text)
        self.last_search_ms = (time.perf_counter() - t0) * 1000
        if inv.generation != self._generation:
            self._generation = inv.generation
            self.machine_list.invalidate()
        self.machine_list.set_rows(inv, rows)
        self._update_status(inv)
        if started is not None and self.on_search_painted:
            self.call_after_refresh(self._report_latency, started)

    def _report_latency(self, started: float) -> None:
        latency = time.monotonic() - started
        for hook in list(self.on_search_painted):
            hook(latency)

    def on_search_input_leave(self, event: SearchInput.Leave) -> None:
        event.stop()
        self._focus_list()

    def _focus_list(self) -> None:
        self.app.set_focus(self.machine_list)

    def action_focus_search(self) -> None:
        self.search_input.focus()

    def jump_to(self, machine_id: str, *, mark: bool = False) -> bool:
        """Highlight ``machine_id`` (clearing the search when it hides it); optionally mark it."""
        inv = self.inventory
        index = inv.index_of(machine_id) if inv is not None else None
        if index is None:
            return False
        lst = self.machine_list
        if index not in set(lst.rows):
            self.search_input.value = ""
            self.query_text = ""
            self._apply_search(force=True)
        lst.cursor = lst.rows.index(index)
        if mark:
            lst.mark(machine_id)
        lst.focus()
        return True

    # ------------------------------------------------------------ list events

    def on_machine_list_highlighted(self, event: MachineList.Highlighted) -> None:
        event.stop()
        if self._details_timer is not None:
            self._details_timer.stop()
            self._details_timer = None
        if time.monotonic() - self._searched_at < DETAILS_DELAY:
            # While typing, the list comes first: the details follow once the keys pause.
            self._details_timer = self.set_timer(DETAILS_DELAY, lambda: self._show_details(event.index))
        else:
            self._show_details(event.index)

    def _show_details(self, index: int | None) -> None:
        self._details_timer = None
        inv = self.inventory
        if inv is None:
            return
        if index is None or index >= len(inv):
            self.details.show_message("No machine matches the search." if len(inv) else "No machines yet.")
        else:
            self.details.show_machine(inv[index])

    def on_machine_list_marks_changed(self, event: MachineList.MarksChanged) -> None:
        event.stop()
        inv = self.inventory
        if inv is not None:
            self._update_status(inv)
        if not self._marks_pending:  # coalesce a burst of marks into one message
            self._marks_pending = True
            self.call_later(self._post_marks)

    def _post_marks(self) -> None:
        self._marks_pending = False
        self.post_message(self.MarkedChanged(self.marked_machines))

    # ------------------------------------------------------------ status

    def on_machine_list_resized(self, event: MachineList.Resized) -> None:
        event.stop()
        self.query_one("#machine-header", Static).update(Text(header_text(event.width), style="bold"), layout=False)

    def _set_status(self, text: str) -> None:
        self._status_shown = None
        self.query_one("#machine-status", Static).update(Text(text), layout=False)

    def _update_status(self, inv: Inventory) -> None:
        lst = self.machine_list
        shown, total, marked = len(lst.rows), len(inv), len(lst.marked)
        out = Text()
        out.append(f"{shown:,}", style="bold")
        out.append(f" of {total:,} machines" if self.query_text else f" machine{'s' if total != 1 else ''}")
        if marked:
            out.append("  ·  ")
            out.append(f"{marked:,} marked", style="bold reverse")
        if inv.loading:
            out.append(f"  ·  loading{current().ellipsis}")
        elif not marked:
            out.append("  ·  space marks, a marks all, c clears", style="dim")
        if out == self._status_shown:  # typing often keeps the count: skip the repaint
            return
        self._status_shown = out
        self.query_one("#machine-status", Static).update(out, layout=False)
