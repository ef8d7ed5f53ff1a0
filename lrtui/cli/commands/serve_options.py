"""``lrtui serve``'s options: the parser and the configuration they make (cheap to import: the parser of
every ``lrtui`` start builds this one; the server itself lives in ``serve``)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from lrtui.cli.parser import AddParser, parse_duration


@dataclass(frozen=True, slots=True)
class ServeConfig:
    host: str
    port: int
    max_sessions: int
    idle_timeout_s: float
    token: str
    command: tuple[str, ...]
    demo: bool


def add_parser(add: AddParser) -> argparse.ArgumentParser:
    """``lrtui serve``'s parser (wire it next to the other subcommands)."""
    p = add(
        "serve",
        help="serve the app to browsers (a workshop room; needs lrtui[serve])",
        description="Serve the app to browsers: each tab gets its own demo tenant. Every URL carries a random "
        "access token; share the printed URL with the room.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 = any free port)")
    p.add_argument("--max-sessions", type=int, default=20, metavar="N", help="browser tabs at once (default 20)")
    p.add_argument(
        "--idle-timeout",
        dest="idle_timeout_s",
        type=parse_duration,
        default=1800.0,
        metavar="DURATION",
        help="end a tab's app after DURATION without input (default 30m)",
    )
    p.add_argument(
        "--allow-tenant",
        action="store_true",
        help="serve the active profile's real tenant instead of the demo (every tab acts with YOUR sign-in)",
    )
    # SUPPRESS: `lrtui --profile X serve` (the top-level option) is not overwritten by this one's default
    p.add_argument(
        "--profile", metavar="NAME", default=argparse.SUPPRESS, help="with --allow-tenant: the profile to serve"
    )
    return p


def config_from_args(ns: argparse.Namespace) -> ServeConfig | str:
    """The served configuration, or what is wrong with the options."""
    import secrets  # here, not at the top: every `lrtui` start builds this parser

    if not 0 <= ns.port <= 65535:
        return f"--port {ns.port} is not a port: say 0 to 65535"
    if not 1 <= ns.max_sessions <= 500:
        return f"--max-sessions {ns.max_sessions}: say 1 to 500"
    profile: str | None = ns.profile
    if profile and not ns.allow_tenant:
        return "--profile needs --allow-tenant (without it every tab gets the demo tenant)"
    cmd = [sys.executable, "-m", "lrtui"]
    cmd += (["--profile", profile] if profile else []) if ns.allow_tenant else ["--demo"]
    return ServeConfig(
        ns.host, ns.port, ns.max_sessions, ns.idle_timeout_s, secrets.token_urlsafe(24), tuple(cmd), not ns.allow_tenant
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m lrtui.cli.commands.serve [options]``: the same as ``lrtui serve [options]``."""
    parser = argparse.ArgumentParser(prog="lrtui")
    parser.set_defaults(profile=None)  # the top-level option `lrtui --profile X serve` fills in
    add_parser(parser.add_subparsers(dest="cmd", required=True).add_parser)
    from lrtui.cli.commands.serve import run

    return run(parser.parse_args(["serve", *(sys.argv[1:] if argv is None else argv)]))
