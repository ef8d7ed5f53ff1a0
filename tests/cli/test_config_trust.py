"""Configuration you can trust (issue 14): who may change config.toml, profile names, the API URL, bad files
and folders. Every refusal names the file (or variable, or option) and what fixes it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from lrtui.api.errors import ConfigError
from lrtui.settings import Folders, Profile, Settings, load_settings, save_ui_theme, write_private_text

GOOD = '[profiles.corp]\ntenant_id = "t"\nclient_id = "c"\n'
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
root_only = pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="needs chown (root)")
OTHER_UID = 54321


def config(folder: Path, text: str = GOOD, mode: int = 0o600) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / "config.toml"
    p.write_text(text)
    p.chmod(mode)
    return p


def refused(path: Path, **kw) -> ConfigError:
    with pytest.raises(ConfigError) as ei:
        load_settings(config_path=path, **kw)
    return ei.value


# ------------------------------------------------------------------ who may change the file


@posix_only
@pytest.mark.parametrize(
    ("mode", "who"), [(0o666, "its group and every user"), (0o620, "its group"), (0o602, "every user")]
)
def test_a_config_others_can_write_is_refused_with_the_chmod(tmp_path, mode, who):
    p = config(tmp_path / "cfg", mode=mode)
    e = refused(p)
    assert e.message.startswith(f"The config file {p} can be changed by {who} (mode {mode:04o})")
    assert "api_url" in e.message
    assert e.hint.startswith(f"Run: chmod go-w {p}")
    assert stat.S_IMODE(p.stat().st_mode) == mode  # nothing changed on disk
    p.chmod(0o644)
    assert load_settings(config_path=p).profile.name == "corp"


@posix_only
def test_a_symlink_to_a_writable_config_is_refused(tmp_path):
    target = config(tmp_path / "shared", mode=0o666)
    link = tmp_path / "mine" / "config.toml"
    link.parent.mkdir()
    link.symlink_to(target)
    e = refused(link)
    assert f"The config file {target} (through the symlink {link})" in e.message
    assert f"chmod go-w {target}" in e.hint
    target.chmod(0o600)
    assert load_settings(config_path=link).profile.name == "corp"


@root_only
def test_a_config_in_a_folder_others_can_write_and_you_do_not_own(tmp_path):
    folder = tmp_path / "drop"
    p = config(folder)
    folder.chmod(0o777)
    os.chown(folder, OTHER_UID, -1)
    e = refused(p)
    assert e.message.startswith(f"The config file {p} is in {folder}, a folder its group and every user can write")
    assert "LRTUI_CONFIG" in e.hint and f"chmod go-w {folder}" in e.hint
    os.chown(folder, os.getuid(), -1)  # your own folder: your business, as with ssh
    assert load_settings(config_path=p).profile.name == "corp"


@root_only
def test_a_symlink_in_a_folder_others_can_write(tmp_path):
    target = config(tmp_path / "private")
    drop = tmp_path / "drop"
    drop.mkdir(mode=0o777)
    drop.chmod(0o1777)
    os.chown(drop, OTHER_UID, -1)
    (drop / "config.toml").symlink_to(target)
    assert "a folder its group and every user can write and you do not own" in refused(drop / "config.toml").message


@root_only
def test_a_config_owned_by_someone_else(tmp_path):
    p = config(tmp_path / "cfg")
    os.chown(p, OTHER_UID, -1)
    e = refused(p)
    assert e.message.startswith(f"The config file {p} is owned by user id {OTHER_UID}, not by you")
    assert e.hint.startswith(f"Run: chown {os.getuid()} {p}")


@posix_only
def test_saving_the_theme_never_leaves_a_writable_config(tmp_path):
    p = config(tmp_path / "cfg")
    old = os.umask(0o002)
    try:
        save_ui_theme("lrtui-light", p)
    finally:
        os.umask(old)
    assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert load_settings(config_path=p).ui.theme == "lrtui-light"


def test_saving_the_theme_into_a_non_utf8_config_is_refused_cleanly(tmp_path):
    p = config(tmp_path / "cfg", text="")
    p.write_bytes(b'[ui]\ntheme = "caf\xe9"\n')
    with pytest.raises(ConfigError, match="Cannot update the theme in"):
        save_ui_theme("lrtui-light", p)
    assert p.read_bytes() == b'[ui]\ntheme = "caf\xe9"\n'


# ------------------------------------------------------------------ profile names become file names


@pytest.mark.parametrize("name", ["../evil", "a/b", ".", "..", "x y", "caf\u00e9", "a\u202eb", "n" * 65])
def test_profile_names_in_the_file_are_restricted(tmp_path, name):
    p = config(tmp_path / "cfg", text=f'[profiles."{name}"]\ntenant_id = "t"\n')
    e = refused(p)
    assert f"the profile name {name!r}" in e.message
    assert "letters, digits, '.', '_' and '-'" in e.message + e.hint


@pytest.mark.parametrize("source", ["--profile", "LRTUI_PROFILE", "default_profile"])
def test_asked_for_profile_names_are_restricted(tmp_path, monkeypatch, source):
    text = GOOD
    kw: dict[str, str] = {}
    if source == "--profile":
        kw["profile"] = "../../x"
    elif source == "LRTUI_PROFILE":
        monkeypatch.setenv("LRTUI_PROFILE", "../../x")
    else:
        text = 'default_profile = "../../x"\n' + GOOD
    e = refused(config(tmp_path / "cfg", text=text), **kw)
    assert e.message.startswith("The profile name '../../x' (")
    assert source in e.message and "letters, digits" in e.message


def test_no_profile_name_leaves_the_state_folder(tmp_path):
    folders = Folders(home=tmp_path)
    with pytest.raises(ConfigError, match="may only use letters"):
        folders.journal_file("../outside")
    with pytest.raises(ConfigError):
        folders.token_cache_file("../outside")
    assert folders.journal_file("corp.eu-1_x") == tmp_path / "state" / "journal-corp.eu-1_x.sqlite3"


# ------------------------------------------------------------------ the API URL (where the token goes)

BAD_URLS = [
    ("", "is empty"),
    ("   ", "is empty"),
    ("ftp://api.example.com", "uses the scheme 'ftp'"),
    ("http://api.example.com", "uses plain http"),
    ("https://", "has no valid host name"),
    ("https://:443", "has no valid host name"),
    ("https://api.example.com:99999", "has a port that is not a number from 1 to 65535"),
    ("https://api.example.com:0", "has a port that is not a number from 1 to 65535"),
    ("https://api.example.com:https", "has a port that is not a number from 1 to 65535"),
    ("https://user:pw@api.example.com", "carries a user name or password"),
    ("https://api.example.com/?x=1", "has a query or fragment"),
    ("https://api.example.com/#frag", "has a query or fragment"),
    ("https://api.exa mple.com", "contains spaces"),
    ("https://api.example.com\x1b]0;x\x07", "contains spaces or control characters"),
]
GOOD_URLS = [
    ("https://api.security.microsoft.com", "https://api.security.microsoft.com"),
    ("eu.api.security.microsoft.com", "eu.api.security.microsoft.com"),
    ("https://gw.corp.example:8443/mde", "https://gw.corp.example:8443/mde"),
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ("http://[::1]:8000", "http://[::1]:8000"),
    ("http://api.sim.localhost:9", "http://api.sim.localhost:9"),
]


@pytest.mark.parametrize(("url", "problem"), BAD_URLS)
def test_bad_api_urls_are_refused_wherever_they_come_from(tmp_path, monkeypatch, url, problem):
    monkeypatch.setenv("LRTUI_ACCESS_TOKEN", "t")
    e = refused(tmp_path / "none.toml", api_url=url)
    assert e.message.startswith(f"The API URL {url!r} (--api-url) {problem}")
    assert "https://host" in e.hint
    monkeypatch.setenv("LRTUI_API_URL", url)
    e = refused(tmp_path / "none.toml")
    assert e.message.startswith(f"The API URL {url!r} (LRTUI_API_URL) {problem}")
    monkeypatch.delenv("LRTUI_API_URL")
    toml_url = url.replace("\x1b", "\\u001b").replace("\x07", "\\u0007")
    p = config(tmp_path / "cfg", text=f'[profiles.corp]\ntenant_id = "t"\napi_url = "{toml_url}"\n')
    e = refused(p)
    assert e.message.startswith(f"{p}, line 3: profiles.corp.api_url {url!r} {problem}")


def test_an_empty_api_url_never_means_the_production_api(tmp_path, monkeypatch):
    """Before: ``--api-url ""`` and ``LRTUI_API_URL=`` were ignored and the profile's cloud host was used."""
    p = config(tmp_path / "cfg")
    assert refused(p, api_url="").message.startswith("The API URL '' (--api-url) is empty")
    monkeypatch.setenv("LRTUI_API_URL", "")
    assert refused(p).message.startswith("The API URL '' (LRTUI_API_URL) is empty")


