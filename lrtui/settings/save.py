"""The one write lrtui makes to ``config.toml``: ``[ui] theme = ...``, one line, everything else kept."""

from __future__ import annotations

import os
import re
from pathlib import Path

from lrtui.api.errors import ConfigError
from lrtui.settings.folders import config_file, ensure_dir

_HEADER = re.compile(r"^\s*\[(.+)\]\s*$")


def _with_theme(text: str, name: str) -> list[str]:
    line = f'theme = "{name}"'
    lines = text.splitlines()
    in_ui, ui_at = False, None
    for i, current in enumerate(lines):
        m = _HEADER.match(current)
        if m:
            in_ui = m.group(1).strip() == "ui"
            if in_ui:
                ui_at = i
            continue
        if in_ui and re.match(r"^\s*theme\s*=", current):
            lines[i] = line
            return lines
    if ui_at is None:
        return lines + (["", "[ui]"] if lines else ["[ui]"]) + [line]
    lines.insert(ui_at + 1, line)
    return lines


def save_ui_theme(name: str, path: Path | None = None) -> Path:
    """Persist the chosen theme by editing only ``[ui] theme = ...`` (creating the file if needed)."""
    path = path or config_file()
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ConfigError(f"Theme name {name!r} may only use letters, digits, '-', '_' and '.'.")
    path = path.resolve() if path.is_symlink() else path  # edit the file the link points to, keep the link
    text = _current_text(path)
    lines = _with_theme(text, name)
    ensure_dir(path.parent)
    tmp = path.with_suffix(".toml.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)  # never group- or world-writable
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    tmp.replace(path)
    return path


def _current_text(path: Path) -> str:
    """The file's text ("" when missing); refused (nothing written) when it is not UTF-8 or not valid TOML."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"Cannot update the theme in {path}: {e}.", hint="The file was left as it is.") from None
    if text:
        import tomllib

        try:
            tomllib.loads(text)  # never rewrite a file we cannot parse
        except (tomllib.TOMLDecodeError, RecursionError) as e:
            raise ConfigError(
                f"Cannot update the theme in {path}: it is not valid TOML ({e}).", hint="The file was left as it is."
            ) from None
    return text
