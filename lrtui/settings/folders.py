"""Where lrtui keeps things. Nothing is created at import or lookup; callers use ``ensure_dir``.

``LRTUI_HOME`` puts everything under one folder (tests, portable installs); otherwise platformdirs decides.
``LRTUI_CONFIG`` names the config file itself. The module functions read both at each call.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lrtui.api.errors import ConfigError
from lrtui.settings.checks import PROFILE_CHARS, profile_name_problem

APP = "lrtui"


def _file_part(profile: str) -> str:
    """``profile`` as part of a file name; a name that could leave the folder is refused (the loader checks
    names first, with the file and line, so this only guards settings built in code)."""
    if problem := profile_name_problem(profile):
        raise ConfigError(f"The profile name {profile!r} {problem}.", hint=f"Use only {PROFILE_CHARS}.")
    return profile


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
        return self.state_dir() / f"journal-{_file_part(profile)}.sqlite3"

    def token_cache_file(self, profile: str = "default") -> Path:
        return self.cache_dir() / f"tokens-{_file_part(profile)}.bin"

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


def writable_dir(path: Path, what: str, home: Path | None = None) -> Path:
    """``ensure_dir(path)`` for the folder that holds ``what`` (``the journal``...), or a ``ConfigError`` naming
    the folder, why and what to do (``home``: the ``LRTUI_HOME`` it lies under, named in the hint)."""
    try:
        ensure_dir(path)
        ok = os.access(path, os.W_OK | os.X_OK)
        why = "it is not writable"
    except OSError as e:
        ok, why = False, e.strerror or str(e)
    if ok:
        return path
    fix = (
        f"Set LRTUI_HOME (now {home}) to a folder you can write, or unset it"
        if home is not None
        else "Fix that folder's permissions, or set LRTUI_HOME to a folder you can write"
    )
    raise ConfigError(f"Cannot use the folder {path} for {what}: {why}.", hint=f"{fix}.")


def write_private_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically: a 0600 file (from creation, never briefly readable by others) in a
    0700 folder. Crash reports and other files the settings' folders hold."""
    ensure_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=str(path.parent))
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def create_private_file(path: Path) -> Path:
    """Create ``path`` (and its folder) with mode 0600 if missing; tighten it if it exists."""
    ensure_dir(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
    return path
