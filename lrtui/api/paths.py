"""Device path rules for GetFile, per target OS family.

The analyst types a path plainly (``C:\\Windows\\Temp\\x.zip``). JSON escapes the backslashes when the body
is serialised; nothing here escapes or unescapes anything.
"""

from __future__ import annotations

import re

from lrtui.api.errors import ValidationError

WINDOWS_MAX_PATH = 32_767  # with the \\?\ prefix; classic MAX_PATH is 260
WINDOWS_CLASSIC_MAX = 260
POSIX_MAX_PATH = 4096

_DRIVE = re.compile(r"^[A-Za-z]:\\")
_UNC = re.compile(r"^\\\\[^\\/]+\\[^\\/]+")
_LONG = re.compile(r"^\\\\\?\\[A-Za-z]:\\")
_WIN_BAD = set('<>"|?*')
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


class PathError(ValidationError):
    pass


def _control(path: str) -> bool:
    return any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c in _BIDI for c in path)


def validate_windows(path: str) -> None:
    if _control(path):
        raise PathError("The path contains control or bidi characters; type it again without them.")
    if "/" in path and "\\" not in path:
        raise PathError(
            f"'{path}' looks like a POSIX path, but the device runs Windows.",
            hint=r"Use a drive-letter path such as C:\Windows\Temp\file.txt, or a UNC path \\server\share\file.",
        )
    long_form = bool(_LONG.match(path))
    if not (_DRIVE.match(path) or _UNC.match(path) or long_form):
        raise PathError(
            f"'{path}' is not a full Windows path.",
            hint=r"Start with a drive letter (C:\...) or a UNC share (\\server\share\...).",
        )
    rest = path[4:] if long_form else path
    rest = rest[2:] if _DRIVE.match(rest) else rest
    if any(c in _WIN_BAD for c in rest):
        bad = "".join(sorted({c for c in rest if c in _WIN_BAD}))
        raise PathError(f"The path contains characters Windows does not allow in names: {bad}")
    if path.endswith("\\"):
        raise PathError("The path names a folder; GetFile collects a file. Add the file name.")
    limit = WINDOWS_MAX_PATH if long_form else WINDOWS_CLASSIC_MAX
    if len(path) > limit:
        raise PathError(
            f"The path is {len(path)} characters; Windows allows {limit}.",
            hint=r"Use the \\?\ prefix for long paths." if not long_form else None,
        )


def validate_posix(path: str) -> None:
    if _control(path):
        raise PathError("The path contains control or bidi characters; type it again without them.")
    if not path.startswith("/"):
        if _DRIVE.match(path) or path.startswith("\\\\"):
            raise PathError(
                f"'{path}' is a Windows path, but the device runs Linux or macOS.", hint="Use /path/to/file."
            )
        raise PathError(
            f"'{path}' is not an absolute path.", hint="Start the path with / (for example /var/log/syslog)."
        )
    if path.endswith("/"):
        raise PathError("The path names a folder; GetFile collects a file. Add the file name.")
    if len(path.encode()) > POSIX_MAX_PATH:
        raise PathError(f"The path is longer than {POSIX_MAX_PATH} bytes.")


def validate_path(path: str, os_family: str) -> None:
    """Raise ``PathError`` with a clear message when ``path`` cannot be a GetFile path on that OS family."""
    if not path or not path.strip():
        raise PathError("GetFile needs the full path of a file on the device.")
    if path != path.strip():
        raise PathError("The path has leading or trailing spaces; remove them.")
    if os_family in ("linux", "macos"):
        validate_posix(path)
    else:
        validate_windows(path)


def path_style(path: str) -> str:
    """``windows`` or ``posix``, from the path's shape (for pre-flight against a machine's OS)."""
    return "posix" if path.startswith("/") else "windows"
