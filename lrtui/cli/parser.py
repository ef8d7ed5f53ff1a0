"""The command line's grammar (argparse): connection options before or after the subcommand, the ordered
``--put-file/--run-script/--args/--get-file`` options of ``lrtui run``, and the other subcommands
(``lrtui.cli.parser_commands``). Completion scripts and the man page are generated from this parser."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lrtui import __version__
from lrtui.cli.exits import exit_codes_text

DESCRIPTION = """\
lrtui: Microsoft Defender for Endpoint live response, from the terminal.

With no subcommand it opens the app on the active profile, or on the in-process demo
tenant when no profile is configured (say --demo to force it). Headless commands never
fall back to the demo tenant: without a usable profile they exit 3 unless --demo is given."""

EXAMPLES = """\
examples:
  lrtui                                   open the app (the demo tenant if nothing is configured)
  lrtui run -m lab-ws01 --run-script collect.ps1 -c "IR-1234 triage" --out ./evidence
  lrtui run --machines-file - --get-file 'C:\\Windows\\Temp\\x.log' -c "IR-1234" --deadline 30m --json < hosts.txt
  lrtui run --filter "osPlatform eq 'Windows11'" --run-script collect.ps1 -c "IR-1234" --canary 3 --max-failures 10%
  lrtui resume --json                     follow what a run left queued or running
  lrtui resume --batch 3f2a1b2c           continue a batch its canary or failure limit paused
  lrtui machines --search "tag:finance health:online" --csv
  lrtui library upload ./collect.ps1 --description "triage collector"
  lrtui verify ./bundle                   re-hash an evidence bundle (exit 0 intact, 1 changed)
  lrtui completion bash > ~/.local/share/bash-completion/completions/lrtui
"""

EPILOG = f"{EXAMPLES}\nexit codes:\n{exit_codes_text()}\n"

#: ``(kind, value, args)`` per ordered command option, e.g. ``("RunScript", "collect.ps1", "-Full")``.
OrderedCommand = tuple[str, str, str | None]

#: ``subparsers.add_parser``: adds one subcommand's parser.
AddParser = Callable[..., argparse.ArgumentParser]

_KINDS = {"put_file": "PutFile", "run_script": "RunScript", "get_file": "GetFile"}

FORMAT_HELP = {
    "json": "print one JSON document (with a schema version; non-ASCII escaped)",
    "jsonl": "stream one JSON line per job change and per result, as they happen",
    "csv": "print CSV, one row per command (cells that look like formulas are neutralised)",
}


class _Ordered(argparse.Action):
    """Appends (kind, value, args) to ``namespace.commands`` in the order given on the line."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        cmds: list[OrderedCommand] | None = namespace.commands
        if cmds is None:
            cmds = []
            namespace.commands = cmds
        value = str(values)
        if self.dest == "args":
            if not cmds or cmds[-1][0] != "RunScript":
                parser.error("--args belongs to the --run-script before it; put it right after one.")
            if cmds[-1][2] is not None:
                parser.error("one --args per --run-script.")
            cmds[-1] = (cmds[-1][0], cmds[-1][1], value)
            return
        cmds.append((_KINDS[self.dest], value, None))


def connection_options(p: argparse.ArgumentParser, *, top: bool = False) -> None:
    """The same options before or after the subcommand (``lrtui --demo run ...`` and ``lrtui run --demo ...``).
    On subcommands they default to SUPPRESS so they never overwrite what was given before the subcommand."""
    d: dict[str, Any] = {} if top else {"default": argparse.SUPPRESS}
    g = p.add_argument_group("connection")
    g.add_argument("--profile", metavar="NAME", help="profile from the config file (see: lrtui config path)", **d)
    g.add_argument("--api-url", metavar="URL", help="API base URL (overrides the profile's cloud and region)", **d)
    g.add_argument(
        "--auth",
        metavar="KIND",
        help="auth provider: client_secret, certificate, device_code, "
        "managed_identity, azure_cli, token (LRTUI_ACCESS_TOKEN)",
        **d,
    )
    g.add_argument("--demo", action="store_true", help="use the in-process demo tenant (on purpose)", **d)


def format_options(p: argparse.ArgumentParser, *kinds: str) -> None:
    """Mutually exclusive ``--json``/``--jsonl``/``--csv`` into ``fmt`` (default ``text``)."""
    g = p.add_mutually_exclusive_group()
    for kind in kinds:
        g.add_argument(f"--{kind}", dest="fmt", action="store_const", const=kind, help=FORMAT_HELP[kind])
    p.set_defaults(fmt="text")


def subcommand(add: AddParser, name: str, help: str, **kw: Any) -> argparse.ArgumentParser:
    """A subcommand's parser: its help, the connection options, the exit codes in its epilog."""
    p = add(
        name,
        help=help,
        description=kw.pop("description", help[:1].upper() + help[1:] + "."),
        epilog=kw.pop("epilog", "") + f"exit codes:\n{exit_codes_text()}\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        **kw,
    )
    connection_options(p)
    return p