@pytest.mark.parametrize(("url", "kept"), GOOD_URLS)
def test_good_api_urls_are_kept(tmp_path, monkeypatch, url, kept):
    monkeypatch.setenv("LRTUI_ACCESS_TOKEN", "t")
    assert load_settings(config_path=tmp_path / "none.toml", api_url=f"  {url} ").profile.api_url == kept


# ------------------------------------------------------------------ files the loader cannot use


def test_a_non_utf8_config_names_the_file_and_the_byte(tmp_path):
    p = config(tmp_path / "cfg", text="")
    p.write_bytes(b'[profiles.corp]\ntenant_id = "caf\xe9"\n')
    e = refused(p)
    assert e.message == f"The config file {p} is not UTF-8 text (byte 0xe9 at offset 32)."
    assert "UTF-8" in e.hint and "Nothing was changed on disk" in e.hint


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 5000 + "]" * 5000 + "\n",
        "x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n",
        "[" + ".".join(["a"] * 40) + "]\nk = 1\n",
        "[profiles.corp.team" + ".t" * 30 + "]\nk = 1\n",
    ],
    ids=["arrays", "inline-tables", "tables", "under-a-profile"],
)
def test_a_deeply_nested_config_is_a_message_not_a_crash(tmp_path, text):
    p = config(tmp_path / "cfg", text=text)
    e = refused(p)
    assert e.message == f"The config file {p} nests tables or arrays deeper than 16 levels."


