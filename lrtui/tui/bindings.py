"""The app's own keys: pane numbers, run, help and quit (rebindable by id through ``[ui.keymap]``).

Plain keys (digits, ``?``, ``q``) must yield to a text field, so that "q" or "1" can be typed into a search box.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import Input

APP_BINDINGS: list[BindingType] = [
    Binding("1", "show_pane('machines')", "Machines", show=False, id="pane-machines", priority=True),
    Binding("2", "show_pane('sequence')", "Sequence", show=False, id="pane-sequence", priority=True),
    Binding("3", "show_pane('activity')", "Activity", show=False, id="pane-activity", priority=True),
    Binding("4", "show_pane('results')", "Results", show=False, id="pane-results", priority=True),
    Binding("5", "show_pane('requestlog')", "Request log", show=False, id="pane-requestlog", priority=True),
    Binding("ctrl+r", "run_sequence", "Run", id="run-sequence", priority=True,
            tooltip="Run the sequence on the marked machines"),
    Binding("question_mark,f1", "help", "Help", id="help", priority=True,
            tooltip="Every key of this pane and the app"),
    Binding("z", "zoom", "Zoom", show=False, id="zoom", priority=True,
            tooltip="Give the focused pane the whole width, and back (like tmux's zoom)"),
    Binding("q", "quit", "Quit", id="quit", priority=True, tooltip="Quit; running sessions continue on the service"),
    Binding("ctrl+q", "quit_anywhere", "Quit (also while typing)", show=False, priority=True, id="quit-ctrl"),
    Binding("tab", "focus_next", "Next", show=False, id="focus-next"),
    Binding("shift+tab", "focus_previous", "Previous", show=False, id="focus-previous"),
]  # fmt: skip

#: App actions bound to plain keys: refused while typing and under a modal.
PLAIN_KEY_ACTIONS = frozenset({"show_pane", "help", "quit", "zoom"})


def is_editing(widget: Widget | None) -> bool:
    """True when ``widget`` takes typed characters. lrtui's text fields are all ``Input`` (it has no TextArea)."""
    return isinstance(widget, Input)


def plain_key_allowed(action: str, *, modal_open: bool, focused: Widget | None) -> bool:
    """Whether the app's ``action`` may run now: plain-key actions wait while typing or under a dialog."""
    return action not in PLAIN_KEY_ACTIONS or not (modal_open or is_editing(focused))
