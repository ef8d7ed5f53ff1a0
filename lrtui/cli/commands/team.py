"""``lrtui team status``: who holds what in the team's shared budgets (``[profiles.NAME.team] redis_url``).

Reads the store only: sessions in use (and this process's share, none for a status call), runliveresponse calls
in the rolling window, and each machine held with the teammate's label and comment prefix.
"""

from __future__ import annotations

import argparse

from lrtui.api.errors import ConfigError
from lrtui.api.text import clean_line
from lrtui.cli.exits import EXIT_CONFIG, EXIT_OK
from lrtui.cli.output import document, dumps
from lrtui.cli.tenant import headless_tenant
from lrtui.settings import Settings

_HINT = (
    'Add [profiles.NAME.team] redis_url = "redis://host:6379/0" (rediss:// for TLS) to config.toml; '
    "the password comes only from LRTUI_REDIS_PASSWORD."
)


async def status(ns: argparse.Namespace, settings: Settings) -> int:
    """Print the team's use of the shared budgets; exit 3 when the profile has no team store or it is down."""
    tenant = headless_tenant(ns, settings)
    team = settings.profile.team
    if not team.redis_url:
        raise ConfigError(f"Profile {settings.profile.name!r} has no team store, so its budgets are local.", hint=_HINT)
    try:
        from lrtui.engine.team.store import TeamStore
    except ImportError:
        raise ConfigError("The team store needs the redis package.", hint="pip install 'lrtui[team]'") from None
    from lrtui.engine.team import Holder, TeamStoreUnavailable

    try:
        store = await TeamStore.connect(
            team.redis_url,
            password=settings.secrets.redis_password,
            tenant_id=settings.profile.tenant_id or "",
            app_id=settings.profile.client_id or "",
            holder=Holder.this_process(settings.profile.comment_prefix),
            ttl_s=team.ttl_s,
        )
        try:
            usage = await store.usage()
        finally:
            await store.aclose()
    except TeamStoreUnavailable as e:
        print(f"lrtui team status: the team store cannot be reached: {clean_line(e)}")
        return EXIT_CONFIG
    if ns.fmt == "json":
        machines = [
            {
                "machine_id": m.machine_id,
                "holder": m.holder_label,
                "comment_prefix": m.comment_prefix,
                "job_id": m.job_id,
            }
            for m in usage.machines
        ]
        doc = document(
            "team-status",
            tenant,
            sessions={"used": usage.sessions_used, "limit": usage.sessions_limit},
            rate={"used": usage.rate_used, "limit": usage.rate_limit},
            machines=machines,
        )
        print(dumps(doc))
        return EXIT_OK
    print(f"Team of {clean_line(tenant.tenant)} (profile {clean_line(tenant.profile)})")
    print(f"Sessions {usage.sessions_used}/{usage.sessions_limit}; runliveresponse calls in the window "
          f"{usage.rate_used}/{usage.rate_limit}")  # fmt: skip
    if not usage.machines:
        print("No machine is held.")
    for m in usage.machines:
        who = clean_line(m.holder_label) + (f" ({clean_line(m.comment_prefix)})" if m.comment_prefix else "")
        print(f"  {clean_line(m.machine_id)}  held by {who}")
    return EXIT_OK
