"""Command palette providers: machines, library scripts, saved sequences, actions and results, themes.

Registered as ``App.COMMANDS | COMMAND_PROVIDERS`` so Textual's own commands (keys, screenshot, quit...)
stay. Everything heavy is imported inside the methods; the palette reads the runtime, never the service
directly (the library list comes from the engine, which caches it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher
from textual.markup import escape
from textual.screen import Screen
from textual.style import Style

from lrtui.api.enums import CommandType
from lrtui.tui.safe_text import safe_line

if TYPE_CHECKING:
    from lrtui.api.models import LibraryFile
    from lrtui.runtime import Runtime
    from lrtui.tui.app import LrtuiApp

#: (text shown, what choosing it does, help line)
Item: TypeAlias = tuple[str, Callable[[], object], str | None]

MAX_MACHINE_HITS = 20
_COMMAND_WORDS = {"mark", "machine", "machine:", "machines", "jump", "to", "go", "goto"}


def machine_query(query: str) -> str:
    """The search part of a palette query: "mark machine: web-01" -> "web-01"."""
    words = query.split()
    while words and words[0].lower() in _COMMAND_WORDS:
        words.pop(0)
    return " ".join(words)


def highlighted(matcher: Matcher, text: str) -> Content:
    """``text`` as plain ``Content`` (never markup: names come from the tenant) with the fuzzy match styled.

    Textual's ``Matcher.highlight`` reads its candidate as markup (``[link=...]`` in a machine name would
    become a hyperlink), so the palette's prompts are built here.
    """
    content = Content(text)
    score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    if score:
        for offset in offsets:
            if not text[offset].isspace():
                content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


def palette_hit(matcher: Matcher, score: float, text: str, command: Callable[[], object], help_text: str | None) -> Hit:
    """A palette hit whose prompt and help are plain text (the palette parses ``help`` as markup)."""
    return Hit(score, highlighted(matcher, text), command, text=text, help=escape(help_text) if help_text else None)


class _LrtuiProvider(Provider):
    @property
    def lrtui(self) -> LrtuiApp:
        from lrtui.tui.app import LrtuiApp  # the app module imports this one

        app = self.app
        assert isinstance(app, LrtuiApp), "lrtui's palette providers run only in LrtuiApp"
        return app

    @property
    def runtime(self) -> Runtime | None:
        return self.lrtui.runtime

    async def _ranked(self, query: str, items: Iterable[Item]) -> Hits:
        """Yield a Hit per (text, callback, help) item that matches ``query``."""
        matcher = self.matcher(query)
        for text, command, help_text in items:
            score = matcher.match(text)
            if score > 0:
                yield palette_hit(matcher, score, text, command, help_text)


class MachineCommands(_LrtuiProvider):
    """Jump to a machine or mark it, over the whole tenant (uses the inventory's search)."""

    async def search(self, query: str) -> Hits:
        runtime = self.runtime
        words = machine_query(query)
        if runtime is None or not words:
            return
        inventory = runtime.inventory
        rows = inventory.search(words)[:MAX_MACHINE_HITS]
        matcher = self.matcher(query)
        for index in rows:
            machine = inventory[index]
            name = safe_line(machine.name)
            score = max(matcher.match(f"Machine: {name}"), 0.3)
            detail = " ".join(x for x in (machine.os_platform, machine.health_status, machine.last_ip_address) if x)
            yield palette_hit(matcher, score, f"Machine: {name}", partial(self._jump, machine.id, False),
                              safe_line(detail))  # fmt: skip
            mark_score = max(matcher.match(f"Mark machine: {name}"), 0.25)
            yield palette_hit(matcher, mark_score, f"Mark machine: {name}", partial(self._jump, machine.id, True),
                              "Jump to it and mark it")  # fmt: skip

    def _jump(self, machine_id: str, mark: bool) -> None:
        self.lrtui.action_show_pane("machines")
        self.lrtui.machines_pane.jump_to(machine_id, mark=mark)


class LibraryCommands(_LrtuiProvider):
    """Add a PutFile or RunScript of a library file to the sequence."""

    def __init__(self, screen: Screen[Any], match_style: Style | None = None) -> None:
        super().__init__(screen, match_style)
        self._files: list[LibraryFile] = []

    async def startup(self) -> None:
        runtime = self.runtime
        if runtime is None:
            return
        try:
            self._files = list(await runtime.engine.library())
        except Exception as exc:  # the palette still works without the library
            self.app.log.warning(f"library unavailable for the palette: {exc!r}")

    def _items(self) -> list[Item]:
        items: list[Item] = []
        for f in self._files:
            name = safe_line(f.file_name)
            desc = safe_line(f.description or "")
            items.append((f"Add PutFile: {name}", partial(self._add, f, CommandType.PUT_FILE), desc or None))
            if name.lower().endswith((".ps1", ".sh", ".py", ".bat", ".cmd")) or f.has_parameters:
                hint = safe_line(f.parameters_description or "") if f.has_parameters else desc
                items.append((f"Add RunScript: {name}", partial(self._add, f, CommandType.RUN_SCRIPT), hint or None))
        return items

    async def search(self, query: str) -> Hits:
        async for hit in self._ranked(query, self._items()):
            yield hit

    async def discover(self) -> Hits:
        for text, command, help_text in self._items()[:10]:
            yield DiscoveryHit(Content(text), command, text=text, help=escape(help_text) if help_text else None)

    def _add(self, file: LibraryFile, kind: CommandType) -> None:
        pane = self.lrtui.sequence_pane
        if pane is None:
            self.app.notify("The sequence pane is not ready yet.", severity="warning", markup=False)
            return
        self.lrtui.action_show_pane("sequence")
        pane.add_library_command(file, kind)


class SavedSequenceCommands(_LrtuiProvider):
    """Load a saved sequence into the Sequence pane."""

    def __init__(self, screen: Screen[Any], match_style: Style | None = None) -> None:
        super().__init__(screen, match_style)
        self._names: list[str] = []

    async def startup(self) -> None:
        from lrtui.tui import saved_sequences

        try:
            self._names = saved_sequences.list_saved()
        except OSError as exc:
            self.app.log.warning(f"saved sequences unavailable: {exc!r}")

    def _items(self) -> list[Item]:
        return [(f"Load sequence: {safe_line(n)}", partial(self._load, n), "Saved sequence") for n in self._names]

    async def search(self, query: str) -> Hits:
        async for hit in self._ranked(query, self._items()):
            yield hit

    def _load(self, name: str) -> None:
        from lrtui.tui import saved_sequences

        try:
            seq = saved_sequences.load(name)
        except Exception as exc:
            self.lrtui.show_error(exc, title="Saved sequence")
            return
        pane = self.lrtui.sequence_pane
        if pane is not None:
            self.lrtui.action_show_pane("sequence")
            pane.load_sequence(seq)


class ActionCommands(_LrtuiProvider):
    """App actions, and "open results" for every job the engine knows (this session and the journal's)."""

    def _static(self) -> list[Item]:
        app = self.lrtui
        return [
            ("Show Machines", partial(app.action_show_pane, "machines"), "Pane 1"),
            ("Show Sequence", partial(app.action_show_pane, "sequence"), "Pane 2"),
            ("Show Activity", partial(app.action_show_pane, "activity"), "Pane 3"),
            ("Show Results", partial(app.action_show_pane, "results"), "Pane 4"),
            ("Show Request log", partial(app.action_show_pane, "requestlog"), "Pane 5: every API call"),
            ("Run the sequence on the marked machines", app.action_run_sequence, "ctrl+r"),
            ("Refresh machines from the service", app.machines_pane.action_refresh_inventory, "r in Machines"),
            ("Clear machine marks", app.machines_pane.machine_list.action_clear_marks, "c in Machines"),
            ("Help: keys", app.action_help, "?"),
        ]

    def _jobs(self) -> list[Item]:
        runtime = self.runtime
        if runtime is None:
            return []
        items: list[Item] = []
        for job in list(runtime.engine.jobs)[-200:]:
            state = job.outcome.value if job.outcome else job.state.value
            cmds = ", ".join(c.label() for c in job.sequence.commands)[:60]
            items.append((f"Open results: {safe_line(job.machine_name)} ({state})",
                          partial(self.lrtui.open_results, job.id), safe_line(cmds)))  # fmt: skip
        return items

    async def search(self, query: str) -> Hits:
        async for hit in self._ranked(query, self._static() + self._jobs()):
            yield hit

    async def discover(self) -> Hits:
        for text, command, help_text in self._static():
            yield DiscoveryHit(Content(text), command, text=text, help=escape(help_text) if help_text else None)


class ThemeCommands(_LrtuiProvider):
    """Switch theme (the choice is saved to the config file)."""

    def _items(self) -> list[Item]:
        names = sorted(self.app.available_themes)
        names.sort(key=lambda n: not n.startswith("lrtui-"))
        return [(f"Theme: {n}", partial(self._use, n), "Saved as [ui] theme") for n in names]

    def _use(self, name: str) -> None:
        self.app.theme = name

    async def search(self, query: str) -> Hits:
        async for hit in self._ranked(query, self._items()):
            yield hit


COMMAND_PROVIDERS = {MachineCommands, LibraryCommands, SavedSequenceCommands, ActionCommands, ThemeCommands}
