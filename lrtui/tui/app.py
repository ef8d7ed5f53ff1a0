"""``LrtuiApp`` and ``make_app``: the shell around the panes.

Startup budget: the first frame needs only Textual, the header, the tab strip and the Machines pane. The other
panes are imported and mounted right after the first frame (``lrtui.tui.panes``), and the runtime (httpx,
msal, SQLite, the demo simulator) is built by the ``runtime_factory`` in a worker after that. Messages go up,
method calls go down:

- ``MachinesPane.MarkedChanged`` -> ``sequence_pane.set_targets(machines)``
- ``SequencePane.Submitted`` -> switch to Activity
- ``ActivityPane.OpenResults`` -> switch to Results and ``results_pane.show_job(job_id)``
- ``ShowError`` (from anywhere) and failed app workers -> one plain-text message (``lrtui.tui.errors``)

Panes that start I/O should run it with ``self.app.run_worker(..., exit_on_error=False)`` (or ``@work`` with
``exit_on_error=False`` and post ``ShowError``) so that failures reach the one handler here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.reactive import Reactive
from textual.widget import Widget
from textual.widgets import Footer, Input
from textual.worker import Worker

from lrtui.api.errors import error_text
from lrtui.tui.ansi_palette import READABLE_DARK, READABLE_LIGHT
from lrtui.tui.bindings import APP_BINDINGS, plain_key_allowed
from lrtui.tui.commands import COMMAND_PROVIDERS
from lrtui.tui.console_mode import GlyphsApp
from lrtui.tui.errors import failure_title, show_error, worker_failure
from lrtui.tui.header import AppHeader, PaneStrip
from lrtui.tui.memory import settle_memory
from lrtui.tui.messages import RuntimeReady, ShowError
from lrtui.tui.panes import PANE_LABELS, PaneFactory, PaneLayout, RightPanes, make_slots
from lrtui.tui.runtime_host import RuntimeHost
from lrtui.tui.sign_in import DeviceCodePrompt
from lrtui.tui.themes import DEFAULT, apply_themes
from lrtui.tui.widgets.machines.pane import MachinesPane

if TYPE_CHECKING:
    from rich.console import RenderableType
    from textual.theme import Theme

    from lrtui.api.models import Machine
    from lrtui.engine.jobs import Job
    from lrtui.runtime import Runtime, RuntimeFactory
    from lrtui.settings import Settings
    from lrtui.tui.widgets.activity.pane import ActivityPane
    from lrtui.tui.widgets.requestlog.pane import RequestLogPane
    from lrtui.tui.widgets.results.pane import ResultsPane
    from lrtui.tui.widgets.sequence.pane import SequencePane


class LrtuiApp(GlyphsApp):
    CSS_PATH = "app.tcss"
    TITLE = "lrtui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = APP_BINDINGS
    COMMANDS = App.COMMANDS | COMMAND_PROVIDERS
    # Rich's named colours ("red", "bold green") as readable truecolor on lrtui's surfaces (WCAG 4.5:1)
    ansi_theme_dark = Reactive(READABLE_DARK, init=False)
    ansi_theme_light = Reactive(READABLE_LIGHT, init=False)

    def __init__(
        self,
        settings: Settings,
        *,
        runtime_factory: RuntimeFactory,
        demo: bool | None = None,
        clock: Callable[[], float] | None = None,
        size_hint: tuple[int, int] | None = None,
        cursor_blink: bool = True,
        screenshot_dir: str | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.demo = settings.demo if demo is None else demo
        self.clock: Callable[[], float] = clock or time.time
        self.size_hint = size_hint
        self.cursor_blink = cursor_blink
        self.screenshot_dir = screenshot_dir
        self._host = RuntimeHost(runtime_factory)
        self.machines_loaded = False  #: the machine list has shown a complete load at least once
        self._right: RightPanes | None = None
        self._pane_factory = PaneFactory(comment_prefix=settings.profile.comment_prefix, clock=self.clock)
        self._pending_targets: tuple[Machine, ...] | None = None
        self._device_code = DeviceCodePrompt(self)
        self._theme_ready = False
        self.theme_failures: list[tuple[Path, str]] = []
        if settings.ui.keymap:
            self.set_keymap(dict(settings.ui.keymap))
        # Before the stylesheet is first parsed: a theme set later (on_mount) costs a full CSS reparse.
        apply_themes(self, settings.ui.theme or DEFAULT)

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        self.choose_glyphs(self.settings.ui.glyphs)
        profile = self.settings.profile
        self._header = AppHeader(profile.name or ("demo" if self.demo else "default"), profile.tenant_label,
                                 demo=self.demo)  # fmt: skip
        yield self._header
        tabs = PaneStrip(PANE_LABELS.items(), active="machines")
        yield tabs
        self._machines_pane = MachinesPane(clock=self.clock, classes="pane -current")
        slots = make_slots("sequence")
        self._layout = PaneLayout(self._machines_pane, slots, tabs)
        with Horizontal(id="panes"):
            yield self._machines_pane
            yield from slots.values()
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._device_code.attach()
        self.machines_pane.focus_default()
        self.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        self._finish_themes()
        self._build_next_pane()

    def _build_next_pane(self) -> None:
        """The right-hand panes, one per refresh (no step holds the screen for long), then the runtime."""
        if self.is_running:  # (not while shutting down)
            more = self._layout.build_next(self._pane_factory)
            self.call_after_refresh(self._build_next_pane if more else self._panes_built)

    async def _panes_built(self) -> None:
        self._right = await self._layout.build_all(self._pane_factory)
        self._deliver_targets()
        self._start_runtime()

    def pane(self, name: str) -> Widget | None:
        return self._layout.panes.get(name)

    @property
    def machines_pane(self) -> MachinesPane:
        return self._machines_pane

    @property
    def sequence_pane(self) -> SequencePane | None:
        return self._right.sequence if self._right else None

    @property
    def activity_pane(self) -> ActivityPane | None:
        return self._right.activity if self._right else None

    @property
    def results_pane(self) -> ResultsPane | None:
        return self._right.results if self._right else None

    @property
    def request_log_pane(self) -> RequestLogPane | None:
        return self._right.requestlog if self._right else None

    @property
    def current_pane(self) -> str:
        return self._layout.current

    def action_show_pane(self, name: str, *, focus: bool = True) -> None:
        if name not in PANE_LABELS:
            return
        self._layout.show(name)
        if focus:
            before = self.focused
            self.call_after_refresh(lambda: self._layout.focus(name, before=before, now=self.focused))

    @property
    def zoomed(self) -> bool:
        return self.query_one("#panes").has_class("-zoom")

    def action_zoom(self) -> None:
        """The current pane takes the whole width (from 120 columns, where two panes share it), and back."""
        self.query_one("#panes").toggle_class("-zoom")

    def on_pane_strip_selected(self, event: PaneStrip.Selected) -> None:
        event.stop()
        self.action_show_pane(event.name)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Digits, ``?`` and ``q`` work from any pane, but not while typing, and not under a modal."""
        return plain_key_allowed(action, modal_open=len(self.screen_stack) > 1, focused=self.focused)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Focus moved (tab, click): the tab strip follows it to the pane it is in."""
        widget = event.widget
        if not self.cursor_blink and isinstance(widget, Input):
            widget.cursor_blink = False
        name = self._layout.owner(widget)
        if name is not None and name != self._layout.current and self._layout.is_on_screen(name):
            self.action_show_pane(name, focus=False)

    # ------------------------------------------------------------ themes

    def _finish_themes(self) -> None:
        from lrtui.tui.themes import report_failures

        self.theme_failures = report_failures(self, self.settings.ui.theme)
        self.theme_changed_signal.subscribe(self, self._on_theme_changed)
        self._theme_ready = True

    def _on_theme_changed(self, theme: Theme) -> None:
        if not self._theme_ready:
            return
        from lrtui.tui.themes import persist_theme

        try:
            persist_theme(theme.name, self.settings)
        except OSError as exc:
            self.show_error(f"The theme was applied but could not be saved: {exc}")

    # ------------------------------------------------------------ runtime

    @property
    def runtime(self) -> Runtime | None:
        """The session's runtime: None until it is built, and again once it is closed."""
        return self._host.runtime

    @work(exclusive=True, exit_on_error=False, group="runtime", description="Connecting to the tenant")
    async def _start_runtime(self) -> None:
        self._header.set_connecting()
        runtime = await self._host.build(self.show_device_code)
        self._header.set_identity(runtime.profile_name, runtime.tenant_label, demo=runtime.demo)
        self._header.set_state("ready")
        self.post_message(RuntimeReady(runtime))

    def on_runtime_ready(self, message: RuntimeReady) -> None:
        for name, exc in self._layout.bind(message.runtime):
            self.show_error(exc, title=f"{name} pane")
        self._deliver_targets()

    def on_machines_pane_loaded(self, message: MachinesPane.Loaded) -> None:
        self.machines_loaded = True
        self.close_device_code()
        self._header.set_state(f"{message.count:,} machines")
        settle_memory()

    async def on_unmount(self) -> None:
        await self._host.close()

    # ------------------------------------------------------------ wiring between panes

    def on_machines_pane_marked_changed(self, message: MachinesPane.MarkedChanged) -> None:
        self._pending_targets = message.machines
        self._deliver_targets()

    def _deliver_targets(self) -> None:
        if self._pending_targets is not None and self._right is not None:
            self._right.sequence.set_targets(self._pending_targets)

    def on_sequence_pane_submitted(self, message: SequencePane.Submitted) -> None:
        self.action_show_pane("activity")

    def on_activity_pane_open_results(self, message: ActivityPane.OpenResults) -> None:
        self.open_results(message.job_id)

    def open_results(self, job_id: str) -> None:
        self.action_show_pane("results")
        if self._right is not None:
            self._right.results.show_job(job_id)

    def action_run_sequence(self) -> None:
        if self._right is None:
            self.notify("The sequence pane is not ready yet.", severity="warning", markup=False)
            return
        self._right.sequence.action_run()

    # ------------------------------------------------------------ errors

    def show_error(self, error: BaseException | str, *, title: str | None = None) -> None:
        show_error(self, error, title=title)

    def on_show_error(self, message: ShowError) -> None:
        self.show_error(message.error, title=message.title)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place where the app's worker failures become words on the screen."""
        error = worker_failure(event.worker, event.state)
        if error is None:
            return
        if event.worker.group == "runtime":
            self._header.set_state("not connected", error=True)
            self.close_device_code()
            self.machines_pane.details.show_message(f"Could not connect: {error_text(error)}")
        self.show_error(error, title=failure_title(event.worker))

    def crash_message(self) -> RenderableType | None:
        """An unexpected exception: the traceback goes to a crash file and the user reads plain words
        (``LRTUI_TRACEBACK=1``, or a headless test run, keeps Textual's traceback)."""
        if self.settings.traceback or self.is_headless:
            return None
        from rich.text import Text

        from lrtui.tui.crash import write_crash_report

        return Text(write_crash_report(self.settings.paths.state_dir()), style="bold")

    # ------------------------------------------------------------ device code sign-in

    def show_device_code(self, url: str, code: str, message: str = "") -> None:
        """Show the device-code modal; safe to call from any thread (msal polls in a worker thread)."""
        self._device_code.show(url, code, message)

    def close_device_code(self) -> None:
        self._device_code.close()

    # ------------------------------------------------------------ help, quit, screenshots

    def action_help(self) -> None:
        from lrtui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen.active_bindings))

    def unfinished_jobs(self) -> list[Job]:
        return self._host.unfinished_jobs()

    @property
    def _is_demo(self) -> bool:
        return self.runtime.demo if self.runtime else self.demo

    def _demo_kept(self) -> str:
        """For the demo: where its journal and evidence stay after the app ends ("" otherwise)."""
        from lrtui.tui.screens.quit import demo_kept

        rt = self.runtime
        return demo_kept(rt.journal.path, Path(rt.data_dir)) if rt is not None and rt.demo else ""

    async def action_quit(self) -> None:
        from lrtui.tui.screens.quit import QuitScreen, quit_notice

        unfinished, kept = self.unfinished_jobs(), self._demo_kept()
        if unfinished:
            self.push_screen(QuitScreen(len(unfinished), demo=self._is_demo, kept=kept), self._quit_answer)
            return
        await self._quit(quit_notice(0, demo=self._is_demo, kept=kept))

    async def action_quit_anywhere(self) -> None:
        """ctrl+q: like q, but also while typing or under a dialog."""
        from lrtui.tui.screens.quit import QuitScreen

        if not isinstance(self.screen, QuitScreen):
            await self.action_quit()

    def _quit_answer(self, confirmed: bool | None) -> None:
        if confirmed:
            from lrtui.tui.screens.quit import quit_notice

            kept = self._demo_kept()
            self.call_later(self._quit, quit_notice(len(self.unfinished_jobs()), demo=self._is_demo, kept=kept))

    async def _quit(self, notice: str | None) -> None:
        from rich.text import Text

        await self._host.close()
        self.exit(message=Text(notice) if notice else None)

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        """The palette's Screenshot command: into ``screenshot_dir`` (the screenshot script) when set."""
        return super().deliver_screenshot(filename, path or self.screenshot_dir, time_format)


def make_app(
    settings: Settings,
    *,
    runtime_factory: RuntimeFactory,
    demo: bool | None = None,
    clock: Callable[[], float] | None = None,
    size_hint: tuple[int, int] | None = None,
    cursor_blink: bool = True,
    screenshot_dir: str | None = None,
) -> LrtuiApp:
    """The one app factory (CLI, tests, screenshots).

    ``runtime_factory`` builds the ``Runtime`` in a worker after the first frame (``lrtui.cli.compose.
    runtime_factory`` for the CLI); it receives the app's device-code prompt. ``clock`` is what panes use for
    ages and countdowns (frozen in snapshot tests). ``size_hint`` is accepted for callers that know the terminal
    size; the layout follows the real size. ``screenshot_dir`` is where the palette's Screenshot command saves.
    """
    return LrtuiApp(
        settings,
        runtime_factory=runtime_factory,
        demo=demo,
        clock=clock,
        size_hint=size_hint,
        cursor_blink=cursor_blink,
        screenshot_dir=screenshot_dir,
    )
