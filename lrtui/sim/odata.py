"""A small OData v4 ``$filter`` parser/evaluator and query-option handling (``$top``, ``$skip``,
``$orderby``, ``$select``, ``$count``, ``$skiptoken``), enough to mirror the MDE API.

Supported: ``eq ne gt ge lt le``, ``and or not``, parentheses, ``in (...)``, ``startswith``,
``endswith``, ``contains``, ``tolower``, ``toupper``, ``trim``, ``length``, lambdas
``coll/any(x: ...)`` / ``coll/all(x: ...)`` / ``coll/any()``, member access ``x/prop``, string literals
with doubled quotes, numbers, ``true false null``, datetime literals (``2018-08-01Z``,
``2024-06-01T08:00:00Z``, with fractions and offsets) and bare GUIDs. Errors raise :class:`ODataError`
with a message in the style of ASP.NET OData.

The code lives in :mod:`.odata_schema`, :mod:`.odata_lexer`, :mod:`.odata_terms`, :mod:`.odata_parser` and
:mod:`.odata_query`; this module re-exports their public names.
"""

from __future__ import annotations

from .odata_parser import compile_filter
from .odata_query import QueryOptions, QueryResult, make_skiptoken, parse_query_options, run_query, select_fields
from .odata_schema import ODataError, Schema

__all__ = [
    "ODataError",
    "Schema",
    "compile_filter",
    "QueryOptions",
    "parse_query_options",
    "run_query",
    # also re-exported (imported from here by the API app)
    "QueryResult",
    "make_skiptoken",
    "select_fields",
]
