"""Failures as words on the screen: one plain-text toast per error (``lrtui.api.errors.error_text``).

The app has one worker-error handler (``LrtuiApp.on_worker_state_changed``); it and ``ShowError`` both end here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.worker import Worker, WorkerState

from lrtui.api.errors import error_text

if TYPE_CHECKING:
    from textual.app import App

ERROR_TIMEOUT_S = 12


def show_error(app: App[None], error: BaseException | str, *, title: str | None = None) -> None:
    """Log ``error`` and show it as a plain-text toast (never markup, never a traceback)."""
    text = error_text(error)
    app.log.error(text)
    app.notify(text, title=title or "Error", severity="error", markup=False, timeout=ERROR_TIMEOUT_S)


def worker_failure(worker: Worker[object], state: WorkerState) -> BaseException | None:
    """The error a worker ended with, or None when it did not fail."""
    if state is not WorkerState.ERROR:
        return None
    return worker.error


def failure_title(worker: Worker[object]) -> str:
    """``<what the worker was doing> failed``."""
    return f"{worker.description or worker.name or 'Background task'} failed"
