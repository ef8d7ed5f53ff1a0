"""Issue 14, terminal safety: hostile strings from the tenant reach no TUI surface, and their removal is shown.

The simulator's machines, library and actions carry OSC 52 (clipboard), OSC 0 (window title), CSI, C1, bidi
overrides and Rich markup. Each surface is driven by keys and what the app would write to the terminal (the
compositor's full update, exactly what the driver receives) is checked: no OSC at all (52, 0 or an 8 link
made from ``[link=...]``), no CSI but the SGR and cursor moves Textual itself writes, no C0/C1 control, no
bidi override; and the removal note is on the screen.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from lrtui.api.enums import CommandType
from lrtui.api.records import RequestRecord
from lrtui.api.sequence import Command, Sequence
from lrtui.api.text import clean_report, removal_note
from lrtui.sim.library.catalogue import LibraryItem
from tests.tui.conftest import simulator_of, wait_ready, wait_until
from tests.tui.pane_helpers import fast_poll, press_text, screen_text  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("fast_poll")

OSC52 = "\x1b]52;c;UFdORUQ=\x07"
OSC0 = "\x1b]0;PWNED-TITLE\x1b\\"
CSI = "\x1b[2J\x1b[?1049l"
C1 = "\x9b31m\x9d0;C1TITLE\x9c"
BIDI = "\u202e"
MARKUP = "[bold]B[/bold] [link=https://evil.example]L[/link]"
HOSTILE = OSC52 + OSC0 + CSI + C1 + BIDI + MARKUP
REMOVED = re.compile(r"⚠ \d+ control")  # the removal note (it may wrap after "control")

_TEXTUAL_CSI = re.compile(r"\x1b\[[0-9;]*[mH]")  # SGR and cursor position: what Textual itself writes
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_output(app: Any) -> str:
    """What the app writes to the terminal for the current screen (the compositor's full update)."""
    return str(app.screen._compositor.render_full_update().render_segments(app.console))


def assert_safe(app: Any, where: str) -> str:
    out = terminal_output(app)
    assert "\x1b]" not in out, f"{where}: an OSC sequence reached the terminal"
    rest = _TEXTUAL_CSI.sub("", out)
    assert "\x1b" not in rest, f"{where}: an escape other than SGR/cursor moves: {rest[rest.index(chr(27)) :][:20]!r}"
    assert not _CONTROLS.search(rest.replace("\n", "").replace("\r", "")), f"{where}: a control character"
    assert not _BIDI.search(out), f"{where}: a bidi override"
    text = screen_text(app)
    assert "PWNED" not in text and "C1TITLE" not in text, f"{where}: the payload of a title sequence"
    return text


def test_clean_report_counts_and_note_words() -> None:
    text, n = clean_report(HOSTILE)
    assert text == MARKUP and n == 7  # OSC 52, OSC 0, two CSI, a C1 CSI, a C1 OSC, a bidi override
    assert clean_report("plain\r\ntext\tok")[1] == 0
    assert removal_note(0) == ""
    assert removal_note(1) == "⚠ 1 control sequence removed"
    assert removal_note(2, ascii_only=True) == "! 2 control sequences removed"


def _poison(app: Any) -> tuple[Any, str]:
    """Hostile name on one machine, and a hostile library file; returns (machine record, hostile file name)."""
    sim = simulator_of(app)
    rec = sim.state.machines[3]
    rec.wire["computerDnsName"] = "evil" + HOSTILE + ".corp.example"
    name = "Collect" + BIDI + "txt.ps1"
    sim.state.library[name] = LibraryItem(
        file_name=name,
        content=b"Write-Output hi",
        description="Collects " + HOSTILE,
        parameters_description="-Path " + HOSTILE,
        has_parameters=True,
        created_by="admin" + OSC0 + "@contoso.example",
    )
    return rec, name


async def wait_for_text(pilot: Any, text: str, *, removed: bool = False) -> None:
    """Wait until the screen shows ``text`` (and the removal note when ``removed``): the surface has drawn."""
    app = pilot.app
    await wait_until(
        pilot, lambda: text in screen_text(app) and (not removed or bool(REMOVED.search(screen_text(app))))
    )


async def _reload_machines(pilot: Any) -> Any:
    app = pilot.app
    await pilot.press("1")
    app.machines_pane.machine_list.focus()
    await pilot.press("r")
    inv = app.runtime.inventory
    await wait_until(pilot, lambda: not inv.loading and any("evil" in inv[i].name for i in range(len(inv))), 10)
    await pilot.pause()
    return next(inv[i] for i in range(len(inv)) if "evil" in inv[i].name)


async def test_every_surface_keeps_hostile_strings_off_the_terminal(make_demo_app: Any) -> None:
    from lrtui.tui.widgets.sequence.confirm import ConfirmScreen
    from lrtui.tui.widgets.sequence.history import HistoryScreen
    from lrtui.tui.widgets.sequence.library_manage import LibraryManageScreen
    from lrtui.tui.widgets.sequence.library_picker import LibraryPicker

    app = make_demo_app(frozen=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        _rec, lib_name = _poison(app)
        evil = await _reload_machines(pilot)

        # Machines: the list and the details of the hostile machine
        await pilot.press("slash")
        await press_text(pilot, "evil")
        await pilot.press("enter")
        await wait_for_text(pilot, "[bold]B[/bold]", removed=True)
        shown = assert_safe(app, "machines")
        assert REMOVED.search(shown) and "[bold]B[/bold]" in shown

        # Palette: the machine hit (Textual's highlighter would read the name as markup)
        await pilot.press("ctrl+p")
        await press_text(pilot, "evil")
        await wait_for_text(pilot, "[bold]B[/bold]")
        shown = assert_safe(app, "palette")
        assert "[bold]B[/bold]" in shown
        await pilot.press("escape")
        await pilot.pause()

        # Library picker and its detail, then the Args dialog with the hostile parameter hint
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, LibraryPicker))
        await pilot.press("f5")
        await wait_until(pilot, lambda: any(f.file_name == lib_name for f in app.screen._files))
        await press_text(pilot, "Collect")
        await wait_for_text(pilot, "Collects [bold]B[/bold]", removed=True)
        shown = assert_safe(app, "library picker")
        assert "by admin@contoso.example" in shown and REMOVED.search(shown) and "Collects [bold]B[/bold]" in shown
        await pilot.press("enter")
        await wait_for_text(pilot, "-Path [bold]B[/bold]", removed=True)
        shown = assert_safe(app, "args dialog")
        assert "-Path [bold]B[/bold]" in shown and REMOVED.search(shown)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()

        # Library manage, and the delete confirmation naming the hostile file
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, LibraryManageScreen) and bool(app.screen.files))
        files = app.screen.files
        for _ in range([f.file_name for f in files].index(lib_name)):
            await pilot.press("down")
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        shown = assert_safe(app, "delete confirmation")
        assert "Collecttxt.ps1" in shown and REMOVED.search(shown)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()

        # A job on the hostile machine whose GetFile path carries a bidi override (as a past action would)
        path = "C:\\Temp\\report" + BIDI + "fdp.exe"
        seq = Sequence((Command(CommandType.GET_FILE, path),), "analyst=t case=U-2: hostile")
        [job] = await app.runtime.engine.submit(seq, [evil])
        await wait_until(pilot, lambda: job.is_final, timeout=30)

        # History: this session's job and the tenant's actions, with the path
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("h")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen) and bool(app.screen.entries))
        await wait_for_text(pilot, "reportfdp.exe", removed=True)
        shown = assert_safe(app, "history")
        assert "reportfdp.exe" in shown and REMOVED.search(shown)
        await pilot.press("escape")
        await pilot.pause()

        # Activity: the job's row and detail
        await pilot.press("3")
        await wait_until(pilot, lambda: app.current_pane == "activity" and app.activity_pane.table.row_count > 0)
        await pilot.pause()
        assert_safe(app, "activity")

        # Results of the job
        app.open_results(job.id)
        await wait_until(pilot, lambda: app.current_pane == "results" and app.results_pane.job_id == job.id)
        await wait_for_text(pilot, "", removed=True)
        shown = assert_safe(app, "results")
        assert REMOVED.search(shown)

        # Request log: a record carrying a hostile URL and error (as a hostile result link would)
        app.runtime.engine.log_request(
            RequestRecord(
                at=0.0,
                method="GET",
                url="https://blob.example/x" + HOSTILE,
                status=500,
                elapsed_ms=1.0,
                error="Boom" + HOSTILE,
            )
        )
        await pilot.press("5")
        await wait_until(pilot, lambda: app.current_pane == "requestlog")
        await wait_for_text(pilot, "blob.example", removed=True)
        shown = assert_safe(app, "request log")
        assert REMOVED.search(shown)

        # The run confirmation naming the hostile target
        await pilot.press("1")
        app.machines_pane.machine_list.focus()
        await pilot.press("space")
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_for_text(pilot, "evil", removed=True)
        shown = assert_safe(app, "run confirmation")
        assert "evil" in shown and REMOVED.search(shown)
