"""A minimal multipart/form-data parser for library uploads."""

from __future__ import annotations

import re

__all__ = ["parse_multipart"]


def parse_multipart(body: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """Minimal multipart/form-data parser: name -> (filename or None, bytes)."""
    m = re.search(r'boundary="?([^";]+)"?', content_type, re.I)
    if not m:
        raise ValueError("no boundary in Content-Type")
    boundary = b"--" + m.group(1).encode("latin-1")
    out: dict[str, tuple[str | None, bytes]] = {}
    chunks = body.split(boundary)
    if len(chunks) < 3:
        raise ValueError("no parts")
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("a part has no header/body separator")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        headers = head.decode("utf-8", "replace")
        cd = re.search(r"content-disposition:\s*form-data\s*;(.*)", headers, re.I)
        if not cd:
            raise ValueError("a part has no Content-Disposition")
        nm = re.search(r'(?<![a-z*])name="([^"]*)"', cd.group(1), re.I)
        fn = re.search(r'filename="([^"]*)"', cd.group(1), re.I)
        if not nm:
            raise ValueError("a part has no name")
        out[nm.group(1)] = (fn.group(1) if fn else None, data)
    return out
