"""The Sequence pane, driven by keys on the real in-process demo app."""

from __future__ import annotations

import json

from lrtui.api.enums import CommandType
from lrtui.api.sequence import Command, Sequence
from lrtui.tui import saved_sequences
from lrtui.tui.screens.run_confirm import RunConfirmScreen
from lrtui.tui.widgets.sequence.getfile_input import GetFileScreen
from lrtui.tui.widgets.sequence.history import HistoryScreen
from lrtui.tui.widgets.sequence.library_picker import ArgsScreen
from lrtui.tui.widgets.sequence.saved_dialogs import OpenSavedScreen, SaveSequenceScreen
from tests.tui.conftest import wait_ready, wait_until
from tests.tui.pane_helpers import add_getfile, mark_machines, pick_library, press_text, screen_text


def _types(pane) -> list[str]:
    return [c.type.value for c in pane.command_list.commands]


def _machines(app, *names):
    inv = app.runtime.inventory
    by_name = {inv[i].name: inv[i] for i in range(len(inv))}
    return [by_name[n] for n in names]


async def test_commands_land_in_their_group_and_the_body_is_exact(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await mark_machines(pilot, "eng-lt", 2)
        await pilot.press("2")
        pane = demo_app.sequence_pane
        await add_getfile(pilot, r"C:\T\x.zip")
        await pick_library(pilot, "s", "triage.p", r"-O C:\T")
        await pick_library(pilot, "p", "yara6")
        assert _types(pane) == ["PutFile", "RunScript", "GetFile"]
        body = pane.query_one("#sequence-body").text
        assert body == pane.sequence.to_json(indent=2)
        assert r'"value": "C:\\T\\x.zip"' in body  # escaped by JSON, typed plainly
        assert json.loads(body)["Comment"].startswith("analyst=")
        assert r"C:\T\x.zip" in screen_text(demo_app)
        assert _types(pane) == ["PutFile", "RunScript", "GetFile"] and pane.command_list.commands[1].args == r"-O C:\T"


async def test_impossible_move_is_refused_with_the_reason(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await pilot.press("2")
        pane = demo_app.sequence_pane
        pane.load_sequence(
            Sequence(
                (
                    Command(CommandType.RUN_SCRIPT, "a.ps1"),
                    Command(CommandType.RUN_SCRIPT, "b.ps1"),
                    Command(CommandType.GET_FILE, r"C:\x.txt"),
                )
            )
        )
        pane.command_list.focus()
        await pilot.pause()
        pane.command_list.highlighted = 2
        await pilot.press("K")  # GetFile up past a RunScript: refused
        await pilot.pause()
        assert _types(pane) == ["RunScript", "RunScript", "GetFile"]
        assert "cannot move past a RunScript" in screen_text(demo_app)
        pane.command_list.highlighted = 1
        await pilot.press("alt+up")  # within the group: allowed
        await pilot.pause()
        assert [c.value for c in pane.command_list.commands][:2] == ["b.ps1", "a.ps1"]
        assert pane.command_list.highlighted == 0
        await pilot.press("J")
        await pilot.press("d")
        await pilot.pause()
        assert [c.value for c in pane.command_list.commands] == ["a.ps1", r"C:\x.txt"]  # b moved down, then removed


async def test_getfile_path_checked_against_the_targets_os(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await mark_machines(pilot, "lnx-k8s", 1)
        await pilot.press("2")
        await pilot.press("g")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, GetFileScreen))
        await press_text(pilot, r"C:\x.txt")
        await pilot.press("enter")  # refused: a Windows path for a Linux target; the text stays
        await pilot.pause()
        assert isinstance(demo_app.screen, GetFileScreen)
        assert "Windows path, but the device runs Linux" in screen_text(demo_app)
        field = demo_app.screen.query_one("#getfile-path")
        assert field.value == r"C:\x.txt"
        field.value = ""
        await press_text(pilot, "/etc/os")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(demo_app.screen, GetFileScreen))
        assert demo_app.sequence_pane.command_list.commands[-1].value == "/etc/os"


async def test_bad_args_are_refused_and_kept_then_edited(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await pilot.press("2")
        pane = demo_app.sequence_pane
        await pilot.press("s")
        await wait_until(pilot, lambda: bool(getattr(demo_app.screen, "_files", None)))
        await press_text(pilot, "minid")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, ArgsScreen))
        assert "process to dump" in screen_text(demo_app)  # the parameter hint is shown
        await press_text(pilot, "-ProcessName lsass;")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(demo_app.screen, ArgsScreen)
        assert "may not contain ;" in screen_text(demo_app)
        field = demo_app.screen.query_one("#args-input")
        assert field.value == "-ProcessName lsass;"
        await pilot.press("backspace")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(demo_app.screen, ArgsScreen))
        assert pane.command_list.commands[-1] == Command(CommandType.RUN_SCRIPT, "minidump.ps1", "-ProcessName lsass")
        await pilot.press("e")  # edit the args
        await wait_until(pilot, lambda: isinstance(demo_app.screen, ArgsScreen))
        await press_text(pilot, " -O C:\\T")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(demo_app.screen, ArgsScreen))
        assert pane.command_list.commands[-1].args == r"-ProcessName lsass -O C:\T"


async def test_comment_is_prefilled_and_required(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await mark_machines(pilot, "fin-ws", 1)
        await pilot.press("2")
        pane = demo_app.sequence_pane
        prefix = demo_app.settings.profile.comment_prefix
        assert prefix and pane.comment_input.value == prefix
        await add_getfile(pilot, r"C:\a.txt")
        await pilot.press("c")
        pane.comment_input.value = ""
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, RunConfirmScreen))
        await wait_until(pilot, lambda: demo_app.screen.issues is not None)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(demo_app.screen, RunConfirmScreen)  # refused
        assert "comment is required" in screen_text(demo_app)
        await pilot.press("escape")
        await pilot.pause()
        assert not demo_app.runtime.engine.jobs  # nothing was sent, and the sequence is still there
        assert _types(pane) == ["GetFile"]


