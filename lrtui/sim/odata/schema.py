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
    _by_lower: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_lower = {k.lower(): k for k in self.fields}

    def resolve(self, name: str) -> str:
        """The wire name of property ``name``, matched without regard to case (the service's samples write
        ``Status``, ``MachineId``, ``CreationDateTimeUtc``); 400 ODataError when there is no such property."""
        if name in self.fields:
            return name
        wire = self._by_lower.get(name.lower())
        if wire is None:
            raise ODataError(f"Could not find a property named '{name}' on type '{self.type_name}'.")
        return wire

    def check_filterable(self, name: str) -> str:
        """The wire name of ``name`` when it may be used in ``$filter`` (else 400 ODataError)."""
        wire = self.resolve(name)
        if self.strict and self.filterable is not None and wire not in self.filterable:
            raise ODataError(f"The property '{name}' cannot be used in the $filter query option.")
        return wire


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
