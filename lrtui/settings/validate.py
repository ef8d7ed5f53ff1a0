"""TOML tables into typed dataclasses: unknown keys and bad values raise ``SettingError`` with their location.

Plain dataclasses with this small validator: pydantic would cost ~0.15 s before the first frame.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, Literal, get_args


class SettingError(Exception):
    """A bad setting at ``loc`` (the dotted key path); the loader turns it into a message with file and line."""

    def __init__(self, loc: list[str], msg: str, kind: str = "value") -> None:
        super().__init__(msg)
        self.loc, self.msg, self.kind = loc, msg, kind


def section(cls: type) -> Any:
    """A dataclass field holding a nested table of type ``cls`` (built from its own defaults when absent)."""
    return dataclasses.field(default_factory=cls, metadata={"section": cls})


def _number(value: Any, want: type, loc: list[str], meta: dict[str, Any]) -> int | float:
    try:
        if isinstance(value, bool):
            raise ValueError
        num: int | float = want(value)
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


def _bool(value: Any, loc: list[str]) -> bool:
    if isinstance(value, str) and value.lower() in ("1", "true", "yes", "0", "false", "no"):
        return value.lower() in ("1", "true", "yes")
    if not isinstance(value, bool):
        raise SettingError(loc, "must be true or false")
    return value


def coerce(value: Any, typ: Any, loc: list[str], meta: dict[str, Any]) -> Any:
    """``value`` checked (and converted where TOML and the environment differ) against the field type ``typ``."""
    if typing.get_origin(typ) is Literal:
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
        return _bool(value, loc)
    if typ in (int, float):
        return _number(value, typ, loc, meta)
    if typ == dict[str, str]:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise SettingError(loc, "must be a table of strings")
        return dict(value)
    return value


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
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
            build(sub, value, loc + [key]) if sub else coerce(value, hints[key], loc + [key], dict(f.metadata))
        )
    return cls(**kwargs)
