"""The request log, like lazygit's command log: every API call with method, redacted URL, status and timing.

Newest at the bottom, bounded to ``MAX_LINES``. Records arrive as ``RequestLogged`` events, are buffered and
written in one batch per flush. URLs come already redacted from the client (no SAS signature, no token).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import RichLog, Static

from lrtui.api.records import RequestRecord
from lrtui.api.text import clean_line
from lrtui.engine.jobs import Event, RequestLogged
from lrtui.tui.safe_text import append_clean

if TYPE_CHECKING:
    from lrtui.runtime import Runtime

MAX_LINES = 1000
FLUSH_S = 0.25


def status_style(rec: RequestRecord) -> str:
    s = rec.status
    if s is None:
        return "bold red"
    if s == 429:
        return "bold yellow"
    if s >= 500:
        return "bold red"
    if s >= 400:
        return "yellow"
    return "green"


def short_url(url: str, api_host: str | None = None) -> str:
    """Path and query (decoded for reading) for the API host; the host too for anything else (result links)."""
    from urllib.parse import unquote, urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    tail = unquote(parts.path + (f"?{parts.query}" if parts.query else ""))
    if api_host is not None and parts.netloc == api_host:
        return tail
    return f"{parts.netloc}{tail}" if parts.netloc else tail


def record_line(rec: RequestRecord, api_host: str | None = None) -> Text:
    t = Text(no_wrap=True)
    when = datetime.fromtimestamp(rec.at, UTC).strftime("%H:%M:%S") if rec.at > 1e9 else f"{rec.at:9.1f}"
    t.append(f"{when} ", style="dim")
    t.append(f"{rec.method:<6} ", style="bold")
    t.append(f"{rec.status if rec.status is not None else '---':>3} ", style=status_style(rec))
    t.append(f"{rec.elapsed_ms:>6.0f} ms ", style="dim")
    if rec.attempt > 1:
        t.append(f"try {rec.attempt} ", style="yellow")
    append_clean(t, short_url(rec.url, api_host))
    if rec.error:
        t.append("  ")
        append_clean(t, rec.error, status_style(rec))
    return t


class RequestLogPane(Vertical):
    DEFAULT_CSS = """
    RequestLogPane { height: 1fr; }
    RequestLogPane #requestlog-summary { height: 1; padding: 0 1; }
    RequestLogPane RichLog { height: 1fr; border: round $panel-lighten-2; scrollbar-size: 1 1; }
    RequestLogPane RichLog:focus { border: round $accent; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.runtime: Runtime | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._pending: list[RequestRecord] = []
        self._api_host: str | None = None
        self._texts: deque[Text] = deque(maxlen=MAX_LINES)  #: what the log shows, also while it is hidden
        self.count = 0
        self.errors = 0
        self.throttled = 0

    def compose(self) -> ComposeResult:
        yield Static(Text("Request log: connecting...", style="dim"), markup=False, id="requestlog-summary")
        log = RichLog(
            max_lines=MAX_LINES, wrap=False, markup=False, highlight=False, auto_scroll=True, id="requestlog-log"
        )
        log.border_title = "API calls (newest at the bottom)"
        yield log

    def on_mount(self) -> None:
        self.set_interval(FLUSH_S, self._flush, name="requestlog-flush")

    def on_unmount(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()

    def bind_runtime(self, runtime: Runtime) -> None:
        self.runtime = runtime
        from urllib.parse import urlsplit

        self._api_host = urlsplit(runtime.client.transport.base_url).netloc or None
        if self._api_host:
            self.query_one(RichLog).border_title = Text(
                f"API calls to {clean_line(self._api_host)} (newest at the bottom)"
            )
        self._pending.extend(list(runtime.request_log)[-MAX_LINES:])
        if self._unsubscribe:
            self._unsubscribe()
        self._unsubscribe = runtime.engine.subscribe(self._on_event)
        self._flush()

    def focus_default(self) -> None:
        self.query_one(RichLog).focus()

    def _on_event(self, event: Event) -> None:
        if isinstance(event, RequestLogged):
            self._pending.append(event.record)

    @property
    def lines(self) -> list[str]:
        """The log's lines as plain text, oldest first."""
        return [t.plain for t in self._texts]

    def _flush(self) -> None:
        if not self._pending:
            if self.runtime is not None and self.count == 0:
                self._summary()
            return
        batch, self._pending = self._pending[-MAX_LINES:], []
        log = self.query_one(RichLog)
        for rec in batch:
            self.count += 1
            self.errors += rec.status is None or rec.status >= 500
            self.throttled += rec.status == 429
            text = record_line(rec, self._api_host)
            self._texts.append(text)
            log.write(text)
        self._summary()

    def _summary(self) -> None:
        t = Text(no_wrap=True)
        t.append(f"{self.count} calls", style="bold")
        if self.throttled:
            t.append(f" · {self.throttled} throttled (429)", style="yellow")
        if self.errors:
            t.append(f" · {self.errors} failed", style="red")
        t.append(f" · showing the last {MAX_LINES}" if self.count > MAX_LINES else "", style="dim")
        self.query_one("#requestlog-summary", Static).update(t)