async def test_bulk_run_asks_to_type_the_count(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        pane = app.sequence_pane
        threshold = app.settings.ui.bulk_confirm_threshold
        inv = app.runtime.inventory
        targets = [inv[i] for i in range(len(inv)) if inv[i].os_family == "windows"][: threshold + 1]
        pane.set_targets(targets)
        pane.load_sequence(Sequence((Command(CommandType.RUN_SCRIPT, "Get-BitLockerStatus.ps1"),)))
        await pilot.press("2")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, RunConfirmScreen))
        screen = app.screen
        await pilot.press("ctrl+r")  # again: no second confirmation on top of the first
        await pilot.pause()
        assert app.screen is screen and len(app.screen_stack) == 2
        await wait_until(pilot, lambda: screen.issues is not None)
        assert f"{threshold + 1} machines:" in screen_text(app)
        assert "calls a minute" in screen_text(app)
        await pilot.press("D")  # leave out the machines with pre-flight errors
        await pilot.pause()
        n = len(screen.machines)
        assert n <= threshold + 1
        await pilot.press("enter")
        await pilot.pause()
        if screen.needs_count:
            assert isinstance(app.screen, RunConfirmScreen)
            assert f"Type {n}" in screen_text(app)
            await press_text(pilot, str(n))
            await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.runtime.engine.jobs) == n)


async def test_save_open_and_rerun_a_past_sequence(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await pilot.press("2")
        pane = demo_app.sequence_pane
        seq = Sequence(
            (
                Command(CommandType.PUT_FILE, "rules.yar"),
                Command(CommandType.RUN_SCRIPT, "yara_scan.ps1", "-Rules rules.yar"),
            )
        )
        pane.load_sequence(seq)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, SaveSequenceScreen))
        await press_text(pilot, "yara")
        await pilot.press("enter")
        await pilot.pause()
        assert saved_sequences.list_saved() == ["yara"]
        assert saved_sequences.load("yara").commands == seq.commands
        pane.load_sequence(Sequence((Command(CommandType.GET_FILE, r"C:\a.txt"),)))
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, OpenSavedScreen))
        await pilot.press("enter")
        await wait_until(pilot, lambda: pane.command_list.commands == seq.commands)
        # a past job's sequence comes back in its order
        await demo_app.runtime.engine.submit(
            Sequence((Command(CommandType.GET_FILE, r"C:\b.txt"),), "c"),
            _machines(demo_app, "fin-ws-0001.corp.contoso.example"),
        )
        await pilot.press("h")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, HistoryScreen))
        await pilot.press("enter")
        await wait_until(pilot, lambda: pane.command_list.commands == (Command(CommandType.GET_FILE, r"C:\b.txt"),))


def test_saved_sequences_names_are_checked(tmp_path):
    import pytest

    seq = Sequence((Command(CommandType.GET_FILE, "/etc/passwd"),), "case=1")
    saved_sequences.save("linux basics", seq)
    assert saved_sequences.load("linux basics") == seq
    for bad in ("../x", "", "a/b", ".hidden"):
        with pytest.raises(saved_sequences.SavedSequenceError):
            saved_sequences.save(bad, seq)
    saved_sequences.delete("linux basics")
    assert saved_sequences.list_saved() == []


async def test_library_upload_checks_size_asks_overwrite_and_deletes(demo_app, tmp_path):
    from lrtui.tui.widgets.sequence.confirm import ConfirmScreen
    from lrtui.tui.widgets.sequence.library_manage import LibraryManageScreen, UploadScreen

    big = tmp_path / "big.ps1"
    big.write_bytes(b"x" * (20 * 1024 * 1024 + 1))
    script = tmp_path / "rules.yar"  # the demo library already has a rules.yar
    script.write_text("rule x { condition: true }\n")
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await pilot.press("2", "m")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, LibraryManageScreen))
        manage = demo_app.screen
        await wait_until(pilot, lambda: bool(manage.files))
        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, UploadScreen))
        demo_app.screen.query_one("#upload-path").value = str(big)  # a path, as pasted
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(demo_app.screen, UploadScreen)  # refused before any call: too big
        assert "up to 20 MB" in screen_text(demo_app)
        demo_app.screen.query_one("#upload-path").value = str(script)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, ConfirmScreen))
        assert "already in the library. Overwrite it?" in screen_text(demo_app)
        await pilot.press("y")
        await wait_until(pilot, lambda: "Uploaded rules.yar" in screen_text(demo_app), timeout=10)
        await wait_until(pilot, lambda: "rules.yar" in [f.file_name for f in manage.files])
        i = [f.file_name for f in manage.files].index("rules.yar")
        manage.query_one("#manage-list").highlighted = i
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: "rules.yar" not in [f.file_name for f in manage.files], timeout=10)


async def test_escape_leaves_the_comment_and_keeps_it(demo_app):
    """After typing the comment, escape goes back to the commands so plain keys act again; the text stays."""
    app = demo_app
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        comment = app.query_one("#sequence-comment")
        assert app.focused is comment
        await pilot.press("ctrl+u", *"IR-99 check")
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is app.query_one("#sequence-commands")
        await pilot.press("k")  # a plain key acts on the list now, it does not type into the comment
        await pilot.pause()
        assert comment.value == "IR-99 check"
