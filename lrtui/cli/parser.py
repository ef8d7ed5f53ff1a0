"""The command line's grammar (argparse): connection options before or after the subcommand, and the
ordered ``--put-file/--run-script/--args/--get-file`` options of ``lrtui run``."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lrtui import __version__

DESCRIPTION = """\
lrtui: Microsoft Defender for Endpoint live response, from the terminal.

With no subcommand it opens the app on the active profile, or on the in-process demo
tenant when no profile is configured (say --demo to force it)."""

#: ``(kind, value, args)`` per ordered command option, e.g. ``("RunScript", "collect.ps1", "-Full")``.
OrderedCommand = tuple[str, str, str | None]

#: ``subparsers.add_parser``: adds one subcommand's parser.
AddParser = Callable[..., argparse.ArgumentParser]

_KINDS = {"put_file": "PutFile", "run_script": "RunScript", "get_file": "GetFile"}


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


def _connection_options(p: argparse.ArgumentParser, *, top: bool = False) -> None:
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
    g.add_argument("--demo", action="store_true", help="use the in-process demo tenant", **d)


def _run_parser(add: AddParser) -> None:
    r = add(
        "run",
        help="run one sequence on one or more machines, headless",
        description="Run PutFile*, RunScript*, GetFile* on machines and collect every result. "
        "Commands keep the order given.",
    )
    _connection_options(r)
    tg = r.add_argument_group("targets")
    tg.add_argument("--machine", "-m", action="append", default=[], metavar="ID_OR_NAME", help="repeatable")
    tg.add_argument("--machines-file", metavar="FILE", help="one machine id or name per line (# comments)")
    tg.add_argument("--filter", metavar="ODATA", help="target the machines an OData $filter matches")
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
    r.add_argument("--json", action="store_true", help="print one JSON document with everything")
    r.add_argument("--no-wait", action="store_true", help="submit and return; `lrtui resume` follows up")
    r.add_argument(
        "--dry-run",
        action="store_true",
        help="print the exact request body per machine and the time the batch needs; send nothing",
    )
    r.set_defaults(commands=None)


def _journal_parsers(add: AddParser) -> None:
    rs = add("resume", help="pick up every unfinished job from the journal")
    _connection_options(rs)
    rs.add_argument("--json", action="store_true")
    rs.add_argument("--out", metavar="DIR", type=Path)

    a = add("actions", help="list the journal's jobs and actions")
    _connection_options(a)
    a.add_argument("--active", action="store_true", help="only unfinished ones")
    a.add_argument("--json", action="store_true")

    res = add("results", help="fetch or show one action's results")
    _connection_options(res)
    res.add_argument("action_id", metavar="ACTION_ID")
    res.add_argument("--out", metavar="DIR", type=Path)
    res.add_argument("--json", action="store_true")

    ex = add("export", help="write an evidence bundle for a case (manifest + files + hash chain)")
    _connection_options(ex)
    ex.add_argument("--case", required=True, metavar="ID", help="case id (matched in the comments)")
    ex.add_argument("--out", required=True, metavar="DIR", type=Path)


def _account_parsers(add: AddParser) -> None:
    lg = add("login", help="sign in for the profile and say where the token cache lives")
    _connection_options(lg)

    cf = add("config", help="config file helpers")
    cf.add_argument(
        "what",
        choices=["path", "show", "example"],
        help="path: print the file's path; show: the active profile; example: a sample file",
    )
    _connection_options(cf)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lrtui", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"lrtui {__version__}")
    _connection_options(parser, top=True)
    sub = parser.add_subparsers(dest="cmd", metavar="COMMAND")
    sub.add_parser("tui", help="open the app (the default)")
    sp = sub.add_parser("sim", help="serve the MDE simulator on loopback (see: lrtui sim --help)", add_help=False)
    sp.add_argument("sim_args", nargs=argparse.REMAINDER)
    _run_parser(sub.add_parser)
    _journal_parsers(sub.add_parser)
    _account_parsers(sub.add_parser)
    return parser
