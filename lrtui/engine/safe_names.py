"""Local file names derived from attacker-controlled text (device paths, machine names) that stay put.

Whatever goes in, the result is one plain path component: no drive, no separator, no ``..``, no control or
bidi characters, no reserved Windows device name, no trailing dot or space, bounded length. ``inside`` then
checks the joined path really is below the evidence folder.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in list("123456789") + ["¹", "²", "³", "0"]
}
_BAD = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f-\x9f]')
_BIDI = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
MAX_COMPONENT = 120


def safe_component(text: str, fallback: str = "file") -> str:
    """One safe path component made from ``text`` (keeps it readable where it can)."""
    s = unicodedata.normalize("NFC", text or "")
    s = _BIDI.sub("", s)
    s = _BAD.sub("_", s)
    s = s.strip().strip(".").strip()
    s = re.sub(r"_+", "_", s)
    if not s or set(s) <= {".", "_", " "}:
        s = fallback
    stem = s.split(".", 1)[0].upper().rstrip()
    if stem in _RESERVED:
        s = "_" + s
    if len(s.encode("utf-8")) > MAX_COMPONENT:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        suffix = Path(s).suffix[:16] if len(Path(s).suffix) <= 16 else ""
        keep = s.encode("utf-8")[: MAX_COMPONENT - 14 - len(suffix.encode())].decode("utf-8", "ignore")
        s = f"{keep}-{digest}{suffix}"
    return s


def device_basename(device_path: str) -> str:
    """The last component of a device path, Windows or POSIX (``C:\\a\\b.txt`` -> ``b.txt``)."""
    p = device_path or ""
    if len(p) >= 2 and p[1] == ":":
        p = p[2:]
    p = p.replace("\\", "/").rstrip("/")
    return p.rsplit("/", 1)[-1]


def safe_result_name(index: int, device_path: str) -> str:
    """``<index>-<safe name>`` for a GetFile result."""
    return f"{int(index)}-{safe_component(device_basename(device_path))}"


def inside(base: Path, candidate: Path) -> bool:
    """True when ``candidate`` resolves below ``base`` (symlinks followed)."""
    try:
        candidate.resolve().relative_to(base.resolve())
    except ValueError:
        return False
    return True


def evidence_path(evidence_root: Path, machine: str, action_id: str, index: int, device_path: str) -> Path:
    """``<root>/<machine>/<action id>/<index>-<safe name>``, refused if it would leave ``root``."""
    p = (
        evidence_root
        / safe_component(machine, "machine")
        / safe_component(action_id, "action")
        / safe_result_name(index, device_path)
    )
    if not inside(evidence_root, p):
        raise ValueError(f"refusing an evidence path outside {evidence_root}")
    return p
