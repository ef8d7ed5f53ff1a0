"""What an OData query runs against: :class:`Schema` (field names and types, which are filterable),
:class:`ODataError`, and the Edm names of our field types (for error messages)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ODataError", "Schema"]


class ODataError(Exception):
    """A malformed or unsupported query; ``str(e)`` is the message for the 400 body."""


@dataclass
class Schema:
    """``fields`` maps the wire name to a type: str, int, float, bool, datetime, list, object."""

    type_name: str
    fields: dict[str, str]
    filterable: set[str] | None = None  # None: every field
    strict: bool = True
    getter: Callable[[Any, str], Any] = field(default=lambda e, n: e.get(n))

    def check_filterable(self, name: str) -> None:
        if name not in self.fields:
            raise ODataError(f"Could not find a property named '{name}' on type '{self.type_name}'.")
        if self.strict and self.filterable is not None and name not in self.filterable:
            raise ODataError(f"The property '{name}' cannot be used in the $filter query option.")


_EDM = {
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
