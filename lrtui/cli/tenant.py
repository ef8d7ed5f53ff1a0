"""Which tenant a headless command runs against: never the demo tenant unless ``--demo`` was given.

The settings fall back to the demo tenant when nothing is configured (the app shows its DEMO badge); a
headless command would collect fake evidence that way, so it stops with exit 3 naming what is missing."""

from __future__ import annotations

import argparse

from lrtui.api.errors import ConfigError
from lrtui.cli.compose import DEMO_API_URL, resolve_api_url
from lrtui.cli.output import Tenant
from lrtui.settings import Settings

_HINT = (
    "Configure a profile (`lrtui config example` prints a sample; `lrtui config path` says where it goes), "
    "or set LRTUI_ACCESS_TOKEN with --api-url, or say --demo to use the demo tenant on purpose."
)


def headless_tenant(ns: argparse.Namespace, settings: Settings) -> Tenant:
    """The tenant of this command, or ``ConfigError`` (exit 3) when only the demo fallback is left."""
    if settings.demo and not ns.demo:
        reason = settings.demo_reason or "no profile is configured"
        raise ConfigError(
            f"No tenant to use: {reason}. Headless commands use the demo tenant only with --demo; nothing was sent.",
            hint=_HINT,
        )
    return describe_tenant(settings)


def describe_tenant(settings: Settings) -> Tenant:
    if settings.demo:
        return Tenant(profile=settings.profile.name, tenant="demo", demo=True, api_url=DEMO_API_URL)
    return Tenant(
        profile=settings.profile.name,
        tenant=settings.profile.tenant_label,
        demo=False,
        api_url=resolve_api_url(settings),
    )
