"""``general_budget`` in config.toml (``[profiles.NAME.budgets]``) reaches the engine's BudgetSettings."""

from __future__ import annotations

import pytest

from lrtui.api.errors import ConfigError
from lrtui.settings import load_settings


def _config(tmp_path, budgets: str):
    p = tmp_path / "config.toml"
    p.write_text(
        'default_profile = "lab"\n[profiles.lab]\ntenant_id = "t"\nclient_id = "c"\n'
        f"[profiles.lab.budgets]\n{budgets}\n"
    )
    p.chmod(0o600)
    return p


def test_each_api_has_its_own_budget_by_default(tmp_path):
    assert load_settings(config_path=_config(tmp_path, "rate_calls = 10")).budget_settings().general_budget == (
        "per-endpoint"
    )


def test_the_shared_budget_is_a_profile_setting(tmp_path):
    s = load_settings(config_path=_config(tmp_path, 'general_budget = "shared"'))
    assert s.budget_settings().general_budget == "shared"


def test_an_unknown_budget_mode_is_refused_with_the_choices(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_settings(config_path=_config(tmp_path, 'general_budget = "per-api"'))
    text = e.value.user_message()
    assert "general_budget" in text and "per-endpoint" in text and "shared" in text
