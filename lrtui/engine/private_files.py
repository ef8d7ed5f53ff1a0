"""0600 files in 0700 folders for the engine's journal, evidence and exports (no heavy imports: the journal opens
with it on every headless command)."""

from __future__ import annotations

import os
from pathlib import Path


def create_private_file(path: Path) -> Path:
    """Create ``path`` (and its folder, 0700) with mode 0600 if missing; tighten it if it exists."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
    return path


def private_dirs(root: Path, leaf: Path) -> None:
    """Create ``root`` and every folder down to ``leaf`` as 0700 (evidence is nobody else's business)."""
    if not root.parent.exists():
        root.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    chain = [leaf, *leaf.parents]
    todo = [p for p in chain[: chain.index(root) + 1]] if root in chain else [leaf]
    for p in reversed(todo):
        if not p.exists():
            p.mkdir(mode=0o700, exist_ok=True)
            p.chmod(0o700)
