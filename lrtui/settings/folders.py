"""Where lrtui keeps things. Nothing is created at import or lookup; callers use ``ensure_dir``.

``LRTUI_HOME`` puts everything under one folder (tests, portable installs); otherwise platformdirs decides.
``LRTUI_CONFIG`` names the config file itself. The module functions read both at each call.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP = "lrtui"


@dataclass(frozen=True)
class Folders:
    """The folder roots: ``home`` (``LRTUI_HOME``) and ``config_override`` (``LRTUI_CONFIG``)."""

    home: Path | None = None
    config_override: Path | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Folders:
        env = os.environ if environ is None else environ
        home, config = env.get("LRTUI_HOME"), env.get("LRTUI_CONFIG")
        return cls(
            home=Path(home).expanduser() if home else None,
            config_override=Path(config).expanduser() if config else None,
        )

    def config_dir(self) -> Path:
        if self.home:
            return self.home / "config"
        import platformdirs

        return platformdirs.user_config_path(APP, appauthor=False)

    def config_file(self) -> Path:
        return self.config_override or self.config_dir() / "config.toml"

    def data_dir(self) -> Path:
        if self.home:
            return self.home / "data"
        import platformdirs

        return platformdirs.user_data_path(APP, appauthor=False)

    def state_dir(self) -> Path:
        if self.home:
            return self.home / "state"
        import platformdirs

        return platformdirs.user_state_path(APP, appauthor=False)

    def cache_dir(self) -> Path:
        if self.home:
            return self.home / "cache"
        import platformdirs

        return platformdirs.user_cache_path(APP, appauthor=False)

    def evidence_dir(self) -> Path:
        return self.data_dir() / "evidence"

    def journal_file(self, profile: str = "default") -> Path:
        return self.state_dir() / f"journal-{profile}.sqlite3"

    def token_cache_file(self, profile: str = "default") -> Path:
        return self.cache_dir() / f"tokens-{profile}.bin"

    def user_themes_dir(self) -> Path:
        return self.config_dir() / "themes"

    def sequences_dir(self) -> Path:
        return self.data_dir() / "sequences"


def config_dir() -> Path:
    return Folders.from_env().config_dir()


def config_file() -> Path:
    return Folders.from_env().config_file()


def data_dir() -> Path:
    return Folders.from_env().data_dir()


def state_dir() -> Path:
    return Folders.from_env().state_dir()


def cache_dir() -> Path:
    return Folders.from_env().cache_dir()


def evidence_dir() -> Path:
    return Folders.from_env().evidence_dir()


def journal_file(profile: str = "default") -> Path:
    return Folders.from_env().journal_file(profile)


def token_cache_file(profile: str = "default") -> Path:
    return Folders.from_env().token_cache_file(profile)


def user_themes_dir() -> Path:
    return Folders.from_env().user_themes_dir()


def sequences_dir() -> Path:
    return Folders.from_env().sequences_dir()


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
