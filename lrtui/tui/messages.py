"""App-level messages: any widget may ask for an error to be shown; the app tells itself the runtime is ready.

The words for an error come from ``lrtui.api.errors.error_text`` (the one error-text function).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from lrtui.runtime import Runtime


class ShowError(Message):
    """Any widget may post this; the app shows one clear plain-text message (never a traceback)."""

    def __init__(self, error: BaseException | str, *, title: str | None = None) -> None:
        super().__init__()
        self.error = error
        self.title = title


class RuntimeReady(Message):
    """Posted by the app (to itself) when the runtime has been built; the app then binds the panes."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime
