"""Themes: bundled and user TOML files, validation, fallback, persistence, NO_COLOR and 16 colours."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from lrtui.settings import config_file, ensure_dir, user_themes_dir
from lrtui.tui.themes import BUILTIN_NAMES, bundled_dir, find_quick, load_themes
from tests.tui.conftest import wait_ready

REPO = Path(__file__).resolve().parents[2]


def _user_theme(name: str, body: str) -> Path:
    folder = ensure_dir(user_themes_dir())
    path = folder / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_bundled_themes_load_and_validate():
    ok, failed = load_themes()
    assert failed == []
    names = {t.name for t in ok}
    assert set(BUILTIN_NAMES) <= names
    assert bundled_dir() == REPO / "themes"
    for path in bundled_dir().glob("*.toml"):  # the pre-first-frame path (one file) agrees with the full load
        name = tomllib.loads(path.read_text())["name"]
        assert find_quick(name) == next(t for t in ok if t.name == name)


def test_broken_user_themes_are_named_and_skipped():
    _user_theme("good.toml", 'name = "mine"\nprimary = "#ff8800"\nbackground = "ansi_black"\n')
    _user_theme("badcolour.toml", 'name = "bad"\nprimary = "not-a-colour"\n')
    _user_theme("nope.toml", 'name = "broken\nprimary = \n')
    _user_theme("noprimary.toml", 'name = "noprimary"\n')
    _user_theme("extra.toml", 'name = "extra"\nprimary = "red"\nsparkles = true\n')
    _user_theme("badvar.toml", 'name = "badvar"\nprimary = "red"\n[variables]\nfooter-key-foreground = "zzz"\n')
    ok, failed = load_themes()
    assert "mine" in {t.name for t in ok}
    reasons = {p.name: r for p, r in failed}
    assert set(reasons) == {"badcolour.toml", "nope.toml", "noprimary.toml", "extra.toml", "badvar.toml"}
    assert "not-a-colour" in reasons["badcolour.toml"] and "not a colour" in reasons["badcolour.toml"]
    assert "primary" in reasons["noprimary.toml"]
    assert "sparkles" in reasons["extra.toml"]
    assert "footer-key-foreground" in reasons["badvar.toml"]


async def test_app_falls_back_and_names_each_broken_file_in_one_message(make_demo_app):
    import dataclasses

    from lrtui.settings import load_settings

    _user_theme("badcolour.toml", 'name = "bad"\nprimary = "not-a-colour"\n')
    _user_theme("nope.toml", "name = [\n")
    settings = load_settings(demo=True)
    settings = dataclasses.replace(settings, ui=dataclasses.replace(settings.ui, theme="bad"))
    app = make_demo_app(settings=settings)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_ready(pilot)
        assert app.theme == "lrtui-dark"
        notes = [str(n.message) for n in app._notifications if n.title == "Themes"]
        assert len(notes) == 1
        assert "badcolour.toml" in notes[0] and "nope.toml" in notes[0]
        assert any("'bad' is not available" in str(n.message) for n in app._notifications)


async def test_a_user_theme_is_used_and_the_choice_persists(make_demo_app):
    import dataclasses

    from lrtui.settings import load_settings

    _user_theme("sunset.toml", 'name = "sunset"\nprimary = "#ff6600"\ndark = true\nbackground = "#201010"\n')
    settings = load_settings(demo=True)
    settings = dataclasses.replace(settings, ui=dataclasses.replace(settings.ui, theme="sunset"))
    app = make_demo_app(settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        assert app.theme == "sunset"
        assert not config_file().exists()  # selecting the configured theme writes nothing
        app.theme = "lrtui-projector"
        await pilot.pause()
    saved = tomllib.loads(config_file().read_text())
    assert saved["ui"]["theme"] == "lrtui-projector"


async def test_theme_commands_in_the_palette_switch_and_persist(demo_app):
    from textual.command import CommandPalette

    from tests.tui.conftest import wait_until

    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(demo_app.screen, CommandPalette))
        await pilot.press(*"Theme: lrtui-light")
        await pilot.pause(0.4)
        await pilot.press("enter")
        await wait_until(pilot, lambda: demo_app.theme == "lrtui-light")
    assert tomllib.loads(config_file().read_text())["ui"]["theme"] == "lrtui-light"


@pytest.mark.parametrize(
    "env",
    [
        {"NO_COLOR": "1"},
        {"TEXTUAL_COLOR_SYSTEM": "standard"},
        {"TEXTUAL_COLOR_SYSTEM": "standard", "LRTUI_THEME": "lrtui-terminal"},
    ],
    ids=["no-color", "16-colours", "16-colours-terminal-theme"],
)
def test_no_color_and_16_colour_terminals(env, tmp_path):
    """The app starts, loads the tenant and renders its list under NO_COLOR and a 16-colour terminal."""
    script = textwrap.dedent(
        """
        import asyncio, sys
        sys.path.insert(0, %r)
        from tests.tui.conftest import build_demo_app, wait_ready

        async def main():
            from lrtui.settings import load_settings
            app = build_demo_app(settings=load_settings(demo=True))
            async with app.run_test(size=(80, 24)) as pilot:
                await wait_ready(pilot)
                svg = app.export_screenshot()
                print(app.theme, app.no_color, app.console.color_system)
                assert "machines" in svg
                colours = {c for c in __import__("re").findall(r"fill: (#[0-9a-f]{6})", svg)}
                print(len(colours))
        asyncio.run(main())
        """
        % str(REPO)
    )
    full_env = {"PATH": os.environ.get("PATH", ""), "LRTUI_HOME": str(tmp_path), "TEXTUAL_ANIMATIONS": "none", **env}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=full_env, timeout=90, cwd=REPO
    )
    assert out.returncode == 0, out.stderr[-3000:]
    theme, no_color, system, *_ = out.stdout.split()
    if "NO_COLOR" in env:
        assert no_color == "True"
    if env.get("LRTUI_THEME"):
        assert theme == env["LRTUI_THEME"]


@pytest.mark.parametrize("theme", ["deep", "lrtui-dark"])
async def test_a_deeply_nested_theme_file_is_named_and_the_app_starts(make_demo_app, theme):
    """tomllib recurses per nesting level: a hostile or broken file must not stop the app from starting."""
    from lrtui.settings import load_settings

    depth = 5000
    _user_theme("deep.toml", f'name = "{theme}"\nprimary = "#000000"\nx = ' + "[" * depth + "]" * depth + "\n")
    _user_theme("lrtui-dark.toml", 'name = "lrtui-dark"\nprimary = "#000000"\ny = ' + "[" * depth + "]" * depth)
    settings = load_settings(demo=True)
    settings.ui.theme = theme
    app = make_demo_app(settings=settings)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_ready(pilot)
        assert app.theme == "lrtui-dark"
        notes = [str(n.message) for n in app._notifications if n.title == "Themes"]
        assert len(notes) == 1 and "deep.toml: the file nests arrays or tables too deeply" in notes[0]


def test_every_problem_of_a_theme_file_is_named_on_one_line():
    from lrtui.tui.theme_model import theme_from_data

    with pytest.raises(ValueError) as e:
        theme_from_data({"name": "has space", "primary": 3, "dark": "yes", "text_alpha": 1.5, "variables": []})
    reason = str(e.value)
    assert "\n" not in reason
    assert "'has space' is not a theme name" in reason
    assert "primary: must be a colour string" in reason
    assert "dark: must be true or false" in reason
    assert "text_alpha: must be a number from 0 to 1" in reason
    assert "variables: must be a table" in reason
    ok = theme_from_data({"name": "mine", "primary": "#ff8800", "author": "me", "luminosity_spread": 0})
    assert (ok.name, ok.primary, ok.luminosity_spread, ok.dark) == ("mine", "#ff8800", 0.0, True)


def test_loading_themes_imports_no_pydantic(tmp_path):
    """The theme pass runs right after the first frame: it must not pull in pydantic (~80 ms)."""
    code = (
        "import sys; from lrtui.tui.themes import load_themes; ok, failed = load_themes(); "
        "print(len(ok), len(failed), 'pydantic' in sys.modules)"
    )
    env = {"LRTUI_HOME": str(tmp_path), "PATH": os.environ.get("PATH", "")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == [str(len(BUILTIN_NAMES)), "0", "False"]


@pytest.mark.parametrize(("theme", "mode"), [("lrtui-dark", "-dark-mode"), ("lrtui-light", "-light-mode")])
async def test_the_configured_theme_costs_no_stylesheet_reparse_before_the_first_frame(
    make_demo_app, monkeypatch, theme, mode
):
    """Selecting the theme before the first parse gives the stylesheet its variables directly; Textual's watcher
    (a reparse of every source, ~4 ms of the start) runs only for a theme of the other darkness."""
    from lrtui.settings import load_settings
    from lrtui.tui.app import LrtuiApp

    calls: list[str] = []
    seen: dict[str, object] = {}
    refresh_css, after_first_frame = LrtuiApp.refresh_css, LrtuiApp._after_first_frame

    def counting_refresh(self, animate=True):
        calls.append("refresh_css")
        refresh_css(self, animate)

    def spy(self):
        seen["refreshes"] = len(calls)
        after_first_frame(self)

    monkeypatch.setattr(LrtuiApp, "refresh_css", counting_refresh)
    monkeypatch.setattr(LrtuiApp, "_after_first_frame", spy)
    settings = load_settings(demo=True)
    settings.ui.theme = theme
    app = make_demo_app(settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        assert app.theme == theme and app.has_class(f"-theme-{theme}", mode)
        background = app.current_theme.background
        assert background is not None and app.screen.styles.background.hex.lower() == background.lower()
    assert seen["refreshes"] == (0 if theme == "lrtui-dark" else 1)
