"""The five panes and which of them the screen shows.

Machines is composed with the first frame; the four right-hand panes are imported, built and mounted into
their ``PaneSlot`` after it, one per refresh (``PaneLayout.build_next``), so that no step holds the screen for
long; the runtime, once ready, gets every pane (``PaneLayout.build_all`` builds what the steps have not yet). Under 120 columns only the current pane is shown;
from 120 columns Machines and the right-hand pane (the last right-hand pane shown) sit side by side. The CSS
(``app.tcss``) does the showing, from the ``-current`` and ``-right`` classes set here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple, TypeAlias

from textual.containers import Container
from textual.widget import AwaitMount, Widget

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


class RightPanes(NamedTuple):
    """The four right-hand panes, typed (the app calls their methods directly). A NamedTuple, not a dataclass:
    this module is imported before the first frame, and a dataclass costs half a millisecond to define."""

    sequence: SequencePane
    activity: ActivityPane
    results: ResultsPane
    requestlog: RequestLogPane


class PaneFactory:
    """Builds one right-hand pane by name; each pane's module is imported when that pane is built."""

    __slots__ = ("clock", "comment_prefix")

    def __init__(self, *, comment_prefix: str, clock: Callable[[], float]) -> None:
        self.comment_prefix = comment_prefix
        self.clock = clock

    def __call__(self, name: str) -> RightPane:
        if name == "sequence":
            from lrtui.tui.widgets.sequence.pane import SequencePane

            return SequencePane(id="sequence", comment_prefix=self.comment_prefix)
        if name == "activity":
            from lrtui.tui.widgets.activity.pane import ActivityPane

            return ActivityPane(id="activity", clock=self.clock)
        if name == "results":
            from lrtui.tui.widgets.results.pane import ResultsPane

            return ResultsPane(id="results")
        if name == "requestlog":
            from lrtui.tui.widgets.requestlog.pane import RequestLogPane

            return RequestLogPane(id="requestlog")
        raise ValueError(f"no right-hand pane called {name!r}")


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
        self._mounting: dict[str, AwaitMount] = {}

    def missing(self) -> str | None:
        """The next right-hand pane to build: the one on screen first, then in tab order; None when all are."""
        for name in (self.current, self.right, *RIGHT_PANES):
            if name in self.slots and name not in self.panes:
                return name
        return None

    def build_next(self, factory: PaneFactory) -> bool:
        """Build and mount one missing right-hand pane; False when there was none left to build."""
        name = self.missing()
        if name is None:
            return False
        pane = self.panes[name] = factory(name)
        self._mounting[name] = self.slots[name].mount(pane)
        return True

    async def build_all(self, factory: PaneFactory) -> RightPanes:
        """Every right-hand pane, built and mounted (what ``build_next`` has not done yet is done now)."""
        while self.build_next(factory):
            pass
        for waiting in list(self._mounting.values()):  # a mount already done is awaited at no cost
            await waiting
        right = self.right_panes()
        assert right is not None, "every right-hand pane was just built"
        return right

    def right_panes(self) -> RightPanes | None:
        """The four right-hand panes once all are built, else None."""
        from lrtui.tui.widgets.activity.pane import ActivityPane
        from lrtui.tui.widgets.requestlog.pane import RequestLogPane
        from lrtui.tui.widgets.results.pane import ResultsPane
        from lrtui.tui.widgets.sequence.pane import SequencePane

        p = self.panes
        if self.missing() is not None:
            return None
        sequence, activity, results, log = p["sequence"], p["activity"], p["results"], p["requestlog"]
        assert isinstance(sequence, SequencePane) and isinstance(activity, ActivityPane)
        assert isinstance(results, ResultsPane) and isinstance(log, RequestLogPane)
        return RightPanes(sequence=sequence, activity=activity, results=results, requestlog=log)

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

    def focus(self, name: str, *, before: Widget | None = None, now: Widget | None = None) -> None:
        """Focus what ``name`` focuses first (its list or table), unless something inside that pane was
        focused since ``before`` (``now``): a key or a call made meanwhile is not taken back."""
        if now is not None and now is not before and self.owner(now) == name:
            return
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
