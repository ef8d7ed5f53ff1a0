"""The machine search box: filters as you type; escape, down and enter go to the list keeping the query;
ctrl+l clears it (a separate, visible key: the query an analyst built is never lost to escape)."""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive
from textual.widgets import Input

PLACEHOLDER = '/ search: name, IP, tag:x os:linux risk:high health:offline group:"..."'


class SearchInput(Input):
    """``Input`` with the search query language in its placeholder."""

    BINDING_GROUP_TITLE = "Machine search"
    BINDINGS = [
        Binding("escape", "leave", "Leave", id="search-leave", tooltip="Go to the machine list, keeping the query"),
        Binding("down,enter", "leave", "To list", id="search-to-list", tooltip="Go to the machine list"),
        Binding("ctrl+l", "clear_query", "Clear", id="search-clear", tooltip="Clear the search query"),
    ]

    #: Input sets its virtual size from the text's width on every keystroke, and the base reactive asks for a
    #: screen-wide layout pass each time; this box has fixed dimensions, so a repaint is enough (the list it
    #: filters then paints in the same frame).
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False, repaint=True)

    class Leave(Message):
        """The user wants to go back to the list."""

    def __init__(
        self,
        *,
        on_change: Callable[[str], None] | None = None,
        on_leave: Callable[[], None] | None = None,
        id: str | None = None,
        placeholder: str = PLACEHOLDER,
    ) -> None:
        super().__init__(placeholder=placeholder, id=id)
        self.on_change = on_change
        self.on_leave = on_leave

    def on_key(self, event: events.Key) -> None:
        """Keys typed right after enter/down (already queued here) belong to the list that now has focus."""
        focused = self.screen.focused
        if focused is not None and focused is not self:  # (has_focus is updated later, by the Blur event)
            event.prevent_default()
            event.stop()
            focused.post_message(events.Key(event.key, event.character))
        elif event.key in ("enter", "down"):
            # Handled here rather than by the binding (which runs once the key has bubbled to the app): keys
            # already queued behind this one must see the new focus.
            event.prevent_default()
            event.stop()
            self.action_leave()

    def watch_value(self, value: str) -> None:
        """Filter in the same handler as the keystroke, so the echo and the new list share one frame."""
        if self.on_change is not None:
            self.on_change(value)

    def action_clear_query(self) -> None:
        self.value = ""

    def action_leave(self) -> None:
        """Focus moves at once (not via a message), so keys typed right after land in the list."""
        if self.on_leave is not None:
            self.on_leave()
        else:
            self.post_message(self.Leave())
