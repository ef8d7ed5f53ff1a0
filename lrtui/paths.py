"""Where lrtui keeps things. Nothing is created at import; callers use ``ensure_dir``.

``LRTUI_HOME`` puts everything under one folder (tests, portable installs); otherwise platformdirs decides.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "lrtui"


def _home() -> Path | None:
    h = os.environ.get("LRTUI_HOME")
    return Path(h).expanduser() if h else None


def _pd():
    import platformdirs

    return platformdirs


def config_dir() -> Path:
    h = _home()
    return h / "config" if h else _pd().user_config_path(APP, appauthor=False)


def config_file() -> Path:
    env = os.environ.get("LRTUI_CONFIG")
    return Path(env).expanduser() if env else config_dir() / "config.toml"


def data_dir() -> Path:
    h = _home()
    return h / "data" if h else _pd().user_data_path(APP, appauthor=False)


def state_dir() -> Path:
    h = _home()
    return h / "state" if h else _pd().user_state_path(APP, appauthor=False)


def cache_dir() -> Path:
    h = _home()
    return h / "cache" if h else _pd().user_cache_path(APP, appauthor=False)


def evidence_dir() -> Path:
    return data_dir() / "evidence"


def journal_file(profile: str = "default") -> Path:
    return state_dir() / f"journal-{profile}.sqlite3"


def token_cache_file(profile: str = "default") -> Path:
    return cache_dir() / f"tokens-{profile}.bin"


def user_themes_dir() -> Path:
    return config_dir() / "themes"


def sequences_dir() -> Path:
    return data_dir() / "sequences"


def ensure_dir(path: Path, mode: int = 0o700) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=mode)
    return path


def create_private_file(path: Path) -> Path:
    """Create ``path`` (and its folder) with mode 0600 if missing; tighten it if it exists."""
    ensure_dir(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
    return path
