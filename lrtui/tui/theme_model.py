"""The pydantic model of a theme file (imported only after the first frame: pydantic is not free)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from textual.theme import Theme

from lrtui.tui.themes import COLOUR_FIELDS, check_variable, parse_colour


class ThemeModel(BaseModel):
    """A theme file: ``name`` and ``primary`` are required; every colour must parse."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    primary: str
    secondary: str | None = None
    warning: str | None = None
    error: str | None = None
    success: str | None = None
    accent: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    boost: str | None = None
    dark: bool = True
    ansi: bool = False
    luminosity_spread: float = Field(default=0.15, ge=0.0, le=1.0)
    text_alpha: float = Field(default=0.95, ge=0.0, le=1.0)
    variables: dict[str, str] = Field(default_factory=dict)
    author: str | None = None
    description: str | None = None
    homepage: str | None = None

    @field_validator(*COLOUR_FIELDS)
    @classmethod
    def _colour(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else parse_colour(value, info.field_name or "colour")

    @field_validator("variables")
    @classmethod
    def _variables(cls, value: dict[str, str]) -> dict[str, str]:
        return {k: check_variable(k, v) for k, v in value.items()}

    def to_textual_theme(self) -> Theme:
        data = self.model_dump(exclude={"author", "description", "homepage"})
        return Theme(**data)
