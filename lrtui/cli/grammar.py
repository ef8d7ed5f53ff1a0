"""The parser as data, for what is generated from it (completion scripts, the man page, the help test).

argparse has no public way to list a parser's options and subcommands; this module is the one place that
reads its ``_actions`` (typed in typeshed), so the generators never touch argparse internals themselves."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Option:
    flags: list[str]  #: ``["--machine", "-m"]``; empty for a positional
    dest: str
    help: str
    metavar: str | None  #: None when the option takes no value
    choices: list[str] = field(default_factory=list)
    is_path: bool = False  #: the value is a file or folder (completed as one)

    @property
    def takes_value(self) -> bool:
        return self.metavar is not None


@dataclass(frozen=True)
class Command:
    name: str  #: "" for the top level
    help: str
    description: str
    options: list[Option] = field(default_factory=list)
    positionals: list[Option] = field(default_factory=list)
    subcommands: list[Command] = field(default_factory=list)


_PATH_WORDS = ("FILE", "DIR", "BUNDLE")


def _option(a: argparse.Action) -> Option:
    takes = a.nargs != 0
    metavar = a.metavar if isinstance(a.metavar, str) else (a.dest.upper() if takes else None)
    if not takes:
        metavar = None
    return Option(
        flags=list(a.option_strings),
        dest=a.dest,
        help=a.help if isinstance(a.help, str) and a.help != argparse.SUPPRESS else "",
        metavar=metavar,
        choices=[str(c) for c in a.choices] if a.choices is not None and not isinstance(a.choices, dict) else [],
        is_path=a.type is Path or (metavar or "") in _PATH_WORDS,
    )


def walk(parser: argparse.ArgumentParser, name: str = "", help: str = "") -> Command:
    """Every option, positional and subcommand of ``parser``, recursively (``--help``/``--version`` included)."""
    cmd = Command(name=name, help=help, description=parser.description or "")
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            helps = {c.dest: c.help or "" for c in a._choices_actions}
            for sub_name, sub in a.choices.items():
                cmd.subcommands.append(walk(sub, sub_name, helps.get(sub_name, "")))
        elif a.option_strings:
            cmd.options.append(_option(a))
        else:
            cmd.positionals.append(_option(a))
    return cmd


def commands(root: Command, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Command]]:
    """``(path, command)`` for the root and every subcommand, depth first: ``(("library", "upload"), ...)``."""
    out = [(prefix, root)]
    for sub in root.subcommands:
        out.extend(commands(sub, (*prefix, sub.name)))
    return out
