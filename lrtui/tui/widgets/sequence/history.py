"""Re-run a past action's sequence: this session's jobs and the tenant's recent LiveResponse actions.

A past action's ``commands`` echo is read back with ``Sequence.from_body``, in its recorded order.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from lrtui.api.errors import LrtuiError, error_text
from lrtui.api.sequence import Sequence
from lrtui.api.text import clean_report
from lrtui.tui.safe_text import NOTE_STYLE, append_clean, note, plain
from lrtui.tui.styled import styled

if TYPE_CHECKING:
    from lrtui.runtime import Runtime

_MARKER = re.compile(r"\s*\[lrtui-job:[A-Za-z0-9_-]+\]")

CSS = """
HistoryScreen { align: center middle; }
HistoryScreen #history-dialog {
    width: 94%; max-width: 110; height: 90%;
    border: round $accent; background: $surface; padding: 0 1;
}
HistoryScreen #history-list { height: 1fr; min-height: 3; border: none; }
HistoryScreen #history-preview { height: auto; max-height: 10; color: $text-muted; }
"""


def _when(ts: float | datetime | None) -> str:
    if ts is None:
        return "?"
    dt = ts if isinstance(ts, datetime) else datetime.fromtimestamp(ts, UTC)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _entry(seq: Sequence, machine: str, when: str, source: str) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append(f"{when}  ", style="dim")
    t.append(f"{source:<7}", style="dim")
    name, name_removed = clean_report(machine, multiline=False)
    t.append(name[:28].ljust(29))
    append_clean(t, " · ".join(c.label() for c in seq.commands) or "(no commands)")
    if name_removed:
        t.append(f" {note(name_removed)} (machine name)", style=NOTE_STYLE)
    return t


class HistoryScreen(ModalScreen[Sequence | None]):
    DEFAULT_CSS = CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="history-cancel")]

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime
        self.entries: list[tuple[Sequence, Text]] = []
        self._seen: set[str] = set()

    def compose(self) -> ComposeResult:
        with Vertical(id="history-dialog") as v:
            v.border_title = "Re-run a past action's sequence"
            yield OptionList(id="history-list")
            yield Static(
                Text("Loading the tenant's recent live response actions...", style="dim"),
                markup=False,
                id="history-preview",
            )
            yield Static(Text("enter load into the builder · esc cancel", style="dim"), markup=False)

    def on_mount(self) -> None:
        jobs = sorted(self.runtime.engine.jobs, key=lambda j: j.created_at, reverse=True)
        for j in jobs:
            self._add(j.sequence, j.machine_name, _when(j.created_at), "lrtui")
        self.query_one("#history-list").focus()
        self._load_actions()

    def _add(self, seq: Sequence, machine: str, when: str, source: str) -> None:
        key = "|".join(c.label() for c in seq.commands)
        if key in self._seen or not seq.commands:
            return
        self._seen.add(key)
        self.entries.append((seq, _entry(seq, machine, when, source)))
        ol = self.query_one("#history-list", OptionList)
        ol.add_option(Option(self.entries[-1][1]))
        if ol.highlighted is None:
            ol.highlighted = 0

    @work(exclusive=True, group="history-actions", exit_on_error=False)
    async def _load_actions(self) -> None:
        from lrtui.api import odata

        preview = self.query_one("#history-preview", Static)
        try:
            actions = await self.runtime.client.actions.list(
                filter=str(odata.eq("type", "LiveResponse")), top=100, orderby="creationDateTimeUtc desc"
            )
        except Exception as e:
            preview.update(styled(f"Cannot list the tenant's actions: {error_text(e)}", "yellow"))
            return
        for a in actions:
            try:
                seq = Sequence.from_body(a.to_wire())
            except LrtuiError:
                continue
            seq = replace(seq, comment=_MARKER.sub("", seq.comment), extra={})
            self._add(seq, a.computer_dns_name or a.machine_id or "?", _when(a.creation_date_time_utc), "tenant")
        if not self.entries:
            preview.update(styled("No past live response actions with commands.", "yellow"))
        else:
            self._preview()

    @on(OptionList.OptionHighlighted, "#history-list")
    def _preview(self) -> None:
        i = self.query_one("#history-list", OptionList).highlighted
        if i is not None and i < len(self.entries):
            self.query_one("#history-preview", Static).update(plain(self.entries[i][0].to_json(indent=2)))

    @on(OptionList.OptionSelected, "#history-list")
    def _chosen(self) -> None:
        i = self.query_one("#history-list", OptionList).highlighted
        if i is not None and i < len(self.entries):
            self.dismiss(self.entries[i][0])

    def action_cancel(self) -> None:
        self.dismiss(None)
