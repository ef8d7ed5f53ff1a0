"""Console mode (``[ui] glyphs``, ``LRTUI_GLYPHS``, ``TERM=linux``): every character on screen is one a Linux
console font has (``lrtui.tui.glyphs.CONSOLE_CHARSET``), no rounded corners, state in glyph and word.

The screen is read from the compositor's strips after the app's line filters, as the terminal receives it.
"""

from __future__ import annotations

import pytest

from lrtui.api.enums import CommandType
from lrtui.api.errors import ConfigError
from lrtui.api.sequence import Command, Sequence
from lrtui.tui import glyphs
from lrtui.tui.glyphs import CONSOLE, CONSOLE_CHARSET, UNICODE
from lrtui.tui.screens.quit import QuitScreen
from tests.tui.conftest import build_demo_app, wait_ready, wait_until
from tests.tui.pane_helpers import fast_poll  # noqa: F401 (fixture)

SEQ = Sequence(
    (
        Command(CommandType.RUN_SCRIPT, "Get-NetConnections.ps1"),
        Command(CommandType.GET_FILE, r"C:\Windows\System32\drivers\etc\hosts"),
    ),
    "analyst=demo case=CONSOLE-1",
)


@pytest.fixture(autouse=True)
def _unicode_after():
    """``use`` is process-wide: put the unicode table back for the next test."""
    yield
    glyphs.use(UNICODE)


def screen_text(app) -> str:
    """What the terminal is sent: the screen's lines after the app's line filters (the console chrome)."""
    lines = []
    for strip in app.screen._compositor.render_strips():
        for flt in app.get_line_filters():
            strip = strip.apply_filter(flt, app.screen.styles.background)
        lines.append(strip.text)
    return "\n".join(lines)


def foreign(text: str) -> set[str]:
    return {ch for ch in text if ch != "\n" and ch not in CONSOLE_CHARSET}


def _machines(app, *prefixes):
    inv = app.runtime.inventory
    return [next(inv[i] for i in range(len(inv)) if inv[i].name.startswith(p)) for p in prefixes]


async def _activity_with_states(pilot):
    """Done and refused jobs from a first batch, then two queued behind a paused queue."""
    app = pilot.app
    await wait_ready(pilot)
    await pilot.press("3")
    engine = app.runtime.engine
    first = await engine.submit(SEQ, _machines(app, "fin-ws-0002", "KIOSK-001"))
    await wait_until(pilot, lambda: all(j.action_id is not None or j.is_final for j in first), timeout=30)
    app.clock.advance(3600.0)
    await wait_until(pilot, lambda: all(j.is_final for j in first), timeout=60)
    await pilot.press("p")
    await engine.submit(SEQ, _machines(app, "eng-lt-0002", "eng-lt-0003"))
    await wait_until(pilot, lambda: app.activity_pane.table.row_count == 4, timeout=30)
    await pilot.pause(0.4)


@pytest.mark.usefixtures("fast_poll")
def test_term_linux_activity_80x24(snap_compare, monkeypatch):
    """TERM=linux at 80x24: square corners (double lines where focus is), ASCII state glyphs with their words,
    the gauges in block shades, the active tab in brackets."""
    monkeypatch.setenv("TERM", "linux")
    app = build_demo_app()
    seen: dict[str, str] = {}

    async def run_before(pilot):
        await _activity_with_states(pilot)
        seen["text"] = screen_text(pilot.app)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    text = seen["text"]
    assert app.has_class("-console")
    assert not foreign(text), f"not in a console font: {sorted(foreign(text))}"
    assert "x refused" in text or "x denied" in text, text
    assert "+ done" in text, text
    assert "╭" not in text and "╔═ Jobs" in text  # square corners; the focused box in double lines
    assert "[3 Activity]" in text  # the active pane's tab is bracketed, not only coloured


