"""A small OData v4 ``$filter`` parser/evaluator and query-option handling (``$top``, ``$skip``,
``$orderby``, ``$select``, ``$count``, ``$skiptoken``), enough to mirror the MDE API.

Supported: ``eq ne gt ge lt le``, ``and or not``, parentheses, ``in (...)``, ``startswith``,
``endswith``, ``contains``, ``tolower``, ``toupper``, ``trim``, ``length``, lambdas
``coll/any(x: ...)`` / ``coll/all(x: ...)`` / ``coll/any()``, member access ``x/prop``, string literals
with doubled quotes, numbers, ``true false null``, datetime literals (``2018-08-01Z``,
``2024-06-01T08:00:00Z``, with fractions and offsets) and bare GUIDs. Property names match without regard
to case (``Status``, ``CreationDateTimeUtc``), as the service's samples write them. Errors raise
:class:`ODataError` with a message in the style of ASP.NET OData.

Modules: ``schema`` (:class:`Schema`, :class:`ODataError`), ``lexer`` (tokens and the cursor), ``nodes``
(compiled nodes), ``terms`` (literals, functions, paths, lambdas), ``parser`` (the boolean grammar,
:func:`compile_filter`), ``options`` (query options, skip tokens), ``query`` (:func:`run_query`).
"""

from __future__ import annotations

from .options import QueryOptions, make_skiptoken, parse_query_options
from .parser import compile_filter
from .query import QueryResult, run_query, select_fields
from .schema import ODataError, Schema

__all__ = [
    "ODataError",
    "QueryOptions",
    "QueryResult",
    "Schema",
    "compile_filter",
    "make_skiptoken",
    "parse_query_options",
    "run_query",
    "select_fields",
]
