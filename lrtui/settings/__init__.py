"""Settings: one typed ``Settings`` built from ``config.toml`` and the ``LRTUI_*`` environment, and the folders.

This package is the only reader of the config file and of every ``LRTUI_*`` variable. Nothing here writes to
disk except ``save_ui_theme`` (one line) and the folder helpers ``ensure_dir``/``writable_dir``/
``create_private_file``/``write_private_text`` (0600 files in 0700 folders).

```python
from lrtui.settings import load_settings
settings = load_settings(profile="contoso")      # ConfigError names the file, line and key (or the variable)
settings.profile.tenant_id, settings.ui.theme     # typed sections
settings.budget_settings()                        # the engine's BudgetSettings
settings.token_cache_settings()                   # the API's TokenCacheSettings
```
"""

from __future__ import annotations

from lrtui.settings.checks import PROFILE_CHARS, api_url_problem, profile_name_problem
from lrtui.settings.example import EXAMPLE
from lrtui.settings.folders import (
    APP,
    Folders,
    cache_dir,
    config_dir,
    config_file,
    create_private_file,
    data_dir,
    ensure_dir,
    evidence_dir,
    journal_file,
    sequences_dir,
    state_dir,
    token_cache_file,
    user_themes_dir,
    writable_dir,
    write_private_text,
)
from lrtui.settings.loader import load_settings
from lrtui.settings.model import Settings
from lrtui.settings.save import save_ui_theme
from lrtui.settings.sections import (
    AUTH_KINDS,
    DEMO_PROFILE,
    AuthKind,
    Budgets,
    CaEnv,
    DemoSettings,
    Pacing,
    Profile,
    Secrets,
    TeamSettings,
    TokenCacheMode,
    UiSettings,
    demo_profile,
)
from lrtui.settings.trust import check_config_trust
from lrtui.settings.validate import SettingError

__all__ = [
    "APP",
    "AUTH_KINDS",
    "DEMO_PROFILE",
    "EXAMPLE",
    "PROFILE_CHARS",
    "AuthKind",
    "Budgets",
    "CaEnv",
    "DemoSettings",
    "Folders",
    "Pacing",
    "Profile",
    "Secrets",
    "SettingError",
    "Settings",
    "TeamSettings",
    "TokenCacheMode",
    "UiSettings",
    "api_url_problem",
    "cache_dir",
    "check_config_trust",
    "config_dir",
    "config_file",
    "create_private_file",
    "data_dir",
    "demo_profile",
    "ensure_dir",
    "evidence_dir",
    "journal_file",
    "load_settings",
    "profile_name_problem",
    "save_ui_theme",
    "sequences_dir",
    "state_dir",
    "token_cache_file",
    "user_themes_dir",
    "writable_dir",
    "write_private_text",
]
