"""Reading a script's arguments and the ``# sim:`` directive lines of uploaded scripts."""

from __future__ import annotations

import re
import shlex

__all__ = ["directives", "flag", "option", "split_args"]

_DIRECTIVE = re.compile(rb"^\s*(?:#|//|REM|::)\s*sim:\s*(.*)$", re.M | re.I)


def split_args(args: str | None) -> list[str]:
    if not args:
        return []
    # posix=False keeps backslashes (C:\Windows\Temp); quotes around a value are then removed by hand
    try:
        parts = shlex.split(args, posix=False)
    except ValueError:
        parts = args.split()
    return [p[1:-1] if len(p) >= 2 and p[0] == p[-1] and p[0] in "\"'" else p for p in parts]


def option(argv: list[str], name: str, default: str | None = None) -> str | None:
    """The value after ``-name`` or ``--name`` (any case), else ``default``."""
    low = [a.lower() for a in argv]
    for flag_ in (f"-{name.lower()}", f"--{name.lower()}"):
        if flag_ in low:
            i = low.index(flag_)
            if i + 1 < len(argv):
                return argv[i + 1]
    return default


def flag(argv: list[str], name: str) -> bool:
    return f"-{name.lower()}" in [a.lower() for a in argv]


def directives(content: bytes) -> dict[str, str]:
    """``# sim: key=value flag ...`` lines, merged (a bare word is ``"1"``)."""
    out: dict[str, str] = {}
    for m in _DIRECTIVE.finditer(content):
        text = m.group(1).decode("utf-8", "replace")
        for tok in split_args(text):
            k, sep, v = tok.partition("=")
            out[k.strip().lower()] = v if sep else "1"
    return out
