"""The budget gauges: calls in the rolling window with a countdown to the next slot, sessions out of 25,
jobs queued with the queue's ETA, the general API budget, any Retry-After back-off, the paused flag, and the
team's shared sessions ("Sessions 19/25, 7 yours") or, while its store is unreachable, that budgets are local."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.widgets import Static

from lrtui.engine.jobs import BudgetSnapshot
from lrtui.tui.glyphs import current
from lrtui.tui.widgets.activity.format import short


def bar(used: int, limit: int, width: int = 10) -> tuple[str, str]:
    if limit <= 0:
        return "", ""
    filled = min(width, round(width * used / limit))
    style = "red" if used >= limit else ("yellow" if used >= 0.7 * limit else "green")
    g = current()
    return g.bar_full * filled + g.bar_empty * (width - filled), style


def gauges_text(s: BudgetSnapshot | None, width: int = 120) -> Text:
    """Two lines from 100 columns, three below (and one for the team); each line short enough not to wrap."""
    t = Text(no_wrap=True, overflow="ellipsis")
    if s is None:
        t.append("connecting...", style="dim")
        return t
    b, style = bar(s.calls_used, s.calls_limit)
    t.append("Calls ", style="bold")
    t.append(b + " ", style=style)
    t.append(f"{s.calls_used}/{s.calls_limit}")
    t.append(f" per {s.window_s:g}s", style="dim")
    t.append(" · next slot ")
    t.append(short(s.next_slot_in_s), style="bold" if s.next_slot_in_s > 0 else "green")
    t.append("   " if width >= 100 else "\n")
    t.append("Sessions ", style="bold")
    sb, sstyle = bar(s.sessions_used, s.sessions_limit, 5)
    t.append(sb + " ", style=sstyle)
    t.append(f"{s.sessions_used}/{s.sessions_limit}")
    t.append(" · queued ", style="bold")
    t.append(str(s.queued))
    if s.queued:
        t.append(f" · ETA {short(s.eta_drain_s)}")
    t.append(f" · active {s.active}")
    t.append("\n")
    if s.paused:
        t.append(f"{current().paused} PAUSED (p resumes)  ", style="bold yellow")
    if s.backoff_until_s > 0:
        t.append("Back-off ", style="bold red")
        t.append(short(s.backoff_until_s) + "  ", style="bold red")
    t.append("API ", style="bold")
    t.append(
        f"{s.general_used_minute}/{s.general_limit_minute} a minute, {s.general_used_hour}/{s.general_limit_hour} an hour",
        style="yellow" if s.general_used_minute >= 0.8 * s.general_limit_minute else "dim",
    )
    if s.team_degraded:  # a line of its own: the panes are narrow
        t.append(f"\n{current().warn} team store unavailable: local half budgets", style="bold yellow")
    elif s.team is not None:
        t.append("\nTeam ", style="bold")
        t.append(s.team.sessions_text())
        t.append(f" · calls {s.team.rate_used}/{s.team.rate_limit}", style="dim")
    return t


class Gauges(Static):
    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(gauges_text(None), markup=False, id=id)
        self._last: Text | None = None

    def show(self, snapshot: BudgetSnapshot | None) -> None:
        text = gauges_text(snapshot, self.size.width or 120)
        if self._last is not None and text.plain == self._last.plain:
            return
        self._last = text
        self.update(text)
