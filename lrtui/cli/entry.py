"""``lrtui``: the TUI by default, and the headless subcommands.

Exit codes (``lrtui.cli.exits``): 0 all succeeded, 1 some failed, 2 refused before any call, 3 no tenant or
sign-in failed, 4 stopped at the deadline with work queued or running, 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from lrtui.cli.exits import EXIT_CONFIG, EXIT_FAILED, EXIT_INTERRUPTED
from lrtui.cli.parser import parse_command_line

if TYPE_CHECKING:
    from lrtui.settings import Settings

Command = Callable[[argparse.Namespace, "Settings"], Coroutine[Any, Any, int]]

#: commands that need neither a tenant nor the settings
_OFFLINE = ("completion", "man", "verify")


class _CleanFormatter(logging.Formatter):
    """Log lines (``poll failed: ...`` and friends carry the service's words) with terminal controls removed."""

    def format(self, record: logging.LogRecord) -> str:
        from lrtui.api.text import clean

        return clean(super().format(record))


def _clean_logging() -> None:
    """Warnings of the engine reach stderr through one handler that sanitises them (never the raw last resort)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_CleanFormatter("lrtui: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "sim":  # everything after `sim` is the simulator's own (lrtui sim --help)
        from lrtui.cli.commands import sim

        return sim.run(args[1:])
    ns = parse_command_line(args)
    from lrtui.api.errors import AuthError, ConfigError, LrtuiError, error_text

    try:
        return _dispatch(ns.cmd or "tui", ns)
    except (ConfigError, AuthError) as e:
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
    if cmd in _OFFLINE:
        from lrtui.cli.commands import helpers

        return helpers.run(cmd, ns)
    if cmd == "config":
        from lrtui.cli.commands import config

        return config.run(ns)
    if cmd == "serve":
        from lrtui.cli.commands import serve

        return serve.run(ns)
    from lrtui.cli.connection import settings_from_args

    settings = settings_from_args(ns)
    if cmd == "tui":
        from lrtui.cli.commands import tui

        return tui.run(settings)
    _clean_logging()
    import asyncio  # not before: `lrtui --help` and the offline commands need no event loop (~20 ms)

    return asyncio.run(_headless(cmd)(ns, settings))


def _headless(cmd: str) -> Command:
    """The coroutine function of a headless command."""
    if cmd == "run":
        from lrtui.cli.commands import run

        return run.run
    if cmd == "batches":
        from lrtui.cli.commands import batches

        return batches.list_batches
    if cmd in ("stack", "table"):
        from lrtui.cli.commands import stack

        return stack.stack if cmd == "stack" else stack.table
    if cmd == "team":
        from lrtui.cli.commands import team

        return team.status
    if cmd in ("login", "logout"):
        from lrtui.cli.commands import login

        return login.run if cmd == "login" else login.logout
    if cmd in ("machines", "library", "cancel"):
        from lrtui.cli.commands import tenant

        tenant_commands: dict[str, Command] = {
            "machines": tenant.machines,
            "library": tenant.library,
            "cancel": tenant.cancel,
        }
        return tenant_commands[cmd]
    from lrtui.cli.commands import journal

    commands: dict[str, Command] = {
        "resume": journal.resume,
        "actions": journal.actions,
        "results": journal.results,
        "export": journal.export,
    }
    return commands[cmd]
