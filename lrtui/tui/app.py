"""``LrtuiApp`` and ``make_app``: the shell around the panes.

Startup budget: the first frame needs only Textual, the header, the tab strip and the Machines pane. The other
panes are imported and mounted right after the first frame, and the runtime (httpx, msal, SQLite, the demo
simulator) is imported and built in a worker after that. Messages go up, method calls go down:

- ``MachinesPane.MarkedChanged`` -> ``sequence_pane.set_targets(machines)``
- ``SequencePane.Submitted`` -> switch to Activity
- ``ActivityPane.OpenResults`` -> switch to Results and ``results_pane.show_job(job_id)``
- ``ShowError`` (from anywhere) and failed workers -> one plain-text message

Panes that start I/O should run it with ``self.app.run_worker(..., exit_on_error=False)`` (or ``@work`` with
``exit_on_error=False`` and post ``ShowError``) so that failures reach the one handler here.
"""

from __future__ import annotations

import inspect
import os
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal
from textual.widget import Widget
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from lrtui.tui.commands import COMMAND_PROVIDERS
from lrtui.tui.header import AppHeader, PaneStrip
from lrtui.tui.messages import RuntimeReady, ShowError, error_text
from lrtui.tui.widgets.machines.pane import MachinesPane

if TYPE_CHECKING:
    from lrtui.config import Settings
    from lrtui.runtime import Runtime

#: pane name -> (tab label, module, class)
PANES: dict[str, tuple[str, str, str]] = {
    "machines": ("1 Machines", "lrtui.tui.widgets.machines.pane", "MachinesPane"),
    "sequence": ("2 Sequence", "lrtui.tui.widgets.sequence.pane", "SequencePane"),
    "activity": ("3 Activity", "lrtui.tui.widgets.activity.pane", "ActivityPane"),
    "results": ("4 Results", "lrtui.tui.widgets.results.pane", "ResultsPane"),
    "requestlog": ("5 Log", "lrtui.tui.widgets.requestlog.pane", "RequestLogPane"),
}
RIGHT_PANES = ("sequence", "activity", "results", "requestlog")
DEFAULT_THEME = "lrtui-dark"


def _settle_memory() -> None:
    """After a (re)load: return freed page buffers to the OS and keep the collector off the inventory."""
    import gc

    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)  # glibc only; elsewhere this is a no-op
    except (OSError, AttributeError):
        pass
    gc.freeze()  # the inventory is long-lived: the collector need not rescan it on every pause


def _is_editing(widget: Widget | None) -> bool:
    """True when ``widget`` takes typed characters (an Input, or a TextArea that is not read-only)."""
    if widget is None:
        return False
    from textual.widgets import Input

    if isinstance(widget, Input):
        return True
    if type(widget).__name__ == "TextArea" or any(c.__name__ == "TextArea" for c in type(widget).__mro__):
        return not getattr(widget, "read_only", False)
    return False


def _ui(settings: Any, name: str, default: Any) -> Any:
    return getattr(getattr(settings, "ui", None), name, default) if settings is not None else default


class PaneSlot(Container):
    """Where a pane is mounted after the first frame."""


class LrtuiApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "lrtui"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (120, "-wide")]
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("1", "show_pane('machines')", "Machines", show=False, id="pane-machines", priority=True),
        Binding("2", "show_pane('sequence')", "Sequence", show=False, id="pane-sequence", priority=True),
        Binding("3", "show_pane('activity')", "Activity", show=False, id="pane-activity", priority=True),
        Binding("4", "show_pane('results')", "Results", show=False, id="pane-results", priority=True),
        Binding("5", "show_pane('requestlog')", "Request log", show=False, id="pane-requestlog", priority=True),
        Binding("ctrl+r", "run_sequence", "Run", id="run-sequence", priority=True,
                tooltip="Run the sequence on the marked machines"),
        Binding("question_mark,f1", "help", "Help", id="help", priority=True,
                tooltip="Every key of this pane and the app"),
        Binding("q", "quit", "Quit", id="quit", priority=True, tooltip="Quit; running sessions continue on the service"),
        Binding("ctrl+q", "quit_anywhere", "Quit (also while typing)", show=False, priority=True, id="quit-ctrl"),
        Binding("tab", "focus_next", "Next", show=False, id="focus-next"),
        Binding("shift+tab", "focus_previous", "Previous", show=False, id="focus-previous"),
    ]  # fmt: skip

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        runtime_factory: Callable[..., Awaitable[Runtime]] | None = None,
        demo: bool | None = None,
        clock: Callable[[], float] | None = None,
        size_hint: tuple[int, int] | None = None,
        cursor_blink: bool = True,
        screenshot_dir: str | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.demo = bool(getattr(settings, "demo", False)) if demo is None else demo
        self.clock: Callable[[], float] = clock or time.time
        self.size_hint = size_hint
        self.cursor_blink = cursor_blink
        self.screenshot_dir = screenshot_dir
        self.runtime: Runtime | None = None
        self._runtime_factory = runtime_factory
        self.machines_loaded = False  #: the machine list has shown a complete load at least once
        self._current = "machines"
        self._right = "sequence"
        self._panes: dict[str, Widget] = {}
        self._pending_targets: tuple[Any, ...] | None = None
        self._loop_thread: int | None = None
        self._device_code: Any = None
        self._theme_ready = False
        self.theme_failures: list[tuple[str, str]] = []
        keymap = _ui(settings, "keymap", {}) or {}
        if keymap:
            self.set_keymap(dict(keymap))
        # Before the stylesheet is first parsed: a theme set later (on_mount) costs a full CSS reparse.
        self._apply_theme_early()

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        profile = getattr(getattr(self.settings, "profile", None), "name", None) or ("demo" if self.demo else "default")
        tenant = getattr(getattr(self.settings, "profile", None), "tenant_label", None) or "(tenant not set)"
        self._header = AppHeader(profile, tenant, demo=self.demo)
        yield self._header
        self._tabs = PaneStrip(((name, label) for name, (label, _, _) in PANES.items()), active=self._current)
        yield self._tabs
        self._machines_pane = MachinesPane(clock=self.clock, classes="pane -current")
        self._slots = {
            name: PaneSlot(id=f"slot-{name}", classes="pane" + (" -right" if name == self._right else ""))
            for name in RIGHT_PANES
        }
        with Horizontal(id="panes"):
            yield self._machines_pane
            yield from self._slots.values()
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._loop_thread = threading.get_ident()
        self._panes["machines"] = self.machines_pane
        self.machines_pane.machine_list.focus()
        self.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        self._mount_panes()
        self._finish_themes()
        self._start_runtime()

    def _mount_panes(self) -> None:
        for name, slot in self._slots.items():
            pane = self._make_pane(name)
            self._panes[name] = pane
            slot.mount(pane)
        if self._pending_targets is not None:
            self.call_after_refresh(self._deliver_targets)

    def _make_pane(self, name: str) -> Widget:
        label, module_name, class_name = PANES[name]
        try:
            module = __import__(module_name, fromlist=[class_name])
            return getattr(module, class_name)(id=name)
        except ImportError as exc:
            self.log.warning(f"pane {name} not available: {exc}")
            return Static(f"{label[2:]}: this pane is not available in this build.", id=name, markup=False)

    def pane(self, name: str) -> Widget | None:
        return self._panes.get(name)

    @property
    def machines_pane(self) -> MachinesPane:
        return self._machines_pane

    @property
    def sequence_pane(self) -> Any:
        return self._panes.get("sequence")

    @property
    def activity_pane(self) -> Any:
        return self._panes.get("activity")

    @property
    def results_pane(self) -> Any:
        return self._panes.get("results")

    @property
    def request_log_pane(self) -> Any:
        return self._panes.get("requestlog")

    @property
    def current_pane(self) -> str:
        return self._current

    def action_show_pane(self, name: str, *, focus: bool = True) -> None:
        if name not in PANES:
            return
        self._current = name
        if name != "machines":
            self._right = name
        for pane_name, slot in self._slots.items():
            slot.set_class(pane_name == self._right, "-right")
            slot.set_class(pane_name == name, "-current")
        self.machines_pane.set_class(name == "machines", "-current")
        self._tabs.set_active(name)
        if focus:
            self.call_after_refresh(self._focus_pane, name)

    def _focus_pane(self, name: str) -> None:
        pane = self._panes.get(name)
        if pane is None:
            return
        if name == "machines":
            self.machines_pane.machine_list.focus()
            return
        focus_default = getattr(pane, "focus_default", None)
        if callable(focus_default):
            focus_default()
            return
        if pane.focusable:
            pane.focus()
            return
        for widget in pane.query("*"):
            if widget.focusable:
                widget.focus()
                return

    def on_pane_strip_selected(self, event: PaneStrip.Selected) -> None:
        event.stop()
        self.action_show_pane(event.name)

    #: Plain-key app bindings that must yield to a text field (typing "q" or "1" into a search box).
    _PLAIN_KEY_ACTIONS = frozenset({"show_pane", "help", "quit"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Digits, ``?`` and ``q`` work from any pane, but not while typing, and not under a modal."""
        if action in self._PLAIN_KEY_ACTIONS:
            if len(self.screen_stack) > 1 or _is_editing(self.focused):
                return False
        return True

    def on_descendant_focus(self, event: Any) -> None:
        widget = event.widget if hasattr(event, "widget") else None
        if widget is None:
            return
        if not self.cursor_blink and hasattr(widget, "cursor_blink"):
            widget.cursor_blink = False
        for name, pane in self._panes.items():
            if widget is pane or pane in widget.ancestors:
                holder = pane if name == "machines" else self._slots[name]
                if name != self._current and holder.display and holder.region.area:
                    self.action_show_pane(name, focus=False)
                return

    # ------------------------------------------------------------ themes

    def _apply_theme_early(self) -> None:
        """Register the bundled and user themes and select the configured one (cheap: TOML + Color.parse)."""
        from lrtui.tui.themes import apply_themes

        apply_themes(self, _ui(self.settings, "theme", DEFAULT_THEME) or DEFAULT_THEME)

    def _finish_themes(self) -> None:
        from lrtui.tui.themes import report_failures

        report_failures(self)
        self.theme_changed_signal.subscribe(self, self._on_theme_changed)
        self._theme_ready = True

    def _on_theme_changed(self, theme: Any) -> None:
        if not self._theme_ready:
            return
        from lrtui.tui.themes import persist_theme

        try:
            persist_theme(theme.name, self.settings)
        except OSError as exc:
            self.show_error(f"The theme was applied but could not be saved: {exc}")

    # ------------------------------------------------------------ runtime

    @work(exclusive=True, exit_on_error=False, group="runtime", description="Connecting to the tenant")
    async def _start_runtime(self) -> None:
        header = self._header
        header.set_state("connecting…")
        runtime = await self._build_runtime()
        self.runtime = runtime
        header.set_identity(runtime.profile_name, runtime.tenant_label, demo=runtime.demo)
        header.set_state("ready")
        self.post_message(RuntimeReady(runtime))

    async def _build_runtime(self) -> Runtime:
        factory = self._runtime_factory
        if factory is None:
            from lrtui.runtime import build_runtime

            return await build_runtime(self.settings, demo=self.demo, on_device_code=self.show_device_code)
        try:
            params = inspect.signature(factory).parameters
        except (TypeError, ValueError):
            params = {}
        if "on_device_code" in params:
            return await factory(on_device_code=self.show_device_code)
        return await factory()

    def on_runtime_ready(self, message: RuntimeReady) -> None:
        for name, pane in self._panes.items():
            bind = getattr(pane, "bind_runtime", None)
            if callable(bind):
                try:
                    bind(message.runtime)
                except Exception as exc:  # one broken pane must not stop the others
                    self.show_error(exc, title=f"{name} pane")
        self._deliver_targets()

    def on_machines_pane_loaded(self, message: MachinesPane.Loaded) -> None:
        self.machines_loaded = True
        self.close_device_code()
        self._header.set_state(f"{message.count:,} machines")
        _settle_memory()

    async def on_unmount(self) -> None:
        await self._close_runtime()

    async def _close_runtime(self) -> None:
        runtime, self.runtime = self.runtime, None
        if runtime is not None:
            try:
                await runtime.aclose()
            except Exception as exc:  # closing must never turn a clean quit into a traceback
                self.log.error(f"closing the runtime failed: {exc!r}")

    # ------------------------------------------------------------ wiring between panes

    def on_machines_pane_marked_changed(self, message: MachinesPane.MarkedChanged) -> None:
        self._pending_targets = message.machines
        self._deliver_targets()

    def _deliver_targets(self) -> None:
        pane = self.sequence_pane
        if self._pending_targets is None or pane is None or not hasattr(pane, "set_targets"):
            return
        pane.set_targets(self._pending_targets)

    def on_sequence_pane_submitted(self, message: Any) -> None:
        self.action_show_pane("activity")

    def on_activity_pane_open_results(self, message: Any) -> None:
        self.open_results(message.job_id)

    def open_results(self, job_id: str) -> None:
        self.action_show_pane("results")
        pane = self.results_pane
        if pane is not None and hasattr(pane, "show_job"):
            pane.show_job(job_id)

    def action_run_sequence(self) -> None:
        pane = self.sequence_pane
        if pane is None or not hasattr(pane, "action_run"):
            self.notify("The sequence pane is not ready yet.", severity="warning", markup=False)
            return
        pane.action_run()

    # ------------------------------------------------------------ errors

    def show_error(self, error: BaseException | str, *, title: str | None = None) -> None:
        text = error_text(error)
        self.log.error(text)
        self.notify(text, title=title or "Error", severity="error", markup=False, timeout=12)

    def on_show_error(self, message: ShowError) -> None:
        self.show_error(message.error, title=message.title)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place where worker failures become words on the screen."""
        worker = event.worker
        if event.state is not WorkerState.ERROR or worker.error is None:
            return
        title = worker.description or worker.name or "Background task"
        if worker.group == "runtime":
            self._header.set_state("not connected", error=True)
            self.close_device_code()
            self.machines_pane.details.show_message(f"Could not connect: {error_text(worker.error)}")
        self.show_error(worker.error, title=f"{title} failed")

    def _fatal_error(self) -> None:
        """Unexpected exception: keep the traceback in a crash file and say so in plain words (LRTUI_TRACEBACK=1
        shows Textual's traceback instead)."""
        if os.environ.get("LRTUI_TRACEBACK") or self.is_headless:
            return super()._fatal_error()
        from rich.text import Text

        from lrtui.tui.crash import write_crash_report

        self.bell()
        self._exit_renderables.append(Text(write_crash_report(), style="bold"))
        self._close_messages_no_wait()

    # ------------------------------------------------------------ device code sign-in

    def show_device_code(self, url: str, code: str, message: str = "") -> None:
        """Show the device-code modal; safe to call from any thread (msal polls in a worker thread)."""
        if self._loop_thread is not None and threading.get_ident() != self._loop_thread:
            self.call_from_thread(self._push_device_code, url, code, message)
        else:
            self._push_device_code(url, code, message)

    def _push_device_code(self, url: str, code: str, message: str) -> None:
        from lrtui.tui.screens.device_code import DeviceCodeScreen

        self.close_device_code()
        self._device_code = DeviceCodeScreen(url, code, message)
        self.push_screen(self._device_code)

    def close_device_code(self) -> None:
        screen, self._device_code = self._device_code, None
        if screen is not None and screen.is_attached and screen in self.screen_stack:
            screen.dismiss(None)

    # ------------------------------------------------------------ help, quit, screenshots

    def action_help(self) -> None:
        from lrtui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen.active_bindings))

    def unfinished_jobs(self) -> list[Any]:
        engine = getattr(self.runtime, "engine", None)
        try:
            return [j for j in (engine.jobs if engine is not None else []) if not j.is_final]
        except Exception:
            return []

    async def action_quit(self) -> None:
        from lrtui.tui.screens.quit import QuitScreen, quit_notice

        unfinished = self.unfinished_jobs()
        demo = bool(getattr(self.runtime, "demo", self.demo))
        if unfinished:
            self.push_screen(QuitScreen(len(unfinished), demo=demo), self._quit_answer)
            return
        await self._quit(quit_notice(0, demo=demo))

    async def action_quit_anywhere(self) -> None:
        """ctrl+q: like q, but also while typing or under a dialog."""
        from lrtui.tui.screens.quit import QuitScreen

        if not isinstance(self.screen, QuitScreen):
            await self.action_quit()

    def _quit_answer(self, confirmed: bool | None) -> None:
        if confirmed:
            from lrtui.tui.screens.quit import quit_notice

            demo = bool(getattr(self.runtime, "demo", self.demo))
            self.call_later(self._quit, quit_notice(len(self.unfinished_jobs()), demo=demo))

    async def _quit(self, notice: str | None) -> None:
        from rich.text import Text

        await self._close_runtime()
        self.exit(message=Text(notice) if notice else None)

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        """The palette's Screenshot command: into ``screenshot_dir`` (the screenshot script) when set."""
        if path is None and self.screenshot_dir:
            path = self.screenshot_dir
        return super().deliver_screenshot(filename, path, time_format)

    COMMANDS = App.COMMANDS | COMMAND_PROVIDERS


def make_app(
    settings: Settings | None = None,
    *,
    runtime_factory: Callable[..., Awaitable[Runtime]] | None = None,
    demo: bool | None = None,
    clock: Callable[[], float] | None = None,
    size_hint: tuple[int, int] | None = None,
    cursor_blink: bool = True,
    screenshot_dir: str | None = None,
) -> LrtuiApp:
    """The one app factory (CLI, tests, screenshots).

    ``settings`` defaults to ``lrtui.config.load_settings()``; ``runtime_factory`` is an async callable
    returning a ``Runtime`` (it may take ``on_device_code=``); by default the app imports ``lrtui.runtime`` after
    its first frame. ``clock`` is what panes use for ages and countdowns (frozen in snapshot tests).
    ``size_hint`` is accepted for callers that know the terminal size; the layout follows the real size.
    """
    if settings is None:
        from lrtui.config import load_settings

        settings = load_settings(demo=bool(demo))
    return LrtuiApp(
        settings,
        runtime_factory=runtime_factory,
        demo=demo,
        clock=clock,
        size_hint=size_hint,
        cursor_blink=cursor_blink,
        screenshot_dir=screenshot_dir,
    )
