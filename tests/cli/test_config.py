"""Profiles, environment overrides, the demo default and clear config errors."""

from __future__ import annotations

import pytest

from lrtui.api.errors import ConfigError
from lrtui.settings import EXAMPLE, load_settings, save_ui_theme


def write(tmp_path, text):
    p = tmp_path / "config.toml"
    p.write_text(text)
    return p


def test_no_config_means_demo_and_says_why(tmp_path):
    s = load_settings(config_path=tmp_path / "missing.toml")
    assert s.demo is True
    assert "no profile is configured" in s.demo_reason
    assert s.profile.name == "demo"


def test_example_parses_and_single_profile_is_active(tmp_path):
    s = load_settings(config_path=write(tmp_path, EXAMPLE))
    assert s.demo is False
    assert s.profile.name == "contoso"
    assert s.profile.region == "eu"
    assert s.profile.default_comment() == "analyst=jdoe case=IR-1234: "
    assert s.ui.keymap == {"run-sequence": "ctrl+r,f5"}


def test_many_tenants_side_by_side_need_a_choice(tmp_path):
    text = '[profiles.a]\ntenant_id = "ta"\n[profiles.b]\ntenant_id = "tb"\nauth = "device_code"\n'
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        load_settings(config_path=p)
    assert "several profiles" in e.value.message and "--profile" in e.value.hint
    assert load_settings(config_path=p, profile="b").profile.tenant_id == "tb"
    with pytest.raises(ConfigError) as e:
        load_settings(config_path=p, profile="c")
    assert "No profile named 'c'" in e.value.message


def test_bad_value_names_file_line_and_key(tmp_path):
    p = write(tmp_path, EXAMPLE.replace('auth = "client_secret"', 'auth = "magic"'))
    before = p.read_text()
    with pytest.raises(ConfigError) as e:
        load_settings(config_path=p)
    msg = e.value.user_message()
    line = next(i for i, row in enumerate(before.splitlines(), 1) if row.startswith("auth ="))
    assert f"{p}, line {line}: profiles.contoso.auth" in msg
    assert "device_code" in msg
    assert p.read_text() == before  # nothing overwritten


def test_broken_toml_names_the_file_and_keeps_it(tmp_path):
    p = write(tmp_path, "[profiles.x\ntenant_id = 1\n")
    with pytest.raises(ConfigError) as e:
        load_settings(config_path=p)
    assert str(p) in e.value.message and "line 1" in e.value.message
    assert p.read_text() == "[profiles.x\ntenant_id = 1\n"


@pytest.mark.parametrize("key", ["client_secret", "password", "access_token"])
def test_secrets_in_the_file_are_refused(tmp_path, key):
    p = write(tmp_path, f'[profiles.x]\ntenant_id = "t"\n{key} = "hunter2"\n')
    with pytest.raises(ConfigError) as e:
        load_settings(config_path=p)
    assert "line 3" in e.value.message and "LRTUI_CLIENT_SECRET" in e.value.hint
    assert "hunter2" not in e.value.user_message()


def test_environment_overrides(tmp_path, monkeypatch):
    p = write(tmp_path, EXAMPLE)
    monkeypatch.setenv("LRTUI_REGION", "uk")
    monkeypatch.setenv("LRTUI_RATE_CALLS", "5")
    s = load_settings(config_path=p, auth="device_code")
    assert s.profile.region == "uk"
    assert s.profile.budgets.rate_calls == 5
    assert s.profile.auth == "device_code"


def test_token_and_api_url_need_no_config_file(tmp_path, monkeypatch):
    monkeypatch.setenv("LRTUI_ACCESS_TOKEN", "eyJ.fake")
    s = load_settings(config_path=tmp_path / "none.toml", api_url="http://127.0.0.1:9/")
    assert s.demo is False
    assert s.profile.auth == "token"
    assert s.profile.api_url == "http://127.0.0.1:9/"


def test_save_theme_edits_one_line_and_keeps_the_rest(tmp_path):
    p = write(tmp_path, "# my notes\n" + EXAMPLE)
    save_ui_theme("lrtui-projector", p)
    text = p.read_text()
    assert text.startswith("# my notes\n")
    assert 'theme = "lrtui-projector"' in text and 'theme = "lrtui-dark"' not in text
    assert load_settings(config_path=p).ui.theme == "lrtui-projector"
    fresh = tmp_path / "new" / "config.toml"
    save_ui_theme("lrtui-light", fresh)
    assert load_settings(config_path=fresh, demo=True).ui.theme == "lrtui-light"
    with pytest.raises(ConfigError):
        save_ui_theme('x"; rm -rf', p)


def test_loading_creates_nothing(tmp_path, monkeypatch):
    home = tmp_path / "h"
    monkeypatch.setenv("LRTUI_HOME", str(home))
    load_settings()
    assert not home.exists()


@pytest.mark.parametrize(
    "line,expect",
    [
        ('rate_calls = "ten"', "profiles.contoso.budgets.rate_calls: must be an integer"),
        ("rate_calls = 0", "profiles.contoso.budgets.rate_calls: must be at least 1"),
        ("rate_calsl = 3", "profiles.contoso.budgets.rate_calsl: unknown setting"),
    ],
)
def test_bad_budget_values_are_named(tmp_path, line, expect):
    line_ = line
    p = write(tmp_path, EXAMPLE.replace("rate_calls = 10", line))
    with pytest.raises(ConfigError) as e:
        load_settings(config_path=p)
    assert expect in e.value.message
    line = next(i for i, row in enumerate(p.read_text().splitlines(), 1) if row == line_)
    assert f", line {line}:" in e.value.message


def test_config_import_stays_light():
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import lrtui.settings, lrtui.cli, sys; print(sorted(m for m in ('pydantic','httpx','msal','textual','sqlite3') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "argv",
    [
        ["--demo", "run", "-m", "x"],
        ["run", "--demo", "-m", "x"],
        ["--profile", "p", "actions"],
        ["actions", "--profile", "p"],
    ],
)
def test_connection_options_work_before_and_after_the_subcommand(argv):
    from lrtui.cli import build_parser

    ns = build_parser().parse_args(argv)
    if "--demo" in argv:
        assert ns.demo is True
    else:
        assert ns.profile == "p" and ns.demo is False
