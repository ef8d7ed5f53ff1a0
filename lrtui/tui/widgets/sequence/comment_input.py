"""The required Comment, prefilled from the profile's ``comment_prefix`` (e.g. "analyst=jdoe case=IR-1234: ")."""

from __future__ import annotations

from pathlib import Path

from textual.binding import Binding
from textual.widgets import Input

from lrtui.api.sequence import MAX_COMMENT


def comment_problem(text: str) -> str | None:
    if not text.strip():
        return "A comment is required: say who runs this and why (for example the case id)."
    if len(text) > MAX_COMMENT:
        return f"The comment is {len(text)} characters; the limit is {MAX_COMMENT}."
    return None


class CommentInput(Input):
    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")
    BINDINGS = [Binding("escape", "leave", "Done", id="comment-done", tooltip="Back to the command list")]

    def __init__(self, prefix: str = "", *, id: str | None = None) -> None:
        super().__init__(
            value=prefix,
            placeholder="Comment (required): who runs this and why, e.g. case id",
            max_length=MAX_COMMENT,
            select_on_focus=False,
            id=id,
        )
        self.border_title = "Comment"
        self._refresh_state()

    def prefill(self, prefix: str) -> None:
        """Put the profile's prefix in, unless the analyst already typed something."""
        if not self.value.strip() and prefix:
            self.value = prefix
            self.cursor_position = len(prefix)

    @property
    def problem(self) -> str | None:
        return comment_problem(self.value)

    def _refresh_state(self) -> None:
        self.set_class(self.problem is not None, "-missing")

    def action_leave(self) -> None:
        """Escape (or enter) keeps the text and goes back to the command list, so plain keys work again."""
        target = self.screen.query("#sequence-commands")
        if target:
            target.first().focus()
        else:
            self.screen.focus_next()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input is self:
            self.action_leave()

    def watch_value(self, value: str) -> None:
        self._refresh_state()
