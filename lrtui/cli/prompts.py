"""What the CLI asks or tells on the terminal before (or instead of) the app: the client secret and the
device-code sign-in."""

from __future__ import annotations

import getpass
import sys

from lrtui.api.errors import AuthError
from lrtui.cli.compose import SecretPrompt
from lrtui.settings import Settings


def print_device_code(url: str, code: str, message: str) -> None:
    """A ``DeviceCodePrompt`` for the headless commands: the URL and code on stderr."""
    print(f"To sign in, open {url} and enter the code {code}", file=sys.stderr, flush=True)


def tui_secret_prompt(settings: Settings) -> SecretPrompt | None:
    """The TUI owns the terminal once it starts, so a client secret is asked for before it does (or refused).

    None when no secret is needed (demo, another sign-in method, or ``LRTUI_CLIENT_SECRET`` is set)."""
    if settings.demo or settings.profile.auth != "client_secret" or settings.secrets.client_secret:
        return None
    secret = None
    if sys.stdin is not None and sys.stdin.isatty():
        secret = getpass.getpass(f"Client secret for profile {settings.profile.name!r} (not stored): ") or None

    def prompt(_text: str) -> str:
        if secret:
            return secret
        raise AuthError("No client secret: set LRTUI_CLIENT_SECRET (it is never read from the config file).")

    return prompt
