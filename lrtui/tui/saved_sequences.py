"""Named command sequences saved as JSON files in ``lrtui.settings.sequences_dir()``.

Each file holds the exact request body (``Sequence.to_body()``), so a saved sequence is also a valid
``runliveresponse`` body. Names are checked so a name can never escape the folder.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from lrtui.api.errors import ValidationError
from lrtui.api.sequence import Sequence, SequenceError
from lrtui.settings import ensure_dir, sequences_dir

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,79}$")
SUFFIX = ".json"


class SavedSequenceError(ValidationError):
    """A saved sequence cannot be read, written or named that way."""


def check_name(name: str) -> str:
    """Return the name stripped, or raise with what a name may contain."""
    n = name.strip()
    if not _NAME.match(n) or n.endswith("."):
        raise SavedSequenceError(
            f"{name!r} cannot be a sequence name.",
            hint="Use 1-80 letters, digits, spaces, '.', '-' or '_', starting with a letter or digit.",
        )
    return n


def _file(name: str) -> Path:
    return sequences_dir() / f"{check_name(name)}{SUFFIX}"


def list_saved() -> list[str]:
    """The saved names, sorted case-insensitively; empty when the folder does not exist yet."""
    folder = sequences_dir()
    if not folder.is_dir():
        return []
    names = [p.name[: -len(SUFFIX)] for p in folder.iterdir() if p.name.endswith(SUFFIX) and p.is_file()]
    return sorted((n for n in names if _NAME.match(n)), key=str.lower)


def load(name: str) -> Sequence:
    path = _file(name)
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SavedSequenceError(f"There is no saved sequence named {name!r}.") from None
    except (OSError, ValueError) as e:
        raise SavedSequenceError(f"The saved sequence {name!r} cannot be read ({path}): {e}") from None
    if not isinstance(body, dict):
        raise SavedSequenceError(f"The saved sequence {name!r} is not a JSON object ({path}).")
    try:
        return Sequence.from_body(body)
    except SequenceError as e:
        raise SavedSequenceError(f"The saved sequence {name!r} is not valid: {e.message}") from None


def save(name: str, seq: Sequence) -> None:
    """Write atomically (temp file then rename), 0600."""
    path = _file(name)
    ensure_dir(path.parent)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(seq.to_json(indent=2))
        fh.write("\n")
    os.replace(tmp, path)


def exists(name: str) -> bool:
    return _file(name).is_file()


def delete(name: str) -> None:
    try:
        _file(name).unlink()
    except FileNotFoundError:
        raise SavedSequenceError(f"There is no saved sequence named {name!r}.") from None
