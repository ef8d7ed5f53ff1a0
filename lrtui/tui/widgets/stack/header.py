"""The stack view's header: which batch and script, the batch at a glance (states, exit codes, failures,
GetFile hashes), the masks in force, and what the view is doing (reading, masking)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from lrtui.engine.stacking import DEFAULT_MASKS, Glance
from lrtui.tui.glyphs import current
from lrtui.tui.safe_text import append_clean
from lrtui.tui.widgets.stack.model import StackData


def _counts(counter: dict[str, int] | dict[int | None, int]) -> str:
    return ", ".join(f"{n} {k if k is not None else 'none'}" for k, n in sorted(counter.items(), key=lambda kv: -kv[1]))


def glance_text(g: Glance) -> Text:
    t = Text()
    t.append(f"{g.jobs} jobs", style="bold")
    waiting = {k: n for k, n in g.states.items() if k != "done"}  # not finished yet: their state
    if g.outcomes or waiting:
        t.append(f": {_counts({**dict(g.outcomes), **waiting})}".replace("_", " "))
    if g.exit_codes:
        t.append("  exit codes: ", style="bold")
        t.append(_counts(dict(g.exit_codes)))
    if g.failures:
        t.append("  failed: ", style="bold")
        t.append(_counts(dict(g.failures)).replace("_", " "))
    if g.stderr:
        t.append("  exit 0 with stderr: ", style="bold")
        t.append(str(g.stderr), style="yellow")
    for f in g.files:
        t.append("\nGetFile ", style="bold")
        append_clean(t, f.device_path)
        t.append(f": {len(f.machines)} {current().times} ")
        t.append(f.sha256[:12] if f.sha256 else "not collected", style="" if f.sha256 else "yellow")
    return t


class StackHeader(Static):
    DEFAULT_CSS = """
    StackHeader { height: auto; max-height: 6; padding: 0 1; background: $boost; }
    """

    def __init__(self, comment: str, *, id: str | None = None) -> None:
        super().__init__(Text("Batch"), markup=False, id=id)
        self._comment = comment  #: the batch's comment (untrusted)
        self._data: StackData | None = None
        self._state = ""

    def show(self, data: StackData | None, state: str = "") -> None:
        """Show ``data`` (None keeps the last one) and the state ("" when idle, "masking…", an error)."""
        if data is not None:
            self._data = data
        self._state = state
        self.update(self._text())

    def _text(self) -> Text:
        t = Text()
        t.append("Batch ", style="bold")
        append_clean(t, self._comment or "(no comment)")
        data = self._data
        if data is not None:
            t.append("  RunScript ", style="bold")
            append_clean(t, data.step.label)
            t.append("\n")
            t.append_text(glance_text(data.glance))
            t.append(f"  outputs: {len(data.outputs)}")
            if data.without_output:
                t.append(f" ({data.without_output} without)", style="yellow")
            t.append("\nmasks: ", style="bold")
            if data.masks:
                t.append(", ".join(data.masks), style="cyan")
                t.append(" (m turns them off)", style="dim")
            else:
                t.append("off", style="yellow")
                t.append(f" (m masks {', '.join(DEFAULT_MASKS)})", style="dim")
        if self._state:
            t.append(f"  {self._state}", style="bold yellow")
        return t
