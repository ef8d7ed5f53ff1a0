"""The environment half of the settings: every ``LRTUI_*`` variable lands in a typed section, checked on read."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from lrtui.api.errors import ConfigError
from lrtui.engine.budget import BudgetSettings
from lrtui.settings import Profile, Settings, load_settings

PROFILE = '[profiles.p]\ntenant_id = "t"\n[profiles.p.budgets]\nrate_calls = 3\n'


def config(tmp_path: Path, text: str = PROFILE) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_without_variables_the_engine_gets_its_own_defaults(tmp_path):
    assert load_settings(demo=True).budget_settings() == BudgetSettings()
    assert load_settings(config_path=config(tmp_path)).budget_settings() == BudgetSettings(rate_calls=3)


def test_budget_variables_override_the_profile(tmp_path, monkeypatch):
    monkeypatch.setenv("LRTUI_RATE_CALLS", "20")
    monkeypatch.setenv("LRTUI_RATE_WINDOW_S", "1.5")
    monkeypatch.setenv("LRTUI_MAX_SESSIONS", "5")
    monkeypatch.setenv("LRTUI_GENERAL_PER_MINUTE", "50")
    monkeypatch.setenv("LRTUI_GENERAL_PER_HOUR", "700")
    for s in (load_settings(config_path=config(tmp_path)), load_settings(demo=True)):
        b = s.budget_settings()
        assert (b.rate_calls, b.rate_window_s, b.max_sessions, b.general_per_minute, b.general_per_hour) == (
            20,
            1.5,
            5,
            50,
            700,
        )
        assert s.profile.budgets.rate_calls == 20


def test_engine_knobs_and_the_confirm_threshold_come_from_the_environment(monkeypatch):
    knobs = {
        "LRTUI_GENERAL_WINDOW_S": ("general_window_s", 0.5),
        "LRTUI_POLL_SHARE": ("poll_share", 10.0),
        "LRTUI_POLL_FAST_S": ("poll_fast_s", 0.3),
        "LRTUI_POLL_SLOW_S": ("poll_slow_s", 2.0),
        "LRTUI_POLL_CHUNK": ("poll_chunk", 7),
        "LRTUI_RETRY_AFTER_DEFAULT_S": ("retry_after_default_s", 3.0),
        "LRTUI_RECONCILE_GRACE_S": ("reconcile_grace_s", 4.0),
        "LRTUI_BULK_CONFIRM_THRESHOLD": ("bulk_confirm_threshold", 3),
    }
    for var, (_, value) in knobs.items():
        monkeypatch.setenv(var, str(value))
    s = load_settings(demo=True)
    b = s.budget_settings()
    for name, value in knobs.values():
        assert getattr(b, name) == value, name
    assert s.ui.bulk_confirm_threshold == 3 and isinstance(b.poll_chunk, int)


def test_empty_variables_count_as_unset(monkeypatch):
    monkeypatch.setenv("LRTUI_RATE_CALLS", "")
    monkeypatch.setenv("LRTUI_POLL_FAST_S", "  ")
    assert load_settings(demo=True).budget_settings() == BudgetSettings()


@pytest.mark.parametrize("raw", ["many", "nan", "inf", "-inf", "1e999"])
@pytest.mark.parametrize("var", ["LRTUI_RATE_CALLS", "LRTUI_POLL_FAST_S"])
def test_a_non_number_names_the_variable_and_what_to_set(tmp_path, monkeypatch, var, raw):
    monkeypatch.setenv(var, raw)
    for kw in ({"demo": True}, {"config_path": config(tmp_path)}):
        with pytest.raises(ConfigError) as e:
            load_settings(**kw).budget_settings()
        assert e.value.message == f"{var}={raw!r} is not a number."
        assert f"Set {var} to a positive" in e.value.hint


@pytest.mark.parametrize(
    "var,raw", [("LRTUI_RATE_CALLS", "0"), ("LRTUI_MAX_SESSIONS", "-3"), ("LRTUI_POLL_SHARE", "0")]
)
def test_a_non_positive_value_is_refused(monkeypatch, var, raw):
    monkeypatch.setenv(var, raw)
    with pytest.raises(ConfigError) as e:
        load_settings(demo=True).budget_settings()
    assert e.value.message == f"{var} must be positive, not {raw!r}."
    assert var in e.value.hint


def test_whole_numbers_for_counts(monkeypatch):
    monkeypatch.setenv("LRTUI_MAX_SESSIONS", "5.0")
    assert load_settings(demo=True).budget_settings().max_sessions == 5
    monkeypatch.setenv("LRTUI_MAX_SESSIONS", "2.5")
    with pytest.raises(ConfigError, match=r"LRTUI_MAX_SESSIONS='2.5' is not a whole number"):
        load_settings(demo=True)


def test_demo_tenant(monkeypatch):
    s = load_settings(demo=True)
    assert (s.demo_tenant.seed, s.demo_tenant.machines, s.demo_tenant.time_scale) == (7, 500, 0.02)
    monkeypatch.setenv("LRTUI_DEMO_SEED", "0")
    monkeypatch.setenv("LRTUI_DEMO_MACHINES", "30")
    monkeypatch.setenv("LRTUI_DEMO_TIME_SCALE", "0.5")
    s = load_settings(demo=True)
    assert (s.demo_tenant.seed, s.demo_tenant.machines, s.demo_tenant.time_scale) == (0, 30, 0.5)
    monkeypatch.setenv("LRTUI_DEMO_TIME_SCALE", "fast")
    with pytest.raises(ConfigError, match="LRTUI_DEMO_TIME_SCALE"):
        load_settings(demo=True)


@pytest.mark.parametrize("raw,mode", [(None, "auto"), ("plain", "plain"), ("MEMORY", "memory"), ("auto", "auto")])
def test_token_cache(monkeypatch, raw, mode):
    if raw is not None:
        monkeypatch.setenv("LRTUI_TOKEN_CACHE", raw)
    cache = load_settings(demo=True).token_cache_settings()
    assert cache.mode == mode
    assert cache.path == Path(__import__("os").environ["LRTUI_HOME"]) / "cache"


def test_an_unknown_token_cache_mode_is_refused(monkeypatch):
    monkeypatch.setenv("LRTUI_TOKEN_CACHE", "sometimes")
    with pytest.raises(ConfigError) as e:
        load_settings(demo=True)
    assert "LRTUI_TOKEN_CACHE" in e.value.message and "memory" in e.value.hint


def test_secrets_are_carried_but_never_shown(tmp_path, monkeypatch):
    values = {
        "LRTUI_CLIENT_SECRET": "s3cret-one",
        "LRTUI_ACCESS_TOKEN": "s3cret-two",
        "LRTUI_CERT_PASSPHRASE": "s3cret-three",
        "LRTUI_REDIS_PASSWORD": "s3cret-four",
    }
    for var, value in values.items():
        monkeypatch.setenv(var, value)
    s = load_settings(config_path=config(tmp_path))
    got = (s.secrets.client_secret, s.secrets.access_token, s.secrets.cert_passphrase, s.secrets.redis_password)
    assert got == tuple(values.values())
    shown = repr(s) + repr(s.secrets) + str(s.profile.model_dump()) + str(s.ui.model_dump())
    assert "s3cret" not in shown
    assert not any(tmp_path.glob("*.tmp")) and config(tmp_path).read_text() == PROFILE


def test_settings_built_directly_read_the_environment(monkeypatch):
    monkeypatch.setenv("LRTUI_ACCESS_TOKEN", "bench-token")
    monkeypatch.setenv("LRTUI_POLL_FAST_S", "0.3")
    s = Settings(profile=Profile(name="bench", auth="token", api_url="http://127.0.0.1:9/"))
    assert s.secrets.access_token == "bench-token" and s.budget_settings().poll_fast_s == 0.3


@pytest.mark.parametrize("raw,on", [(None, False), ("1", True), ("yes", True), ("0", False), ("false", False)])
def test_traceback(monkeypatch, raw, on):
    if raw is not None:
        monkeypatch.setenv("LRTUI_TRACEBACK", raw)
    assert load_settings(demo=True).traceback is on


def test_folders_follow_lrtui_home_and_lrtui_config(tmp_path, monkeypatch):
    from lrtui import settings

    monkeypatch.setenv("LRTUI_HOME", str(tmp_path / "h"))
    assert settings.config_file() == tmp_path / "h" / "config" / "config.toml"
    assert settings.journal_file("p") == tmp_path / "h" / "state" / "journal-p.sqlite3"
    assert settings.sequences_dir() == tmp_path / "h" / "data" / "sequences"
    assert settings.token_cache_file("p") == tmp_path / "h" / "cache" / "tokens-p.bin"
    monkeypatch.setenv("LRTUI_CONFIG", str(config(tmp_path)))
    s = load_settings()
    assert s.config_path == config(tmp_path) and s.profile.name == "p"
    assert s.paths.data_dir() == tmp_path / "h" / "data"
    assert not (tmp_path / "h").exists()


def test_an_explicit_environment_replaces_os_environ(tmp_path):
    s = load_settings(config_path=config(tmp_path), environ={"LRTUI_RATE_CALLS": "9", "LRTUI_REGION": "uk"})
    assert s.profile.budgets.rate_calls == 9 and s.profile.region == "uk"


def test_a_password_in_the_team_redis_url_is_refused(tmp_path):
    p = config(tmp_path, PROFILE + '[profiles.p.team]\nredis_url = "redis://:hunter2@cache:6379/0"\n')
    with pytest.raises(ConfigError) as e:
        load_settings(config_path=p)
    assert f"{p}, line 6: profiles.p.team.redis_url" in e.value.message
    assert "LRTUI_REDIS_PASSWORD" in e.value.hint and "hunter2" not in e.value.user_message()
    ok = config(tmp_path, PROFILE + '[profiles.p.team]\nredis_url = "rediss://cache:6380/0"\n')
    assert load_settings(config_path=ok).profile.team.redis_url == "rediss://cache:6380/0"


def test_the_sections_stay_finite():
    b = load_settings(demo=True).budget_settings()
    assert all(math.isfinite(v) for v in (b.rate_window_s, b.poll_fast_s, b.general_window_s))


@pytest.mark.parametrize("var", ["LRTUI_POLL_SHARE", "LRTUI_POLL_FAST_S", "LRTUI_POLL_SLOW_S", "LRTUI_POLL_CHUNK"])
@pytest.mark.parametrize("raw", ["soon", "nan", "inf", "-1", "0"])
def test_every_poll_variable_is_checked(monkeypatch, var, raw):
    """Issue 14: invalid LRTUI_POLL_* values are a message naming the variable, never a traceback or a NaN."""
    monkeypatch.setenv(var, raw)
    with pytest.raises(ConfigError) as e:
        load_settings(demo=True)
    assert e.value.message.startswith(f"{var}") and var in e.value.hint


def test_the_tls_variables_are_read_here(monkeypatch):
    from lrtui.settings import CaEnv

    monkeypatch.setenv("SSL_CERT_FILE", " /etc/corp.pem ")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")
    monkeypatch.setenv("LRTUI_TRUSTSTORE", "off")
    assert load_settings(demo=True).ca_env == CaEnv(ssl_cert_file="/etc/corp.pem", truststore=False)


def test_general_budget_mode_from_the_environment_and_the_file(tmp_path):
    import pytest

    from lrtui.api.errors import ConfigError
    from lrtui.settings import load_settings

    assert load_settings(demo=True, environ={}).budget_settings().general_budget == "per-endpoint"
    shared = load_settings(demo=True, environ={"LRTUI_GENERAL_BUDGET": "Shared"})
    assert shared.budget_settings().general_budget == "shared"
    with pytest.raises(ConfigError) as ei:
        load_settings(demo=True, environ={"LRTUI_GENERAL_BUDGET": "half"})
    assert "LRTUI_GENERAL_BUDGET='half'" in ei.value.user_message() and "per-endpoint" in ei.value.user_message()
