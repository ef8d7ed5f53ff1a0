"""``Settings``: everything one run of lrtui is configured with, in typed sections.

``load_settings`` builds it from ``config.toml`` and the environment. Constructed directly (tests, benches), the
environment-only sections are read from ``os.environ`` and the profile is taken as given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lrtui.settings import env
from lrtui.settings.folders import Folders
from lrtui.settings.sections import CaEnv, DemoSettings, Pacing, Profile, Secrets, TokenCacheMode, UiSettings

if TYPE_CHECKING:
    from lrtui.api.tls import TlsSettings
    from lrtui.api.token_cache import TokenCacheSettings
    from lrtui.engine.budget import BudgetSettings


@dataclass
class Settings:
    profile: Profile  #: the active profile (environment and command line applied)
    ui: UiSettings = field(default_factory=UiSettings)
    profiles: dict[str, Profile] = field(default_factory=dict)  #: every profile in the file, as written
    demo: bool = False  #: the in-process demo tenant is used
    demo_reason: str = ""
    config_path: Path | None = None  #: the config file that was read (or would be)
    pacing: Pacing = field(default_factory=lambda: env.read_pacing(os.environ))
    demo_tenant: DemoSettings = field(default_factory=lambda: env.read_demo(os.environ))
    paths: Folders = field(default_factory=Folders.from_env)
    token_cache: TokenCacheMode = field(default_factory=lambda: env.read_token_cache(os.environ))
    traceback: bool = field(default_factory=lambda: env.read_traceback(os.environ))  #: LRTUI_TRACEBACK
    secrets: Secrets = field(default_factory=lambda: env.read_secrets(os.environ), repr=False)
    ca_env: CaEnv = field(default_factory=lambda: env.read_ca_env(os.environ))  #: SSL_CERT_FILE, ...

    def budget_settings(self) -> BudgetSettings:
        """The engine's budgets: the profile's (environment applied), the pacing knobs and the confirm threshold."""
        from lrtui.engine.budget import BudgetSettings

        b, p = self.profile.budgets, self.pacing
        return BudgetSettings(
            rate_calls=b.rate_calls,
            rate_window_s=b.rate_window_s,
            max_sessions=b.max_sessions,
            general_per_minute=b.general_per_minute,
            general_per_hour=b.general_per_hour,
            general_budget=b.general_budget,
            bulk_confirm_threshold=self.ui.bulk_confirm_threshold,
            general_window_s=p.general_window_s,
            poll_share=p.poll_share,
            poll_fast_s=p.poll_fast_s,
            poll_slow_s=p.poll_slow_s,
            poll_chunk=p.poll_chunk,
            retry_after_default_s=p.retry_after_default_s,
            reconcile_grace_s=p.reconcile_grace_s,
        )

    def token_cache_settings(self) -> TokenCacheSettings:
        """The folder the token caches live in (one file per profile) and how they are kept (``LRTUI_TOKEN_CACHE``)."""
        from lrtui.api.token_cache import TokenCacheSettings

        return TokenCacheSettings(path=self.paths.cache_dir(), mode=self.token_cache)

    def tls_settings(self) -> TlsSettings:
        """How connections are verified: the profile's ``ca_bundle`` (or ``LRTUI_CA_BUNDLE``), else
        ``SSL_CERT_FILE``, else ``REQUESTS_CA_BUNDLE``, added to the OS trust store (``LRTUI_TRUSTSTORE``)."""
        from lrtui.api.tls import TlsSettings

        e = self.ca_env
        for value, source in (
            (self.profile.ca_bundle, f"ca_bundle of profile {self.profile.name} or LRTUI_CA_BUNDLE"),
            (e.ssl_cert_file, "SSL_CERT_FILE"),
            (e.requests_ca_bundle, "REQUESTS_CA_BUNDLE"),
        ):
            if value:
                return TlsSettings(Path(value).expanduser(), source, use_truststore=e.truststore)
        return TlsSettings(use_truststore=e.truststore)