def test_a_huge_config_is_refused(tmp_path):
    p = config(tmp_path / "cfg", text="# " + "x" * (1024 * 1024) + "\n")
    assert "larger than 1024 KiB" in refused(p).message


# ------------------------------------------------------------------ folders and private files


def test_an_unwritable_lrtui_home_names_the_folder_and_what_to_do(tmp_path, monkeypatch):
    from lrtui.cli.compose import build_runtime

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("LRTUI_HOME", str(blocker / "home"))
    monkeypatch.setenv("LRTUI_ACCESS_TOKEN", "t")
    settings = load_settings(api_url="http://127.0.0.1:9")
    with pytest.raises(ConfigError) as ei:
        import asyncio

        asyncio.run(build_runtime(settings, start=False))
    assert ei.value.message.startswith(f"Cannot use the folder {blocker / 'home' / 'state'} for the journal: ")
    assert ei.value.hint == f"Set LRTUI_HOME (now {blocker / 'home'}) to a folder you can write, or unset it."


@posix_only
def test_private_files_are_0600_in_0700_folders(tmp_path):
    old = os.umask(0o000)
    try:
        p = write_private_text(tmp_path / "state" / "crash-1.txt", "Traceback ...\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert stat.S_IMODE(p.parent.stat().st_mode) == 0o700
    assert p.read_text() == "Traceback ...\n"


@posix_only
def test_the_token_cache_folder_is_tightened_to_0700(tmp_path):
    from lrtui.api.token_cache import TokenCacheSettings, TokenCacheStore

    folder = tmp_path / "cache"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    store = TokenCacheStore("corp", TokenCacheSettings(folder, "plain"))
    cache = store.load()
    cache.has_state_changed = True
    store.save()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_settings_built_in_code_cannot_escape_either(tmp_path):
    s = Settings(profile=Profile(name="../../etc"), paths=Folders(home=tmp_path))
    with pytest.raises(ConfigError):
        s.paths.journal_file(s.profile.name)


# ------------------------------------------------------------------ the command line: a message, never a traceback


@pytest.mark.parametrize(
    ("args", "env", "expect"),
    [
        (["--api-url", "", "actions"], {}, "(--api-url) is empty"),
        (["actions"], {"LRTUI_API_URL": "http://evil.example"}, "uses plain http"),
        (["--profile", "../x", "actions"], {}, "The profile name '../x' (--profile)"),
        (["--demo", "actions"], {"LRTUI_POLL_CHUNK": "lots"}, "LRTUI_POLL_CHUNK='lots' is not a number."),
    ],
)
def test_the_cli_prints_the_message_and_no_traceback(tmp_path, args, env, expect):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LRTUI_")}
    environ.update(LRTUI_HOME=str(tmp_path / "home"), LRTUI_ACCESS_TOKEN="t", **env)
    out = subprocess.run(
        [sys.executable, "-m", "lrtui", *args], capture_output=True, text=True, timeout=60, env=environ
    )
    assert expect in out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert out.returncode not in (0, 1)
