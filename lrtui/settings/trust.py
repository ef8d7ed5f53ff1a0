"""Trusting ``config.toml`` the way ssh trusts its config: only the user (or root) may be able to change it.

A config file others can write could point ``api_url`` at any host (and the bearer token with it). So, on POSIX
systems, the file is refused when it (or the file a symlink points to) is group- or world-writable or owned by
someone else, and when a folder holding it (or the symlink) is group- or world-writable and not owned by the
user. Each refusal names the ``chmod``/``chown`` that fixes it. Windows ACLs are not checked.
"""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path

from lrtui.api.errors import ConfigError

_UNCHANGED = "Nothing was changed on disk."


def _who(mode: int) -> str:
    group, world = bool(mode & stat.S_IWGRP), bool(mode & stat.S_IWOTH)
    return "its group and every user" if group and world else "every user" if world else "its group"


def _check_file(path: Path, shown: Path, uid: int) -> None:
    st = path.stat()
    q = shlex.quote(str(path))
    if st.st_uid not in (uid, 0):
        raise ConfigError(
            f"The config file {shown} is owned by user id {st.st_uid}, not by you; "
            "whoever owns it could point api_url at their own host.",
            hint=f"Run: chown {uid} {q}  (or use a config file of your own with LRTUI_CONFIG). {_UNCHANGED}",
        )
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        via = f" (through the symlink {shown})" if path != shown else ""
        raise ConfigError(
            f"The config file {path}{via} can be changed by {_who(st.st_mode)} (mode {stat.S_IMODE(st.st_mode):04o}), "
            "so anyone could point api_url at their own host.",
            hint=f"Run: chmod go-w {q}  {_UNCHANGED}",
        )


def _check_folder(folder: Path, shown: Path, uid: int) -> None:
    st = folder.stat()
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and st.st_uid != uid:
        raise ConfigError(
            f"The config file {shown} is in {folder}, a folder {_who(st.st_mode)} can write and you do not own; "
            "anyone could replace the file and point api_url at their own host.",
            hint=f"Move the file to a folder only you can write (LRTUI_CONFIG names it), "
            f"or run: chmod go-w {shlex.quote(str(folder))}  {_UNCHANGED}",
        )


def check_config_trust(path: Path) -> None:
    """Raise ``ConfigError`` when others could change the config file at ``path``; a missing file is fine."""
    if os.name != "posix":
        return
    uid = os.getuid()
    try:
        is_link = path.is_symlink()
        real = path.resolve(strict=True)
    except (FileNotFoundError, NotADirectoryError):  # no config file: nothing to trust
        return
    except (OSError, RuntimeError) as e:  # a symlink loop, a folder we may not enter
        raise ConfigError(f"Cannot check the config file {path}: {e}.", hint=_UNCHANGED) from None
    try:
        _check_file(real, path, uid)
        _check_folder(real.parent, path, uid)
        if is_link and path.parent.resolve() != real.parent:
            _check_folder(path.parent.resolve(), path, uid)
    except OSError as e:
        raise ConfigError(f"Cannot check the config file {path}: {e.strerror or e}.", hint=_UNCHANGED) from None
