"""``lrtui login``: sign in for the profile now and say where the token cache lives."""

from __future__ import annotations

import argparse
import math

from lrtui.cli.compose import build_auth
from lrtui.cli.exits import EXIT_OK
from lrtui.cli.prompts import print_device_code
from lrtui.settings import Settings


async def run(ns: argparse.Namespace, settings: Settings) -> int:
    from lrtui.api.token_cache import describe_cache

    if settings.demo:
        print("The demo tenant needs no sign-in.")
        return EXIT_OK
    auth = build_auth(settings, on_device_code=print_device_code)
    token = await auth.get_token()
    print(f"Signed in for profile {settings.profile.name!r} ({settings.profile.auth}).")
    if math.isfinite(token.expires_in):
        print(f"Token valid for about {max(0, int(token.expires_in))} s.")
    print(describe_cache(settings.profile.name, settings.token_cache_settings()))
    return EXIT_OK
