"""Files on simulated devices: which paths GetFile finds, their contents, and the streamed bench files.

GetFile rule (see :func:`resolve_file`): a path exists when it is a known system file of the device's
OS family, a file a script or PutFile created on that device, a bench file (``C:\\bench\\<N>MiB.bin``,
``/bench/<N>GiB.bin``...), or any other file path under the usual roots (Windows: ``C:\\Users``,
``C:\\Windows``, ``C:\\ProgramData``, ``C:\\Program Files*``, ``C:\\Temp``, ``C:\\inetpub``; POSIX:
``/etc /var /home /Users /tmp /opt /Library /usr /root``) whose name has an extension (POSIX: or sits in
``/etc`` or ``/var/log``) -- except archives and dumps (``.zip .7z .rar .dmp .gz .tgz .tar .cab``),
which exist only once something created them. Any path with a component named ``missing`` (or
``nonexistent``) never exists. Paths of the wrong style for the OS never exist.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ..tenant import MachineRec

__all__ = ["DMP_ZIP_MEMBER_BYTES", "DOWNLOADS_DIR_POSIX", "DOWNLOADS_DIR_WIN", "FileRecipe", "resolve_file"]

DOWNLOADS_DIR_WIN = "C:\\ProgramData\\Microsoft\\Windows Defender Advanced Threat Protection\\Downloads\\"
DOWNLOADS_DIR_POSIX = "/var/opt/microsoft/mdatp/live_response/downloads/"


DMP_ZIP_MEMBER_BYTES = 1_048_576  # the dump inside a minidump's .dmp.zip (kept small: it is built in memory)
_ARCHIVE_EXT = (".zip", ".7z", ".rar", ".dmp", ".gz", ".tgz", ".tar", ".cab")
_WIN_ROOTS = (
    "c:\\users\\",
    "c:\\windows\\",
    "c:\\programdata\\",
    "c:\\program files\\",
    "c:\\program files (x86)\\",
    "c:\\temp\\",
    "c:\\inetpub\\",
)
# paths on the simulated device, never opened here
_NIX_ROOTS = ("/etc/", "/var/", "/home/", "/users/", "/tmp/", "/opt/", "/library/", "/usr/", "/root/", "/private/")  # noqa: S108
_LOCKED = {
    "c:\\windows\\system32\\config\\sam",
    "c:\\windows\\system32\\config\\system",
    "c:\\windows\\system32\\config\\security",
    "c:\\pagefile.sys",
    "c:\\hiberfil.sys",
}
_BENCH = re.compile(r"^(?:[a-z]:\\bench\\|/bench/)(\d+)(b|kib|mib|gib)\.bin$", re.I)
_KNOWN_WIN = {
    "c:\\windows\\system32\\drivers\\etc\\hosts": "hosts",
    "c:\\windows\\system32\\winevt\\logs\\security.evtx": "evtx",
    "c:\\windows\\system32\\winevt\\logs\\system.evtx": "evtx",
    "c:\\windows\\system32\\winevt\\logs\\microsoft-windows-powershell%4operational.evtx": "evtx",
    "c:\\windows\\system32\\notepad.exe": "pe",
    "c:\\windows\\system32\\cmd.exe": "pe",
    "c:\\windows\\temp\\mpcmdrun.log": "log",
    "c:\\windows\\appcompat\\programs\\amcache.hve": "bin",
}
_KNOWN_NIX = {
    "/etc/passwd": "passwd",
    "/etc/hosts": "etchosts",
    "/var/log/auth.log": "log",
    "/var/log/syslog": "log",
    "/etc/os-release": "osrelease",
    "/root/.bash_history": "history",
    "/var/log/system.log": "log",
}


_KIND_BY_EXT = {
    "exe": "pe",
    "dll": "pe",
    "sys": "pe",
    "evtx": "evtx",
    "log": "log",
    "etl": "bin",
    "dat": "bin",
    "hve": "bin",
    "pf": "bin",
    "db": "bin",
}


@dataclass(frozen=True)
class FileRecipe:
    kind: str
    size: int  # uncompressed size in bytes
    machine_id: str
    path: str
    data: bytes | None = None  # literal content (files put by PutFile)


def _is_windows_path(p: str) -> bool:
    return bool(re.match(r"^[A-Za-z]:\\", p)) or p.startswith("\\\\")


def _size_for(kind: str, key: str) -> int:
    h = int(hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:8], 16)
    return {
        "hosts": 824,
        "passwd": 1900,
        "etchosts": 220,
        "osrelease": 380,
        "history": 2400 + h % 4000,
        "evtx": 1_048_576 * (1 + h % 4),
        "pe": 180_000 + h % 400_000,
        "bin": 262_144 + h % 1_000_000,
        "log": 20_000 + h % 200_000,
        "text": 1_000 + h % 60_000,
        "dmp": 8 * 1_048_576,
        "dmpzip": DMP_ZIP_MEMBER_BYTES,
        "triage": 0,
        "generic": 2_000 + h % 20_000,
    }.get(kind, 4096)


def resolve_file(m: MachineRec, path: str) -> FileRecipe | str:
    """The recipe of ``path`` on device ``m``, or an error message (the command fails with it)."""
    win = m.family == "windows"
    if win != _is_windows_path(path) and not _BENCH.match(path):
        return f"The system cannot find the path specified: {path}"
    key = path.lower() if win else path
    parts = re.split(r"[\\/]+", key.lower())
    if any(p in ("missing", "nonexistent") for p in parts):
        return f"File not found: {path}"
    b = _BENCH.match(path)
    if b:
        mult = {"b": 1, "kib": 1024, "mib": 1024**2, "gib": 1024**3}[b.group(2).lower()]
        return FileRecipe("bench", int(b.group(1)) * mult, m.id, key)
    created = _created_file(m, key, win)
    if created is not None:
        return created
    if path.endswith(("\\", "/")) or key in (
        "c:\\windows",
        "c:\\users",
        "c:\\temp",
        "/etc",
        "/var/log",
        "/tmp",  # noqa: S108 (a directory on the simulated device)
        "/home",
    ):
        return f"The path is a directory, not a file: {path}"
    if win and key in _LOCKED:
        return f"The process cannot access the file '{path}' because it is being used by another process."
    known = _KNOWN_WIN if win else _KNOWN_NIX
    if key in known:
        kind = known[key]
        return FileRecipe(kind, _size_for(kind, m.id + key), m.id, key)
    name = parts[-1] if parts else ""
    if name.endswith(_ARCHIVE_EXT):
        return f"File not found: {path}"
    roots = _WIN_ROOTS if win else _NIX_ROOTS
    low = key.lower()
    if not any(low.startswith(r) for r in roots):
        return f"File not found: {path}"
    has_ext = "." in name.strip(".")
    if not has_ext and not (not win and (low.startswith("/etc/") or low.startswith("/var/log/"))):
        return f"File not found: {path}"
    ext = name.rsplit(".", 1)[-1] if has_ext else ""
    kind = _KIND_BY_EXT.get(ext, "text")
    return FileRecipe(kind, _size_for(kind, m.id + key), m.id, key)


def _created_file(m: MachineRec, key: str, win: bool) -> FileRecipe | None:
    """A file a script or PutFile created on ``m`` (the path compared without case on Windows)."""
    for p, recipe in m.created_files.items():
        if (p.lower() if win else p) == key:
            kind, content = recipe[0], recipe[1]
            if kind == "libfile":
                assert isinstance(content, bytes)  # ("libfile", content) as PutFile left it
                return FileRecipe(kind, len(content), m.id, key, data=content)
            return FileRecipe(kind, _size_for(kind, m.id + key), m.id, key)
    return None