@pytest.mark.usefixtures("fast_poll")
async def test_every_pane_and_dialog_is_console_safe(monkeypatch):
    """Keys 1-5, ``?``, the palette (its search icon too), the run confirmation, a toast and the quit dialog draw only
    console characters."""
    monkeypatch.setenv("LRTUI_GLYPHS", "console")
    app = build_demo_app(frozen=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_ready(pilot)
        assert glyphs.current() is CONSOLE
        [job] = await app.runtime.engine.submit(SEQ, _machines(app, "fin-ws-0002"))
        await wait_until(pilot, lambda: job.is_final, timeout=60)
        for keys in (["1"], ["2"], ["3"], ["4"], ["5"], ["question_mark"], ["escape", "ctrl+p"]):
            await pilot.press(*keys)
            await pilot.pause(0.2)
            text = screen_text(app)
            assert not foreign(text), f"after {keys}: {sorted(foreign(text))}"
            if keys == ["1"]:  # the cursor row is marked by a glyph, not by its colour alone
                assert "\n >app-prd-001" in text, text
        await pilot.press("escape", "1", "space")
        app.sequence_pane.load_sequence(SEQ)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "Pre-flight" in screen_text(app))
        text = screen_text(app)
        assert "Run 2 commands on 1 machine" in text and not foreign(text), sorted(foreign(text))
        await pilot.press("escape")
        app.notify("A toast, with its Textual border.", title="Note", severity="warning")
        await wait_until(pilot, lambda: "A toast" in screen_text(app))
        text = screen_text(app)
        assert not foreign(text), sorted(foreign(text))
        await pilot.press("3", "p")  # a paused queue keeps the next job unfinished: q asks first
        await app.runtime.engine.submit(SEQ, _machines(app, "fin-ws-0003"))
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, QuitScreen))
        await pilot.pause()
        text = screen_text(app)
        assert not foreign(text), sorted(foreign(text))


@pytest.mark.parametrize(
    ("env", "ui", "term", "want"),
    [
        ("console", "auto", "xterm-256color", CONSOLE),
        ("", "console", "xterm-256color", CONSOLE),
        ("unicode", "console", "linux", UNICODE),  # the environment wins over the file
        ("", "auto", "linux", CONSOLE),
        ("", "auto", "xterm-256color", UNICODE),
    ],
)
async def test_the_setting_the_variable_and_term_select_the_mode(monkeypatch, env, ui, term, want):
    from lrtui.settings import load_settings

    monkeypatch.setenv("TERM", term)
    if env:
        monkeypatch.setenv("LRTUI_GLYPHS", env)
    settings = load_settings(demo=True)
    if not env:
        settings.ui.glyphs = ui
    app = build_demo_app(settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert glyphs.current() is want
        assert app.has_class("-console") is (want is CONSOLE)
        assert app.console_mode is (want is CONSOLE)


def test_auto_counts_the_terminal_colours():
    assert glyphs.pick("auto", term="xterm", colours=16) is CONSOLE
    assert glyphs.pick("auto", term="xterm", colours=8) is CONSOLE
    assert glyphs.pick("auto", term="xterm-256color", colours=256) is UNICODE
    assert glyphs.pick("auto", term="LINUX", colours=None) is CONSOLE
    assert glyphs.pick("unicode", term="linux", colours=16) is UNICODE


def test_a_bad_glyph_mode_is_a_clear_message(monkeypatch, tmp_path):
    from lrtui.settings import load_settings

    monkeypatch.setenv("LRTUI_GLYPHS", "fancy")
    with pytest.raises(ConfigError) as err:
        load_settings(demo=True)
    assert "LRTUI_GLYPHS='fancy' is not a glyph mode" in str(err.value)
    assert "console" in err.value.hint and "unicode" in err.value.hint

    monkeypatch.delenv("LRTUI_GLYPHS")
    config = tmp_path / "config.toml"
    config.write_text('[ui]\nglyphs = "fancy"\n', encoding="utf-8")
    config.chmod(0o600)
    monkeypatch.setenv("LRTUI_CONFIG", str(config))
    with pytest.raises(ConfigError) as err:
        load_settings(demo=True)
    text = f"{err.value} {err.value.hint}"
    assert "glyphs" in text and "auto, unicode, console" in text


def test_the_console_table_is_console_safe():
    for value in vars(CONSOLE).values():
        if isinstance(value, str) and value != CONSOLE.name:
            assert glyphs.console_safe(value), value
    assert not glyphs.console_safe(UNICODE.search + UNICODE.bar_full)


async def test_an_ansi_theme_chosen_later_gets_readable_colours():
    """The 16-colour pairing follows the theme: on for the ANSI ``lrtui-terminal`` theme, off again after."""
    from lrtui.tui.readable16 import Readable16

    app = build_demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        assert not any(isinstance(f, Readable16) for f in app.get_line_filters())
        app.theme = "lrtui-terminal"
        await pilot.pause()
        assert any(isinstance(f, Readable16) for f in app.get_line_filters())
        app.theme = "lrtui-dark"
        await pilot.pause()
        assert not any(isinstance(f, Readable16) for f in app.get_line_filters())
