"""A theme file's schema, checked in plain Python: ``theme_from_data(data) -> Theme`` or ``ValueError``.

No pydantic here: it cost ~80 ms to import and build the model on the app's start path, for a file of a few
dozen lines. The rules are the file format's: ``name`` and ``primary`` are required, no unknown keys, every
colour must parse (``textual.color.Color.parse``), ``luminosity_spread`` and ``text_alpha`` are 0..1. Every
problem is reported, as ``field: message`` joined by "; ", in one ``ValueError``.
"""

from __future__ import annotations

import math
import re
from typing import Any

from textual.color import Color
from textual.theme import Theme

COLOUR_FIELDS = (
    "primary", "secondary", "warning", "error", "success", "accent", "foreground", "background", "surface",
    "panel", "boost",
)  # fmt: skip
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
MAX_NAME = 64
BOOL_FIELDS = ("dark", "ansi")
FRACTION_FIELDS = ("luminosity_spread", "text_alpha")
TEXT_FIELDS = ("author", "description", "homepage")  #: allowed, shown nowhere, not passed to Textual
KNOWN = frozenset(("name", *COLOUR_FIELDS, *BOOL_FIELDS, *FRACTION_FIELDS, "variables", *TEXT_FIELDS))


def parse_colour(value: str, where: str) -> str:
    """``value`` if Textual can parse it as a colour, else ``ValueError`` naming ``where``."""
    try:
        Color.parse(value)
    except Exception:
        raise ValueError(f"{where} = {value!r} is not a colour (use #rrggbb, rgb(...), a name or ansi_*)") from None
    return value


def check_variable(name: str, value: object) -> str:
    """Theme variables are CSS values: colours (optionally with an alpha %), or text styles."""
    if not isinstance(value, str):
        raise ValueError(f"variables.{name} must be a string")
    if name.endswith("text-style") or name.endswith("-style"):
        return value
    head = value.split()[0] if value.split() else value
    parse_colour(head, f"variables.{name}")
    return value


def _name(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("a theme needs a name (a string)")
    if not 1 <= len(value) <= MAX_NAME or NAME.fullmatch(value) is None:
        raise ValueError(
            f"{value[:80]!r} is not a theme name: 1 to {MAX_NAME} letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return value


def _colour(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a colour string (#rrggbb, rgb(...), a name or ansi_*)")
    return parse_colour(value, key)


def _fraction(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ValueError("must be a number from 0 to 1")
    if math.isnan(value):
        raise ValueError("must be a number from 0 to 1")
    return float(value)


def _variables(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError("must be a table of CSS variables (name = value)")
    return {str(k): check_variable(str(k), v) for k, v in value.items()}


def _field(key: str, value: object) -> object:
    """The checked value of one known key (``ValueError`` with what is wrong)."""
    if key == "name":
        return _name(value)
    if key in COLOUR_FIELDS:
        return _colour(key, value)
    if key in BOOL_FIELDS:
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if key in FRACTION_FIELDS:
        return _fraction(value)
    if key == "variables":
        return _variables(value)
    if not isinstance(value, str):  # TEXT_FIELDS
        raise ValueError("must be a string")
    return value


def theme_from_data(data: dict[str, Any]) -> Theme:
    """The Textual ``Theme`` of a theme file's TOML ``data``; ``ValueError`` naming every problem."""
    problems: list[str] = []
    kwargs: dict[str, Any] = {}
    for key in ("name", "primary"):
        if key not in data:
            problems.append(f"{key}: Field required")
    for key, value in data.items():
        if key not in KNOWN:
            problems.append(f"{str(key)[:80]}: Extra inputs are not permitted")
            continue
        try:
            checked = _field(key, value)
        except ValueError as exc:
            message = str(exc)
            problems.append(message if message.startswith(("variables.", key)) else f"{key}: {message}")
            continue
        if key not in TEXT_FIELDS:
            kwargs[key] = checked
    if problems:
        raise ValueError("; ".join(problems))
    return Theme(**kwargs)
