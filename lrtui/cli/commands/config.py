"""``lrtui config path|show|example``: where the config file is, the active profile, a sample file."""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lrtui.cli.connection import settings_from_args
from lrtui.cli.exits import EXIT_OK
from lrtui.cli.output import SCHEMA, dumps


def redact_url(url: str | None) -> str | None:
    """A URL without the password of its user info (``redis://user:***@host``)."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def run(ns: argparse.Namespace) -> int:
    from lrtui.settings import EXAMPLE, config_file

    if ns.what == "path":
        print(config_file())
        return EXIT_OK
    if ns.what == "example":
        print(EXAMPLE, end="")
        return EXIT_OK
    s = settings_from_args(ns)
    profile: dict[str, Any] = s.profile.model_dump()
    team = profile.get("team")
    if isinstance(team, dict) and isinstance(team.get("redis_url"), str):
        team["redis_url"] = redact_url(team["redis_url"])
    doc = {
        "schema": SCHEMA,
        "kind": "config",
        "config_file": str(s.config_path),
        "demo": s.demo,
        "demo_reason": s.demo_reason or None,
        "profile": profile,
        "ui": s.ui.model_dump(),
    }
    print(dumps(doc))
    return EXIT_OK