def _run_parser(add: AddParser) -> None:
    r = subcommand(
        add,
        "run",
        "run one sequence on one or more machines, headless",
        description="Run PutFile*, RunScript*, GetFile* on machines and collect every result. "
        "Commands keep the order given.",
        epilog=EXAMPLES + "\n",
    )
    tg = r.add_argument_group("targets")
    tg.add_argument(
        "--machine", "-m", action="append", default=[], metavar="ID_OR_NAME", help="a machine id or name (repeatable)"
    )
    tg.add_argument(
        "--machines-file", metavar="FILE", help="one machine id or name per line (# comments); - reads standard input"
    )
    tg.add_argument("--filter", metavar="ODATA", help="target the machines an OData $filter matches")
    tg.add_argument("--skip-offline", action="store_true", help="leave out machines that are not Active (named)")
    cg = r.add_argument_group("commands (in order)")
    cg.add_argument("--put-file", dest="put_file", action=_Ordered, metavar="NAME", help="library file to put")
    cg.add_argument("--run-script", dest="run_script", action=_Ordered, metavar="NAME", help="library script to run")
    cg.add_argument(
        "--args", dest="args", action=_Ordered, metavar='"..."', help="arguments of the --run-script before"
    )
    cg.add_argument("--get-file", dest="get_file", action=_Ordered, metavar="PATH", help="device file to collect")
    r.add_argument(
        "--comment", "-c", metavar="TEXT", help="required: who runs this and why (the profile's prefix is added)"
    )
    r.add_argument("--out", metavar="DIR", type=Path, help="where results go (default: the user data dir)")
    format_options(r, "json", "jsonl", "csv")
    r.add_argument("--no-wait", action="store_true", help="submit and return; `lrtui resume` follows up")
    r.add_argument(
        "--deadline",
        metavar="DURATION",
        type=parse_duration,
        help="stop waiting after DURATION (90, 20s, 30m, 2h); exit 4 if work is still queued or running",
    )
    r.add_argument(
        "--dry-run",
        action="store_true",
        help="print the exact request body per machine and the time the batch needs; send nothing",
    )
    canary_options(r)
    r.set_defaults(commands=None)


def canary_options(r: argparse.ArgumentParser) -> None:
    """``--canary N``, ``--canary-max-failures``, ``--max-failures`` (see ``lrtui.engine.canary``)."""
    g = r.add_argument_group("canary and failure limit")
    g.add_argument(
        "--canary",
        metavar="N",
        type=_canary_size,
        help="run on N machines first (spread over OS platforms and device groups); the rest only if they pass",
    )
    g.add_argument(
        "--canary-max-failures",
        metavar="SHARE",
        type=_share,
        help="the share of canary jobs that may fail, a percent or a fraction (default 0: all must succeed)",
    )
    g.add_argument(
        "--max-failures",
        metavar="SHARE",
        type=_share,
        help="pause the batch when more than SHARE of its finished jobs failed (a percent or a fraction: 0.1)",
    )


def _canary_size(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(
            f"{text[:40]!r} is not a canary size: give a whole number of machines, 1 or more"
        )
    return n


def _share(text: str) -> float:
    from lrtui.engine.canary import parse_fraction

    try:
        return parse_fraction(text[:40])
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_S = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """``90``, ``20s``, ``30m``, ``2h``, ``1d`` -> seconds (argparse ``type=``; a bad value is a usage error)."""
    m = _DURATION.match(text or "")
    seconds = float(m.group(1)) * _UNIT_S[m.group(2)] if m else 0.0
    if not m or seconds <= 0 or seconds > 30 * 86400:
        raise argparse.ArgumentTypeError(
            f"{text[:40]!r} is not a duration: say 90, 20s, 30m, 2h or 1d (more than 0, at most 30 days)"
        )
    return seconds


#: the top-level options ``parse_command_line`` reads without argparse: value options, then flags
_TOP_VALUES = {"--profile": "profile", "--api-url": "api_url", "--auth": "auth"}
_TOP_FLAGS = {"--demo": "demo"}


def top_level_only(argv: Sequence[str]) -> argparse.Namespace | None:
    """``argv`` when it holds only the top-level connection options, spelled in full (``lrtui --demo``,
    ``lrtui --profile x``): the namespace ``build_parser`` would give. ``None`` for anything else (a subcommand,
    ``--help``, an abbreviation, a value starting with ``-``, an unknown word), which the full parser reads."""
    ns = argparse.Namespace(profile=None, api_url=None, auth=None, demo=False, cmd=None)
    i = 0
    while i < len(argv):
        word = argv[i]
        name, eq, value = word.partition("=")
        if not eq and word in _TOP_FLAGS:
            setattr(ns, _TOP_FLAGS[word], True)
        elif eq and name in _TOP_VALUES:
            setattr(ns, _TOP_VALUES[name], value)
        elif word in _TOP_VALUES and i + 1 < len(argv) and not argv[i + 1].startswith("-"):
            i += 1
            setattr(ns, _TOP_VALUES[word], argv[i])
        else:
            return None
        i += 1
    return ns


def parse_command_line(argv: Sequence[str]) -> argparse.Namespace:
    """The parsed command line. ``lrtui`` with top-level options only (the app's start) skips building every
    subcommand's parser (~5 ms of argparse and gettext look-ups); everything else goes through ``build_parser``."""
    ns = top_level_only(argv)
    return ns if ns is not None else build_parser().parse_args(argv)


def build_parser() -> argparse.ArgumentParser:
    from lrtui.cli.commands.serve_options import add_parser as add_serve_parser
    from lrtui.cli.parser_commands import add_other_commands

    parser = argparse.ArgumentParser(
        prog="lrtui", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"lrtui {__version__}")
    connection_options(parser, top=True)
    sub = parser.add_subparsers(dest="cmd", metavar="COMMAND")
    sub.add_parser("tui", help="open the app (the default)", description="Open the app (the default).")
    sp = sub.add_parser("sim", help="serve the MDE simulator on loopback (see: lrtui sim --help)", add_help=False)
    sp.add_argument("sim_args", nargs=argparse.REMAINDER, help="the simulator's own options (lrtui sim --help)")
    _run_parser(sub.add_parser)
    add_other_commands(sub.add_parser)
    add_serve_parser(sub.add_parser)
    return parser
