"""Themes: bundled TOML files (``themes/``) and the user's (``lrtui.settings.user_themes_dir()``).

Every theme is validated (the pydantic ``ThemeModel``, every colour through ``textual.color.Color.parse``)
before it reaches Textual, because Textual's ``Theme`` accepts anything and then dies at render time.
``load_themes() -> (ok, failed)`` never raises; a broken file is named in one message and the app falls back
to ``lrtui-dark``. The chosen theme persists through ``lrtui.settings.save_ui_theme``.

Startup: pydantic costs ~80 ms to import, so before the first frame only the configured theme's file is read
and its colours checked with ``Color.parse`` (``quick_theme``); the full pydantic pass runs right after the
first frame (``report_failures``).
"""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.color import Color
from textual.theme import Theme

if TYPE_CHECKING:
    from textual.app import App

    from lrtui.settings import Settings

log = logging.getLogger(__name__)

DEFAULT = "lrtui-dark"
BUILTIN_NAMES = ("lrtui-dark", "lrtui-light", "lrtui-projector", "lrtui-terminal")
COLOUR_FIELDS = (
    "primary", "secondary", "warning", "error", "success", "accent", "foreground", "background", "surface",
    "panel", "boost",
)  # fmt: skip
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


def parse_colour(value: str, where: str) -> str:
    """``value`` if Textual can parse it as a colour, else ``ValueError`` naming ``where``."""
    try:
        Color.parse(value)
    except Exception:
        raise ValueError(f"{where} = {value!r} is not a colour (use #rrggbb, rgb(...), a name or ansi_*)") from None
    return value


def check_variable(name: str, value: str) -> str:
    """Theme variables are CSS values: colours (optionally with an alpha %), or text styles."""
    if not isinstance(value, str):
        raise ValueError(f"variables.{name} must be a string")
    if name.endswith("text-style") or name.endswith("-style"):
        return value
    head = value.split()[0] if value.split() else value
    parse_colour(head, f"variables.{name}")
    return value


def quick_theme(data: dict[str, Any]) -> Theme:
    """A theme from TOML data with only the colour checks (no pydantic): used before the first frame."""
    if not isinstance(data.get("name"), str) or not isinstance(data.get("primary"), str):
        raise ValueError("a theme needs a name and a primary colour")
    kwargs: dict[str, Any] = {"name": data["name"]}
    for key in COLOUR_FIELDS:
        if data.get(key) is not None:
            kwargs[key] = parse_colour(str(data[key]), key)
    for key in ("dark", "ansi"):
        if key in data:
            kwargs[key] = bool(data[key])
    for key in ("luminosity_spread", "text_alpha"):
        if key in data:
            kwargs[key] = float(data[key])
    variables = data.get("variables") or {}
    kwargs["variables"] = {k: check_variable(k, v) for k, v in variables.items()}
    return Theme(**kwargs)


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
    from lrtui.tui.theme_model import ThemeModel

    ok: dict[str, Theme] = {}
    failed: list[tuple[Path, str]] = []
    for path in theme_files():
        try:
            model = ThemeModel.model_validate(_read(path))
            ok[model.name] = model.to_textual_theme()
        except (OSError, tomllib.TOMLDecodeError, ValueError) as exc:
            failed.append((path, _reason(exc)))
    return list(ok.values()), failed


def _reason(exc: Exception) -> str:
    """One line per problem: ``field: message`` for pydantic's errors, else the error's first line."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        parts = []
        for e in exc.errors():
            loc = ".".join(str(x) for x in e.get("loc", ()))
            msg = str(e.get("msg", "")).removeprefix("Value error, ")
            parts.append(f"{loc}: {msg}" if loc else msg)
        return "; ".join(parts)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _quick_from(path: Path, name: str | None = None) -> Theme | None:
    """``quick_theme`` of ``path`` (only if its theme is called ``name``, when given); None if it is broken."""
    try:
        data = _read(path)
        if name is not None and data.get("name") != name:
            return None
        return quick_theme(data)
    except (OSError, tomllib.TOMLDecodeError, ValueError, TypeError, AttributeError) as exc:
        # the full pass after the first frame names every broken file to the user
        log.debug("theme file %s skipped before the first frame: %s", path, exc)
        return None


def find_quick(name: str) -> Theme | None:
    """The theme called ``name`` via ``quick_theme`` (user files win), or None if absent or broken."""
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
            app.theme = theme.name
            return


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
