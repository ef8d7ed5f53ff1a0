"""Reading ``config.toml``: every message names the file, the line and the key; nothing is ever rewritten here.

Secrets are refused in the file (they come from the environment or a prompt). The environment and the command
line are applied on top of the chosen profile (see ``env``).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lrtui.api.errors import ConfigError
from lrtui.settings import env
from lrtui.settings.checks import API_URL_HINT, PROFILE_CHARS, api_url_problem, profile_name_problem
from lrtui.settings.folders import Folders
from lrtui.settings.model import Settings
from lrtui.settings.sections import DEMO_PROFILE, Profile, UiSettings, demo_profile
from lrtui.settings.trust import check_config_trust
from lrtui.settings.validate import SettingError, build, section

SECRET_KEYS = {"client_secret", "secret", "password", "access_token", "token"}
_UNCHANGED = "Nothing was changed on disk."
MAX_CONFIG_BYTES = 1024 * 1024
MAX_CONFIG_DEPTH = 16


@dataclass
class FileModel:
    """The top level of ``config.toml``; profiles are checked one by one (so a message names the profile)."""

    default_profile: str | None = None
    ui: UiSettings = section(UiSettings)
    profiles: dict[str, Any] = field(default_factory=dict)


def line_of(text: str, table: list[str], key: str | None) -> int | None:
    """Best-effort line number of ``key`` inside the TOML table ``table`` (or of the table's header)."""
    header = re.compile(r"^\s*\[+\s*(.+?)\s*\]+\s*$")
    want = ".".join(table)
    current = ""
    hit_table: int | None = None
    for i, line in enumerate(text.splitlines(), 1):
        m = header.match(line)
        if m:
            current = re.sub(r"\s*\.\s*", ".", m.group(1)).replace('"', "")
            if current == want and hit_table is None:
                hit_table = i
            continue
        if key and current == want and re.match(rf"^\s*\"?{re.escape(key)}\"?\s*=", line):
            return i
    return hit_table


def _where(path: Path, line: int | None) -> str:
    return f"{path}, line {line}" if line else str(path)


def _format_validation(exc: SettingError, text: str, path: Path, prefix: list[str]) -> str:
    loc = [str(x) for x in prefix + exc.loc]
    key = loc[-1] if loc else None
    line = line_of(text, loc[:-1], key) or line_of(text, loc, None)
    return f"{_where(path, line)}: {'.'.join(loc)}: {exc.msg}."


def _refuse_secrets(data: dict[str, Any], where: list[str], text: str, path: Path) -> None:
    for k, v in data.items():
        if isinstance(v, dict):
            _refuse_secrets(v, where + [k], text, path)
        elif k.lower() in SECRET_KEYS and where[:1] != ["ui"]:
            raise ConfigError(
                f"{_where(path, line_of(text, where, k))}: {'.'.join(where + [k])}: "
                "secrets are never read from the config file.",
                hint="Delete that line and set LRTUI_CLIENT_SECRET in the environment (or answer the prompt).",
            )
        elif k == "redis_url" and isinstance(v, str) and _has_password(v):
            raise ConfigError(
                f"{_where(path, line_of(text, where, k))}: {'.'.join(where + [k])}: "
                "the URL carries a password, and secrets are never read from the config file.",
                hint="Remove the password from the URL and set LRTUI_REDIS_PASSWORD in the environment.",
            )


def _has_password(url: str) -> bool:
    try:
        return bool(urlsplit(url).password)
    except ValueError:
        return False


def _read_text(path: Path) -> str | None:
    """The file's text (None when it does not exist), refused when others could change it, too big or not UTF-8."""
    check_config_trust(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as e:
        raise ConfigError(f"Cannot read the config file {path}: {e.strerror or e}.", hint=_UNCHANGED) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"The config file {path} is larger than {MAX_CONFIG_BYTES // 1024} KiB; a config file is a few lines.",
            hint="Check that LRTUI_CONFIG names the right file. " + _UNCHANGED,
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"The config file {path} is not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start}).",
            hint="Save it as UTF-8 (for example with iconv -t UTF-8). " + _UNCHANGED,
        ) from None


def _too_deep(data: dict[str, Any]) -> bool:
    """Whether tables or arrays nest deeper than ``MAX_CONFIG_DEPTH`` (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_CONFIG_DEPTH:
            return True
        items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack.extend((v, depth + 1) for v in items if isinstance(v, (dict, list)))
    return False


def _parse(text: str, path: Path) -> dict[str, Any]:
    import tomllib  # here, not at import: a run without a config file never needs it (startup)

    deep = ConfigError(
        f"The config file {path} nests tables or arrays deeper than {MAX_CONFIG_DEPTH} levels.",
        hint="lrtui's settings are at most three tables deep; fix or move the file away. " + _UNCHANGED,
    )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(
            f"The config file {path} is not valid TOML: {e}.",
            hint="Fix that line (nothing was changed on disk), or move the file away to start fresh.",
        ) from None
    except RecursionError:
        raise deep from None
    if _too_deep(data):
        raise deep
    return data


def read_file_model(path: Path) -> tuple[FileModel, str]:
    """The file's top level and its text (for line numbers); a missing file is an empty one."""
    text = _read_text(path)
    if text is None:
        return FileModel(), ""
    data = _parse(text, path)
    _refuse_secrets(data, [], text, path)
    try:
        return build(FileModel, data, []), text
    except SettingError as e:
        raise ConfigError(_format_validation(e, text, path, []), hint=_UNCHANGED) from None


def _file_profiles(fm: FileModel, text: str, path: Path) -> dict[str, Profile]:
    profiles: dict[str, Profile] = {}
    for name, raw in fm.profiles.items():
        if problem := profile_name_problem(name):
            raise ConfigError(
                f"{_where(path, line_of(text, ['profiles', name], None))}: the profile name {name!r} {problem}.",
                hint=f"Rename that profile using only {PROFILE_CHARS} (it becomes part of file names). {_UNCHANGED}",
            )
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: profiles.{name} must be a table ([profiles.{name}]).")
        try:
            prof: Profile = build(Profile, {**raw, "name": name}, [])
        except SettingError as e:
            raise ConfigError(_format_validation(e, text, path, ["profiles", name]), hint=_UNCHANGED) from None
        if prof.api_url is not None and (problem := api_url_problem(prof.api_url)):
            where = _where(path, line_of(text, ["profiles", name], "api_url"))
            raise ConfigError(
                f"{where}: profiles.{name}.api_url {prof.api_url!r} {problem}.", hint=f"{API_URL_HINT} {_UNCHANGED}"
            )
        profiles[name] = prof
    return profiles


def _wanted(profile: str | None, environ: Mapping[str, str], fm: FileModel, path: Path) -> str | None:
    """The profile asked for (``--profile``, else ``LRTUI_PROFILE``, else ``default_profile``), its name checked."""
    for value, source in (
        (profile, "--profile"),
        (env.wanted_profile(environ), "LRTUI_PROFILE"),
        (fm.default_profile, f"default_profile in {path}"),
    ):
        if value is None:
            continue
        if problem := profile_name_problem(value):
            raise ConfigError(
                f"The profile name {value!r} ({source}) {problem}.",
                hint=f"Profile names become file names; use only {PROFILE_CHARS}.",
            )
        return value
    return None


def _api_url_override(api_url: str | None, environ: Mapping[str, str]) -> str | None:
    """``--api-url``, else ``LRTUI_API_URL`` (None when neither is given); an empty or unusable one is refused."""
    value, source = (api_url, "--api-url") if api_url is not None else (env.api_url_var(environ), "LRTUI_API_URL")
    if value is not None and (problem := api_url_problem(value)):
        raise ConfigError(f"The API URL {value!r} ({source}) {problem}.", hint=API_URL_HINT)
    return value.strip() if value is not None else None


def _choose(wanted: str | None, profiles: dict[str, Profile], path: Path, token_only: bool) -> Profile | str:
    """The profile to start from, or (a string) why the demo tenant is used instead."""
    if wanted:
        if wanted not in profiles:
            known = ", ".join(sorted(profiles)) or "none"
            raise ConfigError(
                f"No profile named {wanted!r} in {path} (profiles: {known}).",
                hint=f"Add a [profiles.{wanted}] table, or pick one with --profile NAME.",
            )
        return profiles[wanted]
    if len(profiles) == 1:
        return next(iter(profiles.values()))
    if profiles:
        raise ConfigError(
            f"{path} has several profiles ({', '.join(sorted(profiles))}) and no default_profile.",
            hint="Pick one with --profile NAME, or set default_profile at the top of the file.",
        )
    if token_only:
        return Profile(name="env", auth="token")
    return f"no profile is configured ({path} has none)"


def _apply_overrides(base: Profile, overrides: dict[str, str], environ: Mapping[str, str]) -> Profile:
    data = base.model_dump()
    data.update(overrides)
    data.pop("name")
    try:
        prof: Profile = build(Profile, {"name": base.name, **data}, [])
    except SettingError as e:
        where = env.var_name(e.loc[-1]) if e.loc else "environment"
        raise ConfigError(f"{where} (environment or command line): {'.'.join(e.loc)}: {e.msg}.") from None
    return dataclasses.replace(prof, budgets=env.read_budgets(prof.budgets, environ))


def load_settings(
    *,
    profile: str | None = None,
    demo: bool = False,
    api_url: str | None = None,
    auth: str | None = None,
    config_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings for this run. Raises ``ConfigError`` naming the file, line and fix (or the variable)."""
    environ = os.environ if environ is None else environ
    folders = Folders.from_env(environ)
    path = config_path or folders.config_file()
    fm, text = read_file_model(path)
    profiles = _file_profiles(fm, text, path)
    base = Settings(
        profile=dataclasses.replace(demo_profile(), budgets=env.read_budgets(demo_profile().budgets, environ)),
        ui=env.read_ui(fm.ui, environ),
        profiles=profiles,
        demo=True,
        config_path=path,
        pacing=env.read_pacing(environ),
        demo_tenant=env.read_demo(environ),
        paths=folders,
        token_cache=env.read_token_cache(environ),
        traceback=env.read_traceback(environ),
        secrets=env.read_secrets(environ),
        ca_env=env.read_ca_env(environ),
    )
    wanted = _wanted(profile, environ, fm, path)
    api = _api_url_override(api_url, environ)
    if demo or wanted == DEMO_PROFILE:
        return dataclasses.replace(base, demo_reason="--demo was given" if demo else "the demo profile was chosen")
    overrides = env.profile_overrides(environ)
    if api is not None:
        overrides["api_url"] = api
    if auth:
        overrides["auth"] = auth
    token = base.secrets.access_token
    chosen = _choose(wanted, profiles, path, token_only=bool(overrides.get("api_url") or token))
    if isinstance(chosen, str):
        return dataclasses.replace(base, demo_reason=chosen)
    if "auth" not in overrides and token and not fm.profiles:
        overrides["auth"] = "token"
    settings = dataclasses.replace(base, profile=_apply_overrides(chosen, overrides, environ), demo=False)
    _check_ca_file(settings)
    return settings


def _check_ca_file(settings: Settings) -> None:
    """The CA file the active profile will verify with exists and is a file (its contents are read later)."""
    tls = settings.tls_settings()
    if tls.ca_bundle is not None and not tls.ca_bundle.is_file():
        raise ConfigError(
            f"The CA file {tls.ca_bundle} ({tls.source}) does not exist or is not a file.",
            hint="Point it at your proxy's CA certificate (a PEM file), or remove the setting.",
        )
