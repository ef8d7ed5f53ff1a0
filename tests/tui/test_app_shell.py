"""The shell: header, panes and tabs at 80 and 120 columns, focus, help, palette, quit, errors, sign-in."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from textual.command import CommandPalette

from lrtui.tui.app import LrtuiApp
from lrtui.tui.messages import ShowError
from lrtui.tui.panes import PANE_LABELS
from tests.tui.conftest import wait_ready, wait_until


def _shown(app: LrtuiApp) -> set[str]:
    """Names of the panes that take up room on the screen."""
    panes = {name: app.pane(name) for name in PANE_LABELS}
    return {name for name, pane in panes.items() if pane and pane.parent.display and pane.region.area > 0}


def _help_text(screen) -> str:
    return "\n".join(
        f"{title}: " + "; ".join(f"{k} {d} {i}" for k, d, i in entries) for title, entries in screen.groups
    )


def _notes(app: LrtuiApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_header_shows_profile_tenant_and_demo_badge(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        line = str(demo_app.query_one("#header").render())
        assert "profile demo" in line and "tenant demo.contoso.example" in line
        assert " DEMO " in line and line.rstrip().endswith("60 machines")


async def test_80_columns_show_one_pane_and_number_keys_switch(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        assert demo_app.screen.has_class("-narrow")
        assert _shown(demo_app) == {"machines"}
        for key, name in (
            ("2", "sequence"),
            ("3", "activity"),
            ("4", "results"),
            ("5", "requestlog"),
            ("1", "machines"),
        ):
            await pilot.press(key)
            await pilot.pause()
            assert demo_app.current_pane == name
            assert _shown(demo_app) == {name}
            assert demo_app.query_one("#pane-tabs").active == name
            focused = demo_app.focused
            assert focused is not None and (focused is demo_app.pane(name) or demo_app.pane(name) in focused.ancestors)


async def test_120_columns_show_machines_and_sequence_side_by_side(demo_app):
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        assert demo_app.screen.has_class("-wide")
        assert _shown(demo_app) == {"machines", "sequence"}
        machines, sequence = demo_app.pane("machines"), demo_app.pane("sequence")
        assert machines.region.right <= sequence.region.x
        await pilot.press("3")
        await pilot.pause()
        assert _shown(demo_app) == {"machines", "activity"}
        await pilot.press("1")
        await pilot.pause()
        assert _shown(demo_app) == {"machines", "activity"}  # the right-hand side stays where it was


async def test_tab_and_shift_tab_move_focus_and_follow_the_pane(demo_app):
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        start = demo_app.focused
        await pilot.press("tab")
        assert demo_app.focused is not start
        await pilot.press("shift+tab")
        assert demo_app.focused is start
        for _ in range(8):  # eventually focus reaches the sequence pane, and the tab strip follows
            await pilot.press("tab")
            if demo_app.pane("sequence") in demo_app.focused.ancestors:
                break
        await pilot.pause()
        assert demo_app.current_pane == "sequence"


async def test_help_lists_the_focused_pane_and_the_app_keys(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        from lrtui.tui.screens.help import HelpScreen

        assert isinstance(demo_app.screen, HelpScreen)
        text = _help_text(demo_app.screen)
        for expected in ("Machine list", "Mark all", "a / ^a", "Machines", "Search", "App", "Run", "^r", "Quit"):
            assert expected in text, expected
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(demo_app.screen, HelpScreen)
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        text = _help_text(demo_app.screen)
        assert "PutFile" in text and "Quit" in text  # the sequence pane's keys now


async def test_keymap_rebinds_by_binding_id(make_demo_app):
    from lrtui.settings import load_settings

    settings = load_settings(demo=True)
    settings = dataclasses.replace(settings, ui=dataclasses.replace(settings.ui, keymap={"pane-activity": "f3"}))
    app = make_demo_app(settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await pilot.press("f3")
        await pilot.pause()
        assert app.current_pane == "activity"


async def test_palette_jumps_to_and_marks_a_machine(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        inv = demo_app.runtime.inventory
        target = inv[len(inv) - 1]
        await pilot.press("2")
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, CommandPalette))
        await pilot.press(*"Mark machine: " + target.name[:12])
        palette = demo_app.screen
        await wait_until(pilot, lambda: palette.query_one("CommandList").option_count > 0)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(demo_app.screen, CommandPalette))
        await pilot.pause()
        assert demo_app.current_pane == "machines"
        pane = demo_app.machines_pane
        assert inv[pane.machine_list.highlighted_index].id == target.id
        assert target.id in pane.machine_list.marked


async def test_ctrl_r_runs_the_sequence_from_anywhere(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        calls = []
        seq = demo_app.sequence_pane
        original = seq.action_run
        seq.action_run = lambda: (calls.append(demo_app.current_pane), original())[1]  # type: ignore[method-assign]
        await pilot.press("ctrl+r")
        await pilot.press("slash", "ctrl+r")  # even from the search box
        assert calls == ["machines", "machines"]


async def test_errors_are_plain_text_messages(demo_app):
    async with demo_app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_ready(pilot)
        demo_app.machines_pane.post_message(ShowError("Field required [type=missing, input_value={}] [/bold] [x"))
        await pilot.pause()
        from lrtui.api.errors import RateLimited

        demo_app.post_message(ShowError(RateLimited("Too many calls.", status=429)))
        await pilot.pause()
        notes = _notes(demo_app)
        assert any("[type=missing, input_value={}] [/bold] [x" in n for n in notes)
        assert any(n.startswith("TooManyRequests (HTTP 429): Too many calls.") for n in notes)
        assert demo_app.is_running


async def test_a_runtime_that_cannot_start_is_explained(tmp_path):
    """A real profile with no credentials: the app stays up and says what is wrong, no traceback."""
    from lrtui.cli.compose import runtime_factory
    from lrtui.settings import Profile, load_settings
    from lrtui.tui.app import make_app

    settings = dataclasses.replace(load_settings(demo=True), demo=False,
                                   profile=Profile(name="corp", tenant_id="contoso.example", auth="client_secret"))  # fmt: skip
    app = make_app(settings, runtime_factory=runtime_factory(settings, demo=False), demo=False, cursor_blink=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_until(pilot, lambda: any("failed" in str(n.title) for n in app._notifications), timeout=10)
        line = str(app.query_one("#header").render())
        assert "not connected" in line and "profile corp" in line and "tenant contoso.example" in line
        assert "DEMO" not in line
        assert all("Traceback" not in n for n in _notes(app))
        assert app.is_running


async def test_device_code_modal_from_another_thread(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        t = threading.Thread(target=demo_app.show_device_code,
                             args=("https://microsoft.com/devicelogin", "ABCD-EFGH", "To sign in, use a web browser."))  # fmt: skip
        t.start()  # (not joined here: call_from_thread waits for the event loop this test runs on)
        from lrtui.tui.screens.device_code import DeviceCodeScreen

        await wait_until(pilot, lambda: isinstance(demo_app.screen, DeviceCodeScreen))
        t.join(timeout=5)
        text = " ".join(str(w.render()) for w in demo_app.screen.query("Static"))
        assert "https://microsoft.com/devicelogin" in text and "ABCD-EFGH" in text
        demo_app.close_device_code()  # what the app does once sign-in completes
        await wait_until(pilot, lambda: not isinstance(demo_app.screen, DeviceCodeScreen))


async def test_submitted_and_open_results_switch_panes(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        seq = demo_app.sequence_pane
        seq.post_message(type(seq).Submitted(("job-1",)))
        await pilot.pause()
        assert demo_app.current_pane == "activity"
        shown = []
        results = demo_app.results_pane
        results.show_job = shown.append  # type: ignore[method-assign]
        activity = demo_app.activity_pane
        activity.post_message(type(activity).OpenResults("job-1"))
        await pilot.pause()
        assert demo_app.current_pane == "results" and shown == ["job-1"]


async def test_quit_without_jobs_exits_with_a_notice(demo_app, capsys):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        journal = demo_app.runtime.journal.path
        await pilot.press("q")
        await pilot.pause()
    assert demo_app.return_code == 0 and demo_app.runtime is None  # runtime closed before exit
    printed = capsys.readouterr().err.replace("\n", "")
    assert f"The demo keeps its journal {journal}" in printed
    assert journal.exists()  # kept after the app ends (not in a temporary folder)


async def test_quit_with_running_jobs_asks_first(demo_app):
    from lrtui.api.models import CommandType
    from lrtui.api.sequence import Sequence, make_command

    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        rt = demo_app.runtime
        seq = Sequence((make_command(CommandType.GET_FILE, "C:\\Windows\\win.ini"),), comment="test: quit")
        online = [m for m in rt.inventory if m.is_online and m.os_family == "windows"][:2]
        await rt.engine.submit(seq, online)
        await wait_until(pilot, lambda: bool(demo_app.unfinished_jobs()))
        await pilot.press("q")
        from lrtui.tui.screens.quit import QuitScreen

        await wait_until(pilot, lambda: isinstance(demo_app.screen, QuitScreen))
        text = " ".join(str(w.render()) for w in demo_app.screen.query("Static"))
        assert "not finished" in text and "demo tenant" in text
        # what the demo keeps, and where: its own journal under <state>/demo, its evidence under <data>/demo
        journal = rt.journal.path
        assert journal.parent == rt.settings.paths.state_dir() / "demo" and journal.exists()
        assert Path(rt.data_dir) == rt.settings.paths.data_dir() / "demo"
        flat = text.replace("\n", "")
        assert "The demo keeps its journal" in text and str(journal) in flat and str(rt.data_dir) in flat
        await pilot.press("n")
        await wait_until(pilot, lambda: not isinstance(demo_app.screen, QuitScreen))
        assert demo_app.is_running
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, QuitScreen))
        await pilot.press("y")
        await pilot.pause(0.2)
    assert demo_app.return_code == 0


def test_first_frame_needs_no_heavy_imports(tmp_path):
    """Before the first frame: no httpx, msal, sqlite3, pydantic, simulator or runtime."""
    script = textwrap.dedent(
        """
        import asyncio, sys
        from lrtui.settings import load_settings
        from lrtui.tui.app import LrtuiApp, make_app

        seen = {}
        original = LrtuiApp._after_first_frame
        def spy(self):
            seen["modules"] = set(sys.modules)
            self.exit()
        LrtuiApp._after_first_frame = spy
        settings = load_settings(demo=True)

        async def factory(on_device_code):
            from lrtui.cli.compose import build_runtime
            return await build_runtime(settings, demo=True, on_device_code=on_device_code)

        async def main():
            app = make_app(settings, runtime_factory=factory, demo=True)
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.pause(0.5)
        asyncio.run(main())
        heavy = ["httpx", "msal", "sqlite3", "pydantic", "lrtui.sim", "lrtui.runtime", "lrtui.api.client", "lrtui.engine"]
        print(" ".join(m for m in heavy if m in seen["modules"]) or "clean")
        """
    )
    env = {"LRTUI_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "TEXTUAL_ANIMATIONS": "none"}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60, cwd=str(_repo())
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "clean"


def _repo():
    from pathlib import Path

    return Path(__file__).resolve().parents[2]
