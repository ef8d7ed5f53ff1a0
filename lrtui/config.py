"""Profiles and settings: one TOML file (``lrtui config path``), environment overrides, and the demo default.

```toml
default_profile = "contoso"

[ui]
theme = "lrtui-dark"
bulk_confirm_threshold = 20
[ui.keymap]
run-sequence = "ctrl+r,f5"

[profiles.contoso]
tenant_id = "00000000-0000-0000-0000-000000000000"
client_id = "11111111-1111-1111-1111-111111111111"
auth = "client_secret"            # client_secret | certificate | device_code | managed_identity | azure_cli | token
cloud = "commercial"              # commercial | gcc | gcc-high | dod
region = "eu"                     # optional regional host
comment_prefix = "analyst=jdoe case=IR-1234: "
[profiles.contoso.budgets]
rate_calls = 10
```

Secrets are never read from this file: the client secret comes from ``LRTUI_CLIENT_SECRET`` or a prompt.
Nothing here writes to disk except ``save_ui_theme``, which edits one line and keeps everything else.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from lrtui import paths
from lrtui.api.errors import ConfigError

# Plain dataclasses with a small validator: pydantic would cost ~0.15 s before the first frame.

AuthKind = Literal["client_secret", "certificate", "device_code", "managed_identity", "azure_cli", "token"]
AUTH_KINDS: tuple[str, ...] = get_args(AuthKind)
SECRET_KEYS = {"client_secret", "secret", "password", "access_token", "token"}
DEMO_PROFILE = "demo"


class SettingError(Exception):
    def __init__(self, loc: list[str], msg: str, kind: str = "value") -> None:
        super().__init__(msg)
        self.loc, self.msg, self.kind = loc, msg, kind


def _coerce(value: Any, typ: Any, loc: list[str], meta: dict[str, Any]) -> Any:
    origin = getattr(typ, "__origin__", None)
    if origin is Literal:
        if value not in get_args(typ):
            raise SettingError(loc, f"must be one of {', '.join(get_args(typ))}")
        return value
    if typ == (str | None):
        if value is None:
            return None
        typ = str
    if typ is str:
        if not isinstance(value, str):
            raise SettingError(loc, "must be a string (in quotes)")
        return value
    if typ is bool:
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "0", "false", "no"):
            return value.lower() in ("1", "true", "yes")
        if not isinstance(value, bool):
            raise SettingError(loc, "must be true or false")
        return value
    if typ in (int, float):
        want = typ
        try:
            if isinstance(value, bool):
                raise ValueError
            num = want(value)
            if want is int and isinstance(value, float) and not value.is_integer():
                raise ValueError
        except (TypeError, ValueError):
            raise SettingError(loc, f"must be a{'n integer' if want is int else ' number'}") from None
        lo = meta.get("ge")
        if lo is not None and num < lo:
            raise SettingError(loc, f"must be at least {lo}")
        if meta.get("gt") is not None and num <= meta["gt"]:
            raise SettingError(loc, f"must be greater than {meta['gt']}")
        return num
    if typ == dict[str, str]:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise SettingError(loc, "must be a table of strings")
        return dict(value)
    return value


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        import typing

        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def build(cls: type, data: Any, loc: list[str]) -> Any:
    """Instantiate dataclass ``cls`` from TOML data; unknown keys and bad values raise SettingError with a location."""
    if not isinstance(data, dict):
        raise SettingError(loc, "must be a table")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        f = fields.get(key)
        if f is None or not f.init:
            raise SettingError(loc + [key], "unknown setting (check its spelling)", "extra")
        sub = f.metadata.get("section")
        kwargs[key] = (
            build(sub, value, loc + [key]) if sub else _coerce(value, hints[key], loc + [key], dict(f.metadata))
        )
    return cls(**kwargs)


def _sec(cls: type) -> Any:
    return field(default_factory=cls, metadata={"section": cls})


@dataclass
class Budgets:
    rate_calls: int = field(default=10, metadata={"ge": 1})  #: runliveresponse calls per rolling window
    rate_window_s: float = field(default=60.0, metadata={"gt": 0})
    max_sessions: int = field(default=25, metadata={"ge": 1})  #: concurrent live response sessions
    general_per_minute: int = field(default=100, metadata={"ge": 1})
    general_per_hour: int = field(default=1500, metadata={"ge": 1})


@dataclass
class UiSettings:
    theme: str = "lrtui-dark"
    keymap: dict[str, str] = field(default_factory=dict)  #: binding id -> keys, e.g. run-sequence
    bulk_confirm_threshold: int = field(default=20, metadata={"ge": 1})
    compact: bool = False


@dataclass
class Profile:
    name: str = "default"
    tenant_id: str | None = None
    client_id: str | None = None
    auth: AuthKind = "client_secret"
    cloud: str = "commercial"
    region: str | None = None
    api_url: str | None = None
    scope: str | None = None
    cert_path: str | None = None
    cert_thumbprint: str | None = None
    managed_identity_client_id: str | None = None
    analyst: str | None = None
    case_id: str | None = None
    comment_prefix: str = ""
    budgets: Budgets = _sec(Budgets)

    @property
    def tenant_label(self) -> str:
        return self.tenant_id or "(tenant not set)"

    def default_comment(self) -> str:
        """The prefix a new sequence's comment starts with (analyst and case id when set)."""
        if self.comment_prefix:
            return self.comment_prefix
        parts = [f"analyst={self.analyst}" if self.analyst else "", f"case={self.case_id}" if self.case_id else ""]
        text = " ".join(p for p in parts if p)
        return f"{text}: " if text else ""

    def model_dump(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class FileModel:
    default_profile: str | None = None
    ui: UiSettings = _sec(UiSettings)
    profiles: dict[str, Any] = field(default_factory=dict)


@dataclass
class Settings:
    profile: Profile
    ui: UiSettings = field(default_factory=UiSettings)
    profiles: dict[str, Profile] = field(default_factory=dict)
    demo: bool = False
    demo_reason: str = ""
    config_path: Path | None = None


def demo_profile() -> Profile:
    return Profile(
        name=DEMO_PROFILE,
        tenant_id="demo.contoso.example",
        auth="token",
        comment_prefix="analyst=demo case=WORKSHOP-1: ",
    )


# ---------------------------------------------------------------- loading


def _line_of(text: str, section: list[str], key: str | None) -> int | None:
    """Best-effort line number of ``key`` inside the TOML table ``section``."""
    lines = text.splitlines()
    header = re.compile(r"^\s*\[+\s*(.+?)\s*\]+\s*$")
    want = ".".join(section)
    current = ""
    hit_section: int | None = None
    for i, line in enumerate(lines, 1):
        m = header.match(line)
        if m:
            current = re.sub(r"\s*\.\s*", ".", m.group(1)).replace('"', "")
            if current == want and hit_section is None:
                hit_section = i
            continue
        if key and current == want and re.match(rf"^\s*\"?{re.escape(key)}\"?\s*=", line):
            return i
    return hit_section


def _format_validation(exc: SettingError, text: str, path: Path, prefix: list[str]) -> str:
    loc = [str(x) for x in prefix + exc.loc]
    key = loc[-1] if loc else None
    line = _line_of(text, loc[:-1], key) or _line_of(text, loc, None)
    where = f"{path}, line {line}" if line else str(path)
    return f"{where}: {'.'.join(loc)}: {exc.msg}."


def _refuse_secrets(data: dict[str, Any], where: list[str], text: str, path: Path) -> None:
    for k, v in data.items():
        if isinstance(v, dict):
            _refuse_secrets(v, where + [k], text, path)
        elif k.lower() in SECRET_KEYS and not (where == ["ui"] or where[:1] == ["ui"]):
            line = _line_of(text, where, k)
            dotted = ".".join(where + [k])
            raise ConfigError(
                f"{path}, line {line}: {dotted}: secrets are never read from the config file.",
                hint="Delete that line and set LRTUI_CLIENT_SECRET in the environment (or answer the prompt).",
            )


def read_file_model(path: Path) -> tuple[FileModel, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return FileModel(), ""
    except OSError as e:
        raise ConfigError(f"Cannot read the config file {path}: {e.strerror}.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(
            f"The config file {path} is not valid TOML: {e}.",
            hint="Fix that line (nothing was changed on disk), or move the file away to start fresh.",
        ) from None
    _refuse_secrets(data, [], text, path)
    try:
        return build(FileModel, data, []), text
    except SettingError as e:
        raise ConfigError(_format_validation(e, text, path, []), hint="Nothing was changed on disk.") from None


def _env_overrides() -> dict[str, Any]:
    env = os.environ
    out: dict[str, Any] = {}
    for key in (
        "tenant_id",
        "client_id",
        "auth",
        "cloud",
        "region",
        "api_url",
        "scope",
        "cert_path",
        "cert_thumbprint",
        "analyst",
        "case_id",
        "comment_prefix",
    ):
        v = env.get(f"LRTUI_{key.upper()}")
        if v:
            out[key] = v
    return out


def _env_budgets(b: dict[str, Any]) -> dict[str, Any]:
    b = dict(b)
    for key in (f.name for f in dataclasses.fields(Budgets)):
        v = os.environ.get(f"LRTUI_{key.upper()}")
        if v:
            b[key] = v
    return b


def load_settings(
    *,
    profile: str | None = None,
    demo: bool = False,
    api_url: str | None = None,
    auth: str | None = None,
    config_path: Path | None = None,
) -> Settings:
    """Build the settings for this run. Raises ``ConfigError`` naming the file, line and fix."""
    path = config_path or paths.config_file()
    fm, text = read_file_model(path)
    profiles: dict[str, Profile] = {}
    for name, raw in fm.profiles.items():
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: profiles.{name} must be a table ([profiles.{name}]).")
        try:
            profiles[name] = build(Profile, {**raw, "name": name}, [])
        except SettingError as e:
            raise ConfigError(
                _format_validation(e, text, path, ["profiles", name]), hint="Nothing was changed on disk."
            ) from None
    ui = fm.ui
    if os.environ.get("LRTUI_THEME"):
        ui = dataclasses.replace(ui, theme=os.environ["LRTUI_THEME"])

    wanted = profile or os.environ.get("LRTUI_PROFILE") or fm.default_profile
    env = _env_overrides()
    if api_url:
        env["api_url"] = api_url
    if auth:
        env["auth"] = auth

    if demo or wanted == DEMO_PROFILE:
        return Settings(
            ui=ui,
            profiles=profiles,
            profile=demo_profile(),
            demo=True,
            demo_reason="--demo was given" if demo else "the demo profile was chosen",
            config_path=path,
        )
    if wanted:
        if wanted not in profiles:
            known = ", ".join(sorted(profiles)) or "none"
            raise ConfigError(
                f"No profile named {wanted!r} in {path} (profiles: {known}).",
                hint=f"Add a [profiles.{wanted}] table, or pick one with --profile NAME.",
            )
        base = profiles[wanted]
    elif len(profiles) == 1:
        base = next(iter(profiles.values()))
    elif profiles:
        raise ConfigError(
            f"{path} has several profiles ({', '.join(sorted(profiles))}) and no default_profile.",
            hint="Pick one with --profile NAME, or set default_profile at the top of the file.",
        )
    elif env.get("api_url") or os.environ.get("LRTUI_ACCESS_TOKEN"):
        base = Profile(name="env", auth="token")
        if "auth" not in env and not os.environ.get("LRTUI_ACCESS_TOKEN") and not env.get("tenant_id"):
            pass
    else:
        return Settings(
            ui=ui,
            profiles=profiles,
            profile=demo_profile(),
            demo=True,
            demo_reason=f"no profile is configured ({path} has none)",
            config_path=path,
        )

    data = base.model_dump()
    data.update(env)
    data.pop("name")
    if "auth" not in env and os.environ.get("LRTUI_ACCESS_TOKEN") and not fm.profiles:
        data["auth"] = "token"
    data["budgets"] = _env_budgets(data["budgets"])
    try:
        prof = build(Profile, {"name": base.name, **data}, [])
    except SettingError as e:
        where = "LRTUI_" + e.loc[-1].upper() if e.loc else "environment"
        raise ConfigError(f"{where} (environment or command line): {'.'.join(e.loc)}: {e.msg}.") from None
    return Settings(ui=ui, profiles=profiles, profile=prof, demo=False, config_path=path)


# ---------------------------------------------------------------- writing (one line, nothing else touched)


def save_ui_theme(name: str, path: Path | None = None) -> Path:
    """Persist the chosen theme by editing only ``[ui] theme = ...`` (creating the file if needed)."""
    path = path or paths.config_file()
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ConfigError(f"Theme name {name!r} may only use letters, digits, '-', '_' and '.'.")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    if text:
        tomllib.loads(text)  # never rewrite a file we cannot parse
    line = f'theme = "{name}"'
    lines = text.splitlines()
    header = re.compile(r"^\s*\[(.+)\]\s*$")
    in_ui, ui_at, done = False, None, False
    for i, l in enumerate(lines):
        m = header.match(l)
        if m:
            in_ui = m.group(1).strip() == "ui"
            if in_ui:
                ui_at = i
            continue
        if in_ui and re.match(r"^\s*theme\s*=", l):
            lines[i] = line
            done = True
            break
    if not done:
        if ui_at is None:
            lines += (["", "[ui]"] if lines else ["[ui]"]) + [line]
        else:
            lines.insert(ui_at + 1, line)
    paths.ensure_dir(path.parent)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


EXAMPLE = __doc__.split("```toml\n", 1)[1].split("```", 1)[0]
