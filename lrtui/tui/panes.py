"""The five panes and which of them the screen shows.

Machines is composed with the first frame; the four right-hand panes are imported and built right after it
(``build_right_panes``) and mounted into their ``PaneSlot``. Under 120 columns only the current pane is shown;
from 120 columns Machines and the right-hand pane (the last right-hand pane shown) sit side by side. The CSS
(``app.tcss``) does the showing, from the ``-current`` and ``-right`` classes set here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from textual.containers import Container
from textual.widget import Widget

if TYPE_CHECKING:
    from lrtui.runtime import Runtime
    from lrtui.tui.header import PaneStrip
    from lrtui.tui.widgets.activity.pane import ActivityPane
    from lrtui.tui.widgets.machines.pane import MachinesPane
    from lrtui.tui.widgets.requestlog.pane import RequestLogPane
    from lrtui.tui.widgets.results.pane import ResultsPane
    from lrtui.tui.widgets.sequence.pane import SequencePane

    RightPane: TypeAlias = SequencePane | ActivityPane | ResultsPane | RequestLogPane
    AnyPane: TypeAlias = MachinesPane | RightPane

#: pane name -> tab label (its first word is the key that shows it)
PANE_LABELS: dict[str, str] = {
    "machines": "1 Machines",
    "sequence": "2 Sequence",
    "activity": "3 Activity",
    "results": "4 Results",
    "requestlog": "5 Log",
}
RIGHT_PANES = ("sequence", "activity", "results", "requestlog")


class PaneSlot(Container):
    """Where a right-hand pane is mounted after the first frame."""


@dataclass(frozen=True)
class RightPanes:
    """The four right-hand panes, typed (the app calls their methods directly)."""

    sequence: SequencePane
    activity: ActivityPane
    results: ResultsPane
    requestlog: RequestLogPane

    def items(self) -> tuple[tuple[str, RightPane], ...]:
        return (
            ("sequence", self.sequence),
            ("activity", self.activity),
            ("results", self.results),
            ("requestlog", self.requestlog),
        )


def build_right_panes(*, comment_prefix: str, clock: Callable[[], float]) -> RightPanes:
    """The right-hand panes. Imported here, after the first frame: they pull in the engine's types."""
    from lrtui.tui.widgets.activity.pane import ActivityPane
    from lrtui.tui.widgets.requestlog.pane import RequestLogPane
    from lrtui.tui.widgets.results.pane import ResultsPane
    from lrtui.tui.widgets.sequence.pane import SequencePane

    return RightPanes(
        sequence=SequencePane(id="sequence", comment_prefix=comment_prefix),
        activity=ActivityPane(id="activity", clock=clock),
        results=ResultsPane(id="results"),
        requestlog=RequestLogPane(id="requestlog"),
    )


def make_slots(right: str) -> dict[str, PaneSlot]:
    """One empty slot per right-hand pane; ``right`` starts as the right-hand side."""
    return {
        name: PaneSlot(id=f"slot-{name}", classes="pane" + (" -right" if name == right else "")) for name in RIGHT_PANES
    }


class PaneLayout:
    """Which pane is current and which one holds the right-hand side."""

    def __init__(self, machines: MachinesPane, slots: dict[str, PaneSlot], tabs: PaneStrip) -> None:
        self.machines = machines
        self.slots = slots
        self.tabs = tabs
        self.current = "machines"
        self.right = next(name for name, slot in slots.items() if slot.has_class("-right"))
        self.panes: dict[str, AnyPane] = {"machines": machines}

    def add(self, panes: RightPanes) -> None:
        """Mount the right-hand panes into their slots."""
        for name, pane in panes.items():
            self.panes[name] = pane
            self.slots[name].mount(pane)

    def bind(self, runtime: Runtime) -> list[tuple[str, Exception]]:
        """Give every pane the runtime; one pane that fails does not stop the others: ``(pane, error)`` each."""
        failed: list[tuple[str, Exception]] = []
        for name, pane in self.panes.items():
            try:
                pane.bind_runtime(runtime)
            except Exception as exc:
                failed.append((name, exc))
        return failed

    def show(self, name: str) -> None:
        """Make ``name`` current (and the right-hand side, unless it is Machines); the tab strip follows."""
        self.current = name
        if name != "machines":
            self.right = name
        for pane_name, slot in self.slots.items():
            slot.set_class(pane_name == self.right, "-right")
            slot.set_class(pane_name == name, "-current")
        self.machines.set_class(name == "machines", "-current")
        self.tabs.set_active(name)

    def focus(self, name: str) -> None:
        """Focus what ``name`` focuses first (its list or table)."""
        pane = self.panes.get(name)
        if pane is not None:
            pane.focus_default()

    def owner(self, widget: Widget) -> str | None:
        """The name of the pane that holds ``widget``, or None."""
        for name, pane in self.panes.items():
            if widget is pane or pane in widget.ancestors:
                return name
        return None

    def is_on_screen(self, name: str) -> bool:
        """Whether pane ``name`` takes up room on the screen now."""
        holder: Widget = self.machines if name == "machines" else self.slots[name]
        return bool(holder.display and holder.region.area)
