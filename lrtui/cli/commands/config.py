"""``lrtui config path|show|example``: where the config file is, the active profile, a sample file."""

from __future__ import annotations

import argparse
import json

from lrtui.cli.connection import settings_from_args
from lrtui.cli.exits import EXIT_OK


def run(ns: argparse.Namespace) -> int:
    from lrtui.settings import EXAMPLE, config_file

    if ns.what == "path":
        print(config_file())
        return EXIT_OK
    if ns.what == "example":
        print(EXAMPLE, end="")
        return EXIT_OK
    s = settings_from_args(ns)
    doc = {
        "config_file": str(s.config_path),
        "demo": s.demo,
        "demo_reason": s.demo_reason or None,
        "profile": s.profile.model_dump(),
        "ui": s.ui.model_dump(),
    }
    print(json.dumps(doc, indent=2))
    return EXIT_OK
