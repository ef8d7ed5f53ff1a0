"""Themes: bundled TOML files (``themes/``) and the user's (``lrtui.settings.user_themes_dir()``).

Every theme is validated (``lrtui.tui.theme_model.theme_from_data``: plain Python, every colour through
``textual.color.Color.parse``) before it reaches Textual, because Textual's ``Theme`` accepts anything and then
dies at render time. ``load_themes() -> (ok, failed)`` never raises; a broken file is named in one message and
the app falls back to ``lrtui-dark``. The chosen theme persists through ``lrtui.settings.save_ui_theme``.

Startup: before the first frame only the configured theme's file is read (``apply_themes``); every other file
is read and checked right after the first frame (``report_failures``, about a millisecond: no pydantic).
"""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.theme import Theme

from lrtui.tui.theme_model import theme_from_data

if TYPE_CHECKING:
    from textual.app import App

    from lrtui.settings import Settings

log = logging.getLogger(__name__)

DEFAULT = "lrtui-dark"
BUILTIN_NAMES = ("lrtui-dark", "lrtui-light", "lrtui-projector", "lrtui-terminal")
#: App-specific CSS variables lrtui's .tcss may use; each needs a default (see ``variable_defaults``).
APP_VARIABLES: dict[str, str] = {}


def bundled_dir() -> Path:
    """``lrtui/_themes`` in an installed wheel, ``<repo>/themes`` in a checkout."""
    here = Path(__file__).resolve()
    installed = here.parents[1] / "_themes"
    return installed if installed.is_dir() else here.parents[2] / "themes"


def user_dir() -> Path:
    from lrtui.settings import user_themes_dir

    return user_themes_dir()


def theme_files() -> list[Path]:
    """Bundled first, then the user's (a user theme with a bundled name replaces it)."""
    files: list[Path] = []
    for folder in (bundled_dir(), user_dir()):
        try:
            files.extend(sorted(p for p in folder.glob("*.toml") if p.is_file()))
        except OSError:
            continue
    return files


#: a theme is a few dozen lines; anything bigger is not one (and is not parsed)
MAX_THEME_BYTES = 64 * 1024


def _read(path: Path) -> dict[str, Any]:
    """The TOML of a theme file; ``ValueError`` (a clear reason) for a huge or too deeply nested file."""
    with path.open("rb") as fh:
        data = fh.read(MAX_THEME_BYTES + 1)
    if len(data) > MAX_THEME_BYTES:
        raise ValueError(f"the file is larger than {MAX_THEME_BYTES // 1024} KiB: not a theme")
    try:
        return tomllib.loads(data.decode("utf-8"))
    except RecursionError:  # tomllib recurses once per level of nested arrays/tables
        raise ValueError("the file nests arrays or tables too deeply to be a theme") from None
    except UnicodeDecodeError:
        raise ValueError("the file is not UTF-8 text") from None


def load_themes() -> tuple[list[Theme], list[tuple[Path, str]]]:
    """Every bundled and user theme, validated: ``(ok, [(file, reason)])``. Never raises."""
    ok: dict[str, Theme] = {}
    failed: list[tuple[Path, str]] = []
    for path in theme_files():
        try:
            theme = theme_from_data(_read(path))
            ok[theme.name] = theme
        except (OSError, tomllib.TOMLDecodeError, ValueError) as exc:
            failed.append((path, _reason(exc)))
    return list(ok.values()), failed


def _reason(exc: Exception) -> str:
    """The error's first line (``theme_from_data`` puts every problem of a file on one line)."""
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _quick_from(path: Path, name: str | None = None) -> Theme | None:
    """The theme of ``path`` (only if it is called ``name``, when given); None if the file is broken."""
    try:
        data = _read(path)
        if name is not None and data.get("name") != name:
            return None
        return theme_from_data(data)
    except (OSError, tomllib.TOMLDecodeError, ValueError) as exc:
        # the pass after the first frame names every broken file to the user
        log.debug("theme file %s skipped before the first frame: %s", path, exc)
        return None


def find_quick(name: str) -> Theme | None:
    """The valid theme called ``name`` (user files win), or None if absent or broken."""
    found: Theme | None = None
    for path in theme_files():
        if path.stem == name:
            found = _quick_from(path) or found
    if found is None:  # a user file may name its theme differently from its file
        for path in theme_files():
            found = _quick_from(path, name) or found
    return found


def apply_themes(app: App[None], wanted: str) -> None:
    """Before the first frame: register and select ``wanted`` (or the default) cheaply."""
    for name in dict.fromkeys((wanted, DEFAULT)):
        if name in app.available_themes:  # one of Textual's own
            app.theme = name
            return
        theme = find_quick(name)
        if theme is not None:
            app.register_theme(theme)
            _select_before_start(app, theme)
            return


def _select_before_start(app: App[None], theme: Theme) -> None:
    """Select ``theme`` before the app's stylesheet is first parsed.

    Setting ``app.theme`` runs Textual's theme watcher, which queues a reparse of every stylesheet source (about
    4 ms of the start); before the first parse, giving the stylesheet the theme's variables is enough. The
    watcher's other effects are done here too (its classes); a theme whose darkness differs from the one the app
    was built with goes through the watcher, which also switches the ANSI colour filter.
    """
    from textual.app import App

    if theme.dark != app.current_theme.dark:
        app.theme = theme.name
        return
    app.set_reactive(App.theme, theme.name)
    stale = [c for c in app.classes if c.startswith("-theme-")]
    if stale:
        app.remove_class(*stale, update=False)
    app.add_class(f"-theme-{theme.name}", update=False)
    app.stylesheet.set_variables(app.get_css_variables())


def report_failures(app: App[None], wanted: str) -> list[tuple[Path, str]]:
    """After the first frame: register every valid theme; one message naming each broken file."""
    ok, failed = load_themes()
    current = app.theme
    for theme in ok:
        if theme.name == current:
            continue  # already registered (and in use)
        app.register_theme(theme)
    if wanted and wanted != app.theme and wanted not in app.available_themes:
        failed_names = ", ".join(str(p.name) for p, _ in failed)
        message = f"Theme {wanted!r} is not available; using {app.theme}." + (
            f" Broken: {failed_names}" if failed else ""
        )
        app.notify(message, severity="warning", markup=False, timeout=10)  # plain text: file names are untrusted
    if failed:
        lines = [f"{path}: {reason}" for path, reason in failed]
        app.notify("Some theme files were skipped:\n" + "\n".join(lines), title="Themes", severity="warning",
                   markup=False, timeout=15)  # fmt: skip
    return failed


def persist_theme(name: str, settings: Settings) -> Path | None:
    """Remember ``name`` in the config file (``[ui] theme = ...``); keeps the in-memory settings in step."""
    if settings.ui.theme == name:
        return None
    from lrtui.settings import save_ui_theme

    path = save_ui_theme(name, settings.config_path)
    settings.ui.theme = name
    return path
