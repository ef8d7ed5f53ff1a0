"""Settings: one typed ``Settings`` built from ``config.toml`` and the ``LRTUI_*`` environment, and the folders.

This package is the only reader of the config file and of every ``LRTUI_*`` variable. Nothing here writes to
disk except ``save_ui_theme`` (one line) and the folder helpers ``ensure_dir``/``create_private_file``.

```python
from lrtui.settings import load_settings
settings = load_settings(profile="contoso")      # ConfigError names the file, line and key (or the variable)
settings.profile.tenant_id, settings.ui.theme     # typed sections
settings.budget_settings()                        # the engine's BudgetSettings
settings.token_cache_settings()                   # the API's TokenCacheSettings
```
"""

from __future__ import annotations

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
)
from lrtui.settings.loader import load_settings
from lrtui.settings.model import Settings
from lrtui.settings.save import save_ui_theme
from lrtui.settings.sections import (
    AUTH_KINDS,
    DEMO_PROFILE,
    AuthKind,
    Budgets,
    DemoSettings,
    Pacing,
    Profile,
    Secrets,
    TeamSettings,
    TokenCacheMode,
    UiSettings,
    demo_profile,
)
from lrtui.settings.validate import SettingError

__all__ = [
    "APP",
    "AUTH_KINDS",
    "DEMO_PROFILE",
    "EXAMPLE",
    "AuthKind",
    "Budgets",
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
    "cache_dir",
    "config_dir",
    "config_file",
    "create_private_file",
    "data_dir",
    "demo_profile",
    "ensure_dir",
    "evidence_dir",
    "journal_file",
    "load_settings",
    "save_ui_theme",
    "sequences_dir",
    "state_dir",
    "token_cache_file",
    "user_themes_dir",
]
