"""What an OData query runs against: :class:`Schema` (field names and types, which are filterable),
:class:`ODataError`, and the Edm names of our field types (for error messages)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EDM_NAMES", "ODataError", "Schema", "edm", "get_key"]


class ODataError(Exception):
    """A malformed or unsupported query; ``str(e)`` is the message for the 400 body."""


def get_key(entity: Any, name: str) -> Any:
    """The default field getter: ``entity[name]`` for a dict entity, ``None`` when missing."""
    return entity.get(name)


@dataclass
class Schema:
    """``fields`` maps the wire name to a type: str, int, float, bool, datetime, list, object."""

    type_name: str
    fields: dict[str, str]
    filterable: set[str] | None = None  # None: every field
    strict: bool = True
    getter: Callable[[Any, str], Any] = field(default=get_key)

    def check_filterable(self, name: str) -> None:
        if name not in self.fields:
            raise ODataError(f"Could not find a property named '{name}' on type '{self.type_name}'.")
        if self.strict and self.filterable is not None and name not in self.filterable:
            raise ODataError(f"The property '{name}' cannot be used in the $filter query option.")


EDM_NAMES = {
    "str": "Edm.String",
    "int": "Edm.Int64",
    "float": "Edm.Double",
    "bool": "Edm.Boolean",
    "datetime": "Edm.DateTimeOffset",
    "list": "Collection(Edm.String)",
    "object": "Edm.ComplexType",
    "null": "null",
    "any": "Edm.Untyped",
}


def edm(typ: str) -> str:
    """The Edm name of one of our field types (the type itself when unknown)."""
    return EDM_NAMES.get(typ, typ)
