"""The machine search box: filters as you type; escape clears it, down/enter go to the list."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input

PLACEHOLDER = '/ search: name, IP, tag:x os:linux risk:high health:offline group:"..."'


class SearchInput(Input):
    """``Input`` with the search query language in its placeholder."""

    BINDING_GROUP_TITLE = "Machine search"
    BINDINGS = [
        Binding("escape", "clear_or_leave", "Clear/leave", id="search-clear", tooltip="Clear the search, then leave"),
        Binding("down,enter", "leave", "To list", id="search-to-list", tooltip="Go to the machine list"),
    ]

    class Leave(Message):
        """The user wants to go back to the list."""

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("placeholder", PLACEHOLDER)
        super().__init__(**kw)

    def action_clear_or_leave(self) -> None:
        if self.value:
            self.value = ""
        else:
            self.post_message(self.Leave())

    def action_leave(self) -> None:
        self.post_message(self.Leave())
