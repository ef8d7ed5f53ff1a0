"""Command line: the TUI by default, and the headless subcommands.

Exit codes: 0 success, 1 some action did not succeed, 2 bad input (nothing was sent), 3 config/auth problem.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence as Seq
from pathlib import Path
from typing import Any

from lrtui import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONFIG = 0, 1, 2, 3

DESCRIPTION = """\
lrtui: Microsoft Defender for Endpoint live response, from the terminal.

With no subcommand it opens the app on the active profile, or on the in-process demo
tenant when no profile is configured (say --demo to force it)."""


# ---------------------------------------------------------------- ordered command options


class _Ordered(argparse.Action):
    """Appends (kind, value) to ``namespace.commands`` in the order given on the line."""

    def __call__(self, parser, namespace, values, option_string=None):
        cmds = getattr(namespace, "commands", None)
        if cmds is None:
            cmds = []
            namespace.commands = cmds
        kind = self.dest
        if kind == "args":
            if not cmds or cmds[-1][0] != "RunScript":
                parser.error("--args belongs to the --run-script before it; put it right after one.")
            if cmds[-1][2] is not None:
                parser.error("one --args per --run-script.")
            cmds[-1] = (cmds[-1][0], cmds[-1][1], values)
            return
        cmds.append(({"put_file": "PutFile", "run_script": "RunScript", "get_file": "GetFile"}[kind], values, None))


def _connection_options(p: argparse.ArgumentParser, *, top: bool = False) -> None:
    """The same options before or after the subcommand (``lrtui --demo run ...`` and ``lrtui run --demo ...``).
    On subcommands they default to SUPPRESS so they never overwrite what was given before the subcommand."""
    d = {} if top else {"default": argparse.SUPPRESS}
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

    r = sub.add_parser(
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

    rs = sub.add_parser("resume", help="pick up every unfinished job from the journal")
    _connection_options(rs)
    rs.add_argument("--json", action="store_true")
    rs.add_argument("--out", metavar="DIR", type=Path)

    a = sub.add_parser("actions", help="list the journal's jobs and actions")
    _connection_options(a)
    a.add_argument("--active", action="store_true", help="only unfinished ones")
    a.add_argument("--json", action="store_true")

    res = sub.add_parser("results", help="fetch or show one action's results")
    _connection_options(res)
    res.add_argument("action_id", metavar="ACTION_ID")
    res.add_argument("--out", metavar="DIR", type=Path)
    res.add_argument("--json", action="store_true")

    ex = sub.add_parser("export", help="write an evidence bundle for a case (manifest + files + hash chain)")
    _connection_options(ex)
    ex.add_argument("--case", required=True, metavar="ID", help="case id (matched in the comments)")
    ex.add_argument("--out", required=True, metavar="DIR", type=Path)

    lg = sub.add_parser("login", help="sign in for the profile and say where the token cache lives")
    _connection_options(lg)

    cf = sub.add_parser("config", help="config file helpers")
    cf.add_argument(
        "what",
        choices=["path", "show", "example"],
        help="path: print the file's path; show: the active profile; example: a sample file",
    )
    _connection_options(cf)
    return parser


# ---------------------------------------------------------------- entry


def main(argv: Seq[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "sim":
        from lrtui.sim.cli import sim_main

        return sim_main(argv[1:])
    parser = build_parser()
    ns = parser.parse_args(argv)
    cmd = ns.cmd or "tui"
    from lrtui.api.errors import ConfigError, LrtuiError

    try:
        if cmd == "config":
            return cmd_config(ns)
        settings = _settings(ns)
        if cmd == "tui":
            return cmd_tui(settings)
        handler = {
            "run": cmd_run,
            "resume": cmd_resume,
            "actions": cmd_actions,
            "results": cmd_results,
            "export": cmd_export,
            "login": cmd_login,
        }[cmd]
        return asyncio.run(handler(ns, settings))
    except ConfigError as e:
        print(f"lrtui: {e.user_message()}", file=sys.stderr)
        return EXIT_CONFIG
    except LrtuiError as e:
        print(f"lrtui: {e.user_message()}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(
            "lrtui: interrupted. Submitted actions keep running on the service; `lrtui resume` picks them up.",
            file=sys.stderr,
        )
        return 130


def _settings(ns):
    from lrtui.config import load_settings

    return load_settings(profile=ns.profile, demo=ns.demo, api_url=ns.api_url, auth=ns.auth)


def cmd_config(ns) -> int:
    from lrtui import paths
    from lrtui.config import EXAMPLE

    if ns.what == "path":
        print(paths.config_file())
        return EXIT_OK
    if ns.what == "example":
        print(EXAMPLE, end="")
        return EXIT_OK
    s = _settings(ns)
    prof = s.profile.model_dump()
    print(
        json.dumps(
            {
                "config_file": str(s.config_path),
                "demo": s.demo,
                "demo_reason": s.demo_reason or None,
                "profile": prof,
                "ui": s.ui.model_dump(),
            },
            indent=2,
        )
    )
    return EXIT_OK


def _tui_secret_prompt(settings):
    """The TUI owns the terminal once it starts, so a client secret is asked for before it does (or refused)."""
    import os

    if settings.demo or settings.profile.auth != "client_secret" or os.environ.get("LRTUI_CLIENT_SECRET"):
        return None
    secret = None
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        secret = getpass.getpass(f"Client secret for profile {settings.profile.name!r} (not stored): ") or None

    def prompt(_text: str) -> str:
        if secret:
            return secret
        from lrtui.api.errors import AuthError

        raise AuthError("No client secret: set LRTUI_CLIENT_SECRET (it is never read from the config file).")

    return prompt


def cmd_tui(settings) -> int:
    from lrtui.tui.app import make_app

    secret_prompt = _tui_secret_prompt(settings)
    factory = None
    if secret_prompt is not None:

        async def factory(on_device_code=None):
            from lrtui.runtime import build_runtime

            return await build_runtime(settings, on_device_code=on_device_code, secret_prompt=secret_prompt)

    app = make_app(settings, runtime_factory=factory)
    app.run()
    return int(getattr(app, "return_code", 0) or 0)


# ---------------------------------------------------------------- headless run


def parse_machines_file(path: Path) -> list[str]:
    """Ids or names, one per line. Bad lines are named; nothing is sent when any is bad."""
    from lrtui.api.errors import ValidationError

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ValidationError(f"Cannot read the machines file {path}: {e.strerror}.") from None
    out, bad = [], []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if any(c.isspace() for c in line) or any(ord(c) < 32 for c in line) or "'" in line or len(line) > 255:
            bad.append(f"line {n}: {raw.strip()!r}")
        else:
            out.append(line)
    if bad:
        raise ValidationError(
            f"{path}: {len(bad)} bad line(s): " + "; ".join(bad[:10]) + (" ..." if len(bad) > 10 else ""),
            hint="One machine id or computer name per line.",
        )
    if not out:
        raise ValidationError(f"{path} names no machines.")
    return out


def build_sequence(ns, settings):
    """The sequence from the ordered options; an order the service refuses exits 2 before any call."""
    from lrtui.api.sequence import ALLOWED_ORDER_TEXT, SequenceError, make_command, sequence_from_commands

    raw = ns.commands or []
    if not raw:
        raise SequenceError("No commands: give --put-file, --run-script and/or --get-file.")
    cmds = []
    for kind, value, args in raw:
        # GetFile paths are checked per machine OS in pre-flight; here only the shape that fits some OS.
        cmds.append(make_command(kind, value, args, os_family="linux" if value.startswith("/") else "windows"))
    try:
        seq = sequence_from_commands(cmds, "")
    except SequenceError as e:
        raise SequenceError(e.message, hint=f"Allowed order: {ALLOWED_ORDER_TEXT}.") from None
    comment = (ns.comment or "").strip()
    if not comment:
        raise SequenceError("--comment is required: say who runs this and why (for example the case id).")
    prefix = settings.profile.default_comment()
    full = comment if (not prefix or comment.startswith(prefix.strip())) else f"{prefix}{comment}"
    return seq.with_comment(full)


async def resolve_targets(ns, runtime) -> list:
    """Every machine, validated before anything is sent. Unknown ones are named together."""
    from lrtui.api.errors import NotFound, ValidationError

    names: list[str] = list(ns.machine)
    if ns.machines_file:
        names += parse_machines_file(Path(ns.machines_file))
    machines = []
    if ns.filter:
        machines += await runtime.client.list_machines(filter=ns.filter)
        if not machines and not names:
            raise ValidationError(f"The filter {ns.filter!r} matches no machines; nothing was sent.")
    if not names and not ns.filter:
        raise ValidationError("No targets: give --machine, --machines-file or --filter.")
    unknown = []
    for name in dict.fromkeys(names):
        try:
            machines.append(await runtime.client.get_machine(name))
        except NotFound:
            unknown.append(name)
    if unknown:
        raise ValidationError(
            f"Unknown machine(s): {', '.join(unknown)}. Nothing was sent.",
            hint="Check the id or computer name (lrtui opens a searchable list).",
        )
    seen, uniq = set(), []
    for m in machines:
        if m.id not in seen:
            seen.add(m.id)
            uniq.append(m)
    return uniq


async def cmd_run(ns, settings) -> int:
    from lrtui import cli_report
    from lrtui.api.errors import ValidationError
    from lrtui.runtime import build_runtime

    try:
        seq = build_sequence(ns, settings)
    except ValidationError as e:
        print(f"lrtui run: {e.user_message()}", file=sys.stderr)
        return EXIT_USAGE
    runtime = await build_runtime(settings, start=not ns.dry_run, data_dir=ns.out)
    try:
        try:
            machines = await resolve_targets(ns, runtime)
        except ValidationError as e:
            print(f"lrtui run: {e.user_message()}", file=sys.stderr)
            return EXIT_USAGE
        if settings.demo:
            print(f"lrtui: using the demo tenant ({settings.demo_reason}).", file=sys.stderr)
        if ns.dry_run:
            return await _dry_run(ns, runtime, seq, machines)
        return await cli_report.run_cli(
            runtime,
            seq,
            machines,
            out_dir=ns.out,
            as_json=ns.json,
            wait=not ns.no_wait,
            stderr=sys.stderr,
            stdout=sys.stdout,
        )
    finally:
        await runtime.aclose()


async def _dry_run(ns, runtime, seq, machines) -> int:
    from lrtui.engine import headless

    issues = await runtime.engine.preflight(seq, machines)
    offline = sum(1 for m in machines if not m.is_online)
    est = headless.estimate_text(len(machines), offline, runtime.engine.settings)
    docs: list[dict[str, Any]] = []
    for m in machines:
        body = seq.to_body()
        mine = [i for i in issues if i.machine_id == m.id]
        docs.append(
            {
                "machine_id": m.id,
                "machine_name": m.name,
                "url": f"/api/machines/{m.id}/runliveresponse",
                "body": body,
                "preflight": [{"level": i.level, "message": i.message} for i in mine],
            }
        )
    if ns.json:
        print(json.dumps({"dry_run": True, "estimate": est, "requests": docs}, indent=2, ensure_ascii=False))
    else:
        for d in docs:
            print(f"POST {d['url']}   # {d['machine_name']}")
            print(json.dumps(d["body"], indent=2, ensure_ascii=False))
            for p in d["preflight"]:
                print(f"  {p['level']}: {p['message']}")
        print(f"# {est}. Nothing was sent (--dry-run).")
    return EXIT_USAGE if any(i.level == "error" for i in issues) else EXIT_OK


async def _with_runtime(settings, fn):
    from lrtui.runtime import build_runtime

    runtime = await build_runtime(settings, start=False)
    try:
        return await fn(runtime)
    finally:
        await runtime.aclose()


async def cmd_resume(ns, settings) -> int:
    from lrtui import cli_report

    return await _with_runtime(
        settings,
        lambda rt: cli_report.resume_cli(rt, out_dir=ns.out, as_json=ns.json, stderr=sys.stderr, stdout=sys.stdout),
    )


async def cmd_actions(ns, settings) -> int:
    from lrtui import cli_report

    return await _with_runtime(
        settings, lambda rt: cli_report.actions_cli(rt, active=ns.active, as_json=ns.json, stdout=sys.stdout)
    )


async def cmd_results(ns, settings) -> int:
    from lrtui import cli_report

    return await _with_runtime(
        settings,
        lambda rt: cli_report.results_cli(rt, ns.action_id, out_dir=ns.out, as_json=ns.json, stdout=sys.stdout),
    )


async def cmd_export(ns, settings) -> int:
    from lrtui import cli_report

    return await _with_runtime(settings, lambda rt: cli_report.export_cli(rt, ns.case, ns.out, stdout=sys.stdout))


async def cmd_login(ns, settings) -> int:
    from lrtui.api.auth import describe_cache
    from lrtui.runtime import build_auth

    if settings.demo:
        print("The demo tenant needs no sign-in.")
        return EXIT_OK

    def prompt(url: str, code: str, message: str) -> None:
        print(f"To sign in, open {url} and enter the code {code}", file=sys.stderr, flush=True)

    auth = build_auth(settings, on_device_code=prompt)
    token = await auth.get_token() if hasattr(auth, "get_token") else None
    print(f"Signed in for profile {settings.profile.name!r} ({settings.profile.auth}).")
    if token is not None:
        print(f"Token valid for about {max(0, int(getattr(token, 'expires_in', 0)))} s.")
    print(describe_cache(settings.profile.name))
    return EXIT_OK
