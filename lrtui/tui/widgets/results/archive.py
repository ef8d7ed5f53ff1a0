"""List the members of a collected archive (zip or tar), names cleaned. Blocking: run it in a thread."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

from lrtui.tui.safe_text import safe_line

MAX_MEMBERS = 10_000


def archive_listing(path: str | Path) -> tuple[str, list[str]] | None:
    """(kind, lines) for a zip or tar file, None when the file is not an archive (or cannot be read)."""
    p = Path(path)
    try:
        if zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as z:
                infos = z.infolist()
                lines = [
                    f"{i.file_size:>12,}  {'%04d-%02d-%02d %02d:%02d' % i.date_time[:5]}  {safe_line(i.filename)}"
                    for i in infos[:MAX_MEMBERS]
                ]
                return _finish("zip", lines, len(infos))
        if tarfile.is_tarfile(p):
            with tarfile.open(p) as t:
                members = []
                for m in t:
                    members.append(m)
                    if len(members) > MAX_MEMBERS:
                        break
                lines = [f"{m.size:>12,}  {_kind(m)}  {safe_line(m.name)}" for m in members[:MAX_MEMBERS]]
                return _finish("tar", lines, len(members))
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, ValueError) as e:
        return "unreadable archive", [safe_line(f"{type(e).__name__}: {e}")]
    return None


def _kind(m: tarfile.TarInfo) -> str:
    return "dir " if m.isdir() else ("link" if m.issym() or m.islnk() else "file")


def _finish(kind: str, lines: list[str], total: int) -> tuple[str, list[str]]:
    if total > MAX_MEMBERS:
        lines.append(f"... and more (only the first {MAX_MEMBERS:,} entries are listed)")
    return kind, lines
