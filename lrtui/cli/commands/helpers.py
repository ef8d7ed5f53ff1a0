"""Commands that need no tenant: ``lrtui verify BUNDLE``, ``lrtui completion SHELL``, ``lrtui man``."""

from __future__ import annotations

import argparse
import sys

from lrtui.api.text import clean_line
from lrtui.cli.exits import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from lrtui.cli.output import SCHEMA, dumps


def run(cmd: str, ns: argparse.Namespace) -> int:
    if cmd == "verify":
        return verify(ns)
    from lrtui.cli.parser import build_parser

    if cmd == "completion":
        from lrtui.cli.completion import SCRIPTS

        sys.stdout.write(SCRIPTS[ns.shell](build_parser()))
        return EXIT_OK
    from lrtui.cli.manpage import manpage

    text = manpage(build_parser())
    if ns.out is None:
        sys.stdout.write(text)
        return EXIT_OK
    ns.out.parent.mkdir(parents=True, exist_ok=True)
    ns.out.write_text(text, encoding="utf-8")
    print(f"Wrote {clean_line(ns.out)}.")
    return EXIT_OK


def verify(ns: argparse.Namespace) -> int:
    """Exit 0 when the bundle is intact, 1 naming each problem, 2 when it is not a bundle at all."""
    from lrtui.engine.export import verify_bundle

    bundle = ns.bundle
    if not (bundle / "manifest.json").is_file():
        print(f"lrtui verify: {clean_line(bundle)} is not an evidence bundle (no manifest.json).", file=sys.stderr)
        return EXIT_USAGE
    try:
        problems = verify_bundle(bundle)
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as e:
        problems = [f"the bundle cannot be read: {type(e).__name__}: {e}"]
    if ns.fmt == "json":
        doc = {"schema": SCHEMA, "kind": "verify", "bundle": str(bundle), "ok": not problems, "problems": problems}
        print(dumps(doc))
    elif problems:
        for p in problems:
            print(f"problem: {clean_line(p)}")
        print(f"{clean_line(bundle)}: {len(problems)} problem(s); the bundle is NOT intact.")
    else:
        print(f"{clean_line(bundle)}: intact (every file, the CSV manifest and the journal chain verified).")
    return EXIT_FAILED if problems else EXIT_OK
