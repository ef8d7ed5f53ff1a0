"""``?``: every binding of the focused pane (and the widget in it) and of the app, with its keys."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from lrtui.api.text import clean_line

EXTRA = [
    (
        "^p",
        "Command palette: jump to or mark a machine, add a library script, load a saved sequence, "
        "open a job's results, switch theme",
        "",
    ),
]


def binding_groups(app: App[None], active: dict[str, ActiveBinding]) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(group title, [(keys, description, binding id)]) per node of the focus chain, from
    ``screen.active_bindings``.

    Keys that do the same action on the same node are joined (``up / k``); the keymap is already applied.
    """
    groups: dict[int, tuple[str, dict[str, tuple[list[str], str, str]]]] = {}
    for _key, active_binding in active.items():
        node, binding = active_binding.node, active_binding.binding
        if binding.system:
            continue
        title = node.BINDING_GROUP_TITLE or _title(node, app)
        _, actions = groups.setdefault(id(node), (title, {}))
        desc = binding.description or binding.tooltip or binding.action.replace("_", " ")
        keys, _, _ = actions.setdefault(binding.action, ([], desc, binding.id or ""))
        display = app.get_key_display(binding)
        if display not in keys:
            keys.append(display)
    ordered = sorted(groups.values(), key=lambda g: g[0] == "App")  # the app's keys last
    return [
        (title, [(" / ".join(keys), desc, bid) for keys, desc, bid in actions.values()]) for title, actions in ordered
    ]


def _title(node: DOMNode, app: App[None]) -> str:
    if node is app:
        return "App"
    if node is app.screen or type(node) is Screen:
        return "Focus and selection"
    return type(node).__name__


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 84; max-width: 100%; height: 90%; border: round $primary; background: $surface;
                            border-title-style: bold; border-title-color: $text; }
    HelpScreen VerticalScroll { padding: 0 1; scrollbar-size-vertical: 1; }
    HelpScreen .help-group { margin-bottom: 1; }
    HelpScreen #help-foot { padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "close", "Close", id="help-close"),
        Binding("down,j", "scroll('down')", "Down", show=False, id="help-down"),
        Binding("up,k", "scroll('up')", "Up", show=False, id="help-up"),
    ]

    def __init__(self, active_bindings: dict[str, ActiveBinding]) -> None:
        super().__init__()
        self._active = active_bindings

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Keys: the focused pane first, then the app"
            with VerticalScroll(id="help-body"):
                self.groups = binding_groups(self.app, self._active)
                for title, entries in self.groups:
                    yield Static(_table(title, entries), markup=False, classes="help-group")
                yield Static(_table("Palette", EXTRA), markup=False, classes="help-group")
            yield Static("escape closes · rebind in config.toml: [ui.keymap] <id> = \"keys\" (ids on the right)",
                         id="help-foot", markup=False)  # fmt: skip

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll(self, direction: str) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        body.scroll_down() if direction == "down" else body.scroll_up()


def _table(title: str, entries: list[tuple[str, str, str]]) -> Table:
    table = Table(title=Text(clean_line(title), style="bold underline"), title_justify="left", show_header=False,
                  box=None, expand=True, padding=(0, 1, 0, 0))  # fmt: skip
    table.add_column("keys", style="bold", width=20, no_wrap=True)
    table.add_column("what", ratio=1)
    table.add_column("id", style="dim", no_wrap=True, justify="right")
    for keys, what, binding_id in entries:
        table.add_row(Text(keys), Text(clean_line(what)), Text(binding_id))
    return table
