"""The connection options (``--profile``, ``--api-url``, ``--auth``, ``--demo``) turned into ``Settings``."""

from __future__ import annotations

import argparse

from lrtui.settings import Settings, load_settings


def settings_from_args(ns: argparse.Namespace) -> Settings:
    """The settings for this run: the config file and the environment, then the command line on top."""
    return load_settings(profile=ns.profile, demo=ns.demo, api_url=ns.api_url, auth=ns.auth)
