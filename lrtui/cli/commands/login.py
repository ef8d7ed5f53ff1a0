"""``lrtui login``: sign in for the profile now and say where the token cache lives; ``lrtui logout``: forget it."""

from __future__ import annotations

import argparse
import math

from lrtui.api.text import clean_line
from lrtui.cli.compose import build_auth
from lrtui.cli.exits import EXIT_OK
from lrtui.cli.prompts import print_device_code
from lrtui.cli.tenant import headless_tenant
from lrtui.settings import Settings


async def run(ns: argparse.Namespace, settings: Settings) -> int:
    from lrtui.api.token_cache import describe_cache

    if headless_tenant(ns, settings).demo:
        print("The demo tenant needs no sign-in.")
        return EXIT_OK
    auth = build_auth(settings, on_device_code=print_device_code)
    token = await auth.get_token()
    print(f"Signed in for profile {clean_line(settings.profile.name)!r} ({settings.profile.auth}).")
    if math.isfinite(token.expires_in):
        print(f"Token valid for about {max(0, int(token.expires_in))} s.")
    print(clean_line(describe_cache(settings.profile.name, settings.token_cache_settings())))
    return EXIT_OK


async def logout(ns: argparse.Namespace, settings: Settings) -> int:
    """Forget every cached token of the profile (the plain and the encrypted cache files)."""
    from lrtui.api.token_cache import TokenCacheStore

    if headless_tenant(ns, settings).demo:
        print("The demo tenant keeps no tokens.")
        return EXIT_OK
    cache = settings.token_cache_settings()
    plain = cache.file_for(settings.profile.name)
    had = [p for p in (plain, plain.with_suffix(".enc")) if p.exists()]
    TokenCacheStore(settings.profile.name, cache).clear()
    name = clean_line(settings.profile.name)
    if had:
        print(f"Forgot the cached tokens of profile {name!r} ({', '.join(clean_line(p) for p in had)}).")
    else:
        print(f"Profile {name!r} had no cached tokens.")
    return EXIT_OK
