"""``lrtui``: the TUI by default, and the headless subcommands.

Exit codes (``lrtui.cli.exits``): 0 success, 1 some action did not succeed, 2 bad input (nothing was sent),
3 config/auth problem, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from lrtui.cli.exits import EXIT_CONFIG, EXIT_FAILED, EXIT_INTERRUPTED
from lrtui.cli.parser import build_parser

if TYPE_CHECKING:
    from lrtui.settings import Settings

Command = Callable[[argparse.Namespace, "Settings"], Coroutine[Any, Any, int]]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "sim":  # everything after `sim` is the simulator's own (lrtui sim --help)
        from lrtui.cli.commands import sim

        return sim.run(args[1:])
    ns = build_parser().parse_args(args)
    from lrtui.api.errors import ConfigError, LrtuiError, error_text

    try:
        return _dispatch(ns.cmd or "tui", ns)
    except ConfigError as e:
        print(f"lrtui: {error_text(e)}", file=sys.stderr)
        return EXIT_CONFIG
    except LrtuiError as e:
        print(f"lrtui: {error_text(e)}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(
            "lrtui: interrupted. Submitted actions keep running on the service; `lrtui resume` picks them up.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED


def _dispatch(cmd: str, ns: argparse.Namespace) -> int:
    if cmd == "sim":
        from lrtui.cli.commands import sim

        return sim.run(ns.sim_args)
    if cmd == "config":
        from lrtui.cli.commands import config

        return config.run(ns)
    from lrtui.cli.connection import settings_from_args

    settings = settings_from_args(ns)
    if cmd == "tui":
        from lrtui.cli.commands import tui

        return tui.run(settings)
    return asyncio.run(_headless(cmd)(ns, settings))


def _headless(cmd: str) -> Command:
    """The coroutine function of a headless command."""
    if cmd == "run":
        from lrtui.cli.commands import run

        return run.run
    if cmd == "login":
        from lrtui.cli.commands import login

        return login.run
    from lrtui.cli.commands import journal

    commands: dict[str, Command] = {
        "resume": journal.resume,
        "actions": journal.actions,
        "results": journal.results,
        "export": journal.export,
    }
    return commands[cmd]
