"""App-level messages and the one function that turns any failure into words for the user."""

from __future__ import annotations

from textual.message import Message

from lrtui.tui.safe_text import clean


class ShowError(Message):
    """Any widget may post this; the app shows one clear plain-text message (never a traceback)."""

    def __init__(self, error: BaseException | str, *, title: str | None = None) -> None:
        super().__init__()
        self.error = error
        self.title = title


class RuntimeReady(Message):
    """Posted by the app (to itself) when the runtime has been built and the panes are bound."""

    def __init__(self, runtime: object) -> None:
        super().__init__()
        self.runtime = runtime


def error_text(error: BaseException | str) -> str:
    """A one-paragraph plain-text description: ``user_message()`` for our errors, else type and text."""
    if isinstance(error, str):
        return clean(error)
    user_message = getattr(error, "user_message", None)
    if callable(user_message):
        try:
            return clean(user_message())
        except Exception:  # a broken user_message must not hide the error itself
            pass
    text = str(error).strip()
    name = type(error).__name__
    if isinstance(error, (OSError, TimeoutError)) and not text:
        text = "the operation failed or timed out"
    if isinstance(error, ImportError):
        return clean(f"A part of lrtui is missing ({text}). Reinstall lrtui.")
    return clean(f"{name}: {text}" if text else name)
