"""``lrtui sim``: serve the simulator on loopback (``sim_main(argv) -> exit code``). Importing this module is
cheap: the server and the simulator are imported when the command runs."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from .config import SimConfig, parse_faults

if TYPE_CHECKING:
    from .server import SimServer
    from .simulator import Simulator

__all__ = ["build_parser", "config_from_args", "sim_main"]


def build_parser(prog: str = "lrtui sim") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Serve a simulated MDE tenant (API + blob origin) over HTTP.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="API port (default 8765; 0 = any free port)")
    p.add_argument("--blob-port", type=int, default=0, help="blob origin port (default 0 = any free port)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--time-scale", type=float, default=1.0, help="multiply every service duration (0.01 = 100x faster)")
    p.add_argument("--machines", type=int, default=500)
    p.add_argument("--rate-calls", type=int, default=10, help="runliveresponse calls per rate window (default 10)")
    p.add_argument("--rate-window", type=float, default=60.0, help="rate window in seconds (default 60)")
    p.add_argument("--scale-rate-window", action="store_true", help="also scale the rate windows by --time-scale")
    p.add_argument("--max-sessions", type=int, default=25)
    p.add_argument("--general-per-minute", type=int, default=100)
    p.add_argument("--general-per-hour", type=int, default=1500)
    p.add_argument(
        "--general-budget",
        choices=["per-endpoint", "shared"],
        default="per-endpoint",
        help="each API its own per-minute and per-hour windows (default), or one pair shared by all",
    )
    p.add_argument("--faults", default=None, help="e.g. 5xx=0.1,drop=0.05,latency=200ms,429=0.05")
    p.add_argument("--require-token", default=None, metavar="VALUE", help="accept only this bearer token")
    p.add_argument("--token-ttl", type=float, default=None, metavar="S", help="tokens expire S seconds after first use")
    _add_quirks(p)
    _add_demo_options(p)
    p.add_argument("--log-level", default="warning")
    return p


def _add_quirks(p: argparse.ArgumentParser) -> None:
    """Answers seen in the wild (or UNCONFIRMED choices) that differ from the documented default."""
    p.add_argument("--quirk-empty-commands", action="store_true", help="empty 'commands' in the POST answer")
    p.add_argument(
        "--quirk-captured-post",
        action="store_true",
        help="answer POST runliveresponse as real captures show (machineId, computerDnsName null; commands empty; "
        "requestor the app's id) instead of the documented, filled reply",
    )
    p.add_argument(
        "--quirk-fresh-404", type=float, default=0.0, metavar="S", help="GET of a new action is 404 for S seconds"
    )
    p.add_argument(
        "--quirk-portal-session",
        action="append",
        default=[],
        metavar="MACHINE",
        help="a hidden portal session blocks this machine (id or name); repeatable",
    )
    p.add_argument(
        "--retry-after",
        choices=["seconds", "http-date", "missing"],
        default="seconds",
        help="how 429 answers carry Retry-After (default seconds)",
    )
    p.add_argument("--lenient-case", action="store_true", help="accept wrong-case body keys")


def _add_demo_options(p: argparse.ArgumentParser) -> None:
    """The workshop machine and action ids."""
    p.add_argument(
        "--workshop-online-after",
        type=float,
        default=3000.0,
        metavar="S",
        help="the workshop machine (printed at start) comes online S service seconds after start, scaled by "
        "--time-scale (default 3000; a negative value keeps it offline for good)",
    )
    p.add_argument(
        "--seeded-action-ids",
        action="store_true",
        help="derive action ids from --seed (reproducible); by default each run hands out fresh ids",
    )


def sim_main(argv: list[str] | None = None) -> int:
    """``lrtui sim [options]``: serve until Ctrl+C (SIGINT/SIGTERM). Exit 0 when stopped, 1 when the address is
    taken, 2 for a bad option value."""
    args = build_parser().parse_args(argv)
    from .server import SimServer  # uvicorn and starlette: only once the command really runs
    from .simulator import Simulator

    logging.basicConfig(
        level=logging.getLevelNamesMapping().get(args.log_level.upper(), logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        cfg = config_from_args(args)
        sim = Simulator(cfg)
    except ValueError as e:
        print(f"lrtui sim: {e}", file=sys.stderr)
        return 2
    srv = SimServer(sim, args.host, args.port, args.blob_port, log_level=args.log_level)
    try:
        asyncio.run(_serve(srv, _ready_printer(args, sim)))
    except OSError as e:
        print(f"lrtui sim: cannot listen on {args.host}:{args.port}: {e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    print("stopped", flush=True)
    return 0


def config_from_args(args: argparse.Namespace) -> SimConfig:
    """The :class:`SimConfig` the command line asks for (ValueError names a bad value)."""
    return SimConfig(
        seed=args.seed,
        machines=args.machines,
        time_scale=args.time_scale,
        rate_calls=args.rate_calls,
        rate_window_s=args.rate_window,
        scale_rate_window=args.scale_rate_window,
        max_sessions=args.max_sessions,
        general_per_minute=args.general_per_minute,
        general_per_hour=args.general_per_hour,
        general_per_endpoint=args.general_budget == "per-endpoint",
        faults=parse_faults(args.faults),
        require_token=args.require_token,
        token_ttl_s=args.token_ttl,
        quirk_empty_commands=args.quirk_empty_commands,
        quirk_captured_post_reply=args.quirk_captured_post,
        quirk_fresh_404_s=args.quirk_fresh_404,
        quirk_portal_session=args.quirk_portal_session,
        lenient_case=args.lenient_case,
        retry_after_style=args.retry_after,
        workshop_online_after_s=args.workshop_online_after if args.workshop_online_after >= 0 else None,
        seeded_action_ids=args.seeded_action_ids,
    )


def _ready_printer(args: argparse.Namespace, sim: Simulator) -> Callable[[str, str], None]:
    """What ``lrtui sim`` prints once both origins listen: ``api``, ``blob``, the tenant, faults, ``ready``."""

    def ready(api: str, blob: str) -> None:
        print(f"api {api}", flush=True)
        print(f"blob {blob}", flush=True)
        tok = (
            f"bearer token: {args.require_token!r} required"
            if args.require_token
            else "bearer token: any (e.g. demo-token)"
        )
        print(
            f"tenant: {len(sim.state.machines)} machines, seed {args.seed}, time scale {args.time_scale:g}; {tok}",
            flush=True,
        )
        if sim.config.faults:
            print(f"faults: {sim.config.faults}", flush=True)
        print(_workshop_line(sim), flush=True)
        print("ready", flush=True)

    return ready


def _workshop_line(sim: Simulator) -> str:
    """Which machine a workshop can queue work for while it is offline, and when it comes online."""
    m, after = sim.workshop_machine, sim.config.workshop_online_after_s
    if m is None:
        return "workshop machine: none in this tenant"
    if after is None:
        return f"workshop machine: {m.name} (offline for good)"
    return f"workshop machine: {m.name} (offline, comes online {sim.clock.scaled(after):g} s after start)"


async def _serve(srv: SimServer, ready: Callable[[str, str], None]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, srv.request_stop)
        except (NotImplementedError, RuntimeError):  # pragma: no cover (Windows)
            signal.signal(sig, lambda *_: srv.request_stop())
    await srv.run(ready)
