"""lrtui(1) in roff, generated from the parser (``lrtui man``; ``man/lrtui.1`` is its output)."""

from __future__ import annotations

import argparse

from lrtui import __version__
from lrtui.cli.exits import EXIT_CODES
from lrtui.cli.grammar import Command, Option, commands, walk
from lrtui.cli.parser import EXAMPLES


def roff(text: str) -> str:
    """Text safe in a roff line: backslashes and hyphens escaped, a leading dot or quote neutralised."""
    out = text.replace("\\", "\\e").replace("-", "\\-")
    lines = [("\\&" + ln if ln.startswith((".", "'")) else ln) for ln in out.split("\n")]
    return "\n".join(lines)


def _option(o: Option) -> list[str]:
    flags = ", ".join(f"\\fB{roff(f)}\\fR" for f in o.flags) if o.flags else f"\\fI{roff(o.metavar or o.dest)}\\fR"
    if o.flags and o.takes_value:
        flags += f" \\fI{roff(o.metavar or '')}\\fR"
    text = o.help + (f" (one of: {', '.join(o.choices)})" if o.choices else "")
    return [".TP", flags, roff(text)]


def _command(path: tuple[str, ...], cmd: Command) -> list[str]:
    lines = [".SS " + roff("lrtui " + " ".join(path)), roff(cmd.description or cmd.help)]
    for p in cmd.positionals:
        if p.dest not in ("sim_args",):
            lines += _option(p)
    for o in cmd.options:
        if o.dest not in ("help", "profile", "api_url", "auth", "demo"):
            lines += _option(o)
    return lines


def manpage(parser: argparse.ArgumentParser, date: str = "") -> str:
    root = walk(parser, "lrtui")
    lines = [
        f'.TH LRTUI 1 "{date}" "lrtui {__version__}" "User Commands"',
        ".SH NAME",
        "lrtui \\- Microsoft Defender for Endpoint live response, from the terminal",
        ".SH SYNOPSIS",
        "\\fBlrtui\\fR [\\fIconnection options\\fR] [\\fICOMMAND\\fR] [\\fIoptions\\fR]",
        ".SH DESCRIPTION",
        roff(root.description),
        ".SH CONNECTION OPTIONS",
        "Given before or after the command.",
    ]
    for o in root.options:
        lines += _option(o)
    lines.append(".SH COMMANDS")
    for path, cmd in commands(root)[1:]:
        if cmd.name != "sim" or not path[:-1]:
            lines += _command(path, cmd)
    lines.append(".SH EXIT STATUS")
    for code, meaning in EXIT_CODES:
        lines += [".TP", f"\\fB{code}\\fR", roff(meaning)]
    lines += [".SH EXAMPLES", ".nf", roff(EXAMPLES.split("\n", 1)[1].rstrip()), ".fi"]
    lines += [".SH SEE ALSO", "\\fBlrtui sim \\-\\-help\\fR, \\fBlrtui config example\\fR, README.md"]
    return "\n".join(lines) + "\n"
