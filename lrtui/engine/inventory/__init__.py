"""The tenant's machines in memory (``Inventory``) and the query language its search speaks.

- ``query.py``: the query language (``parse_query``, ``Term``);
- ``store.py``: the compact column store (``MachineStore``, ``FIELDS``, ``DROPPED_FIELDS``);
- ``search.py``: answering terms from the search index or by scanning;
- ``inventory.py``: ``Inventory`` (contents, page-by-page loading, the search cache).
"""

from __future__ import annotations

from lrtui.engine.inventory.inventory import Inventory, OnPage
from lrtui.engine.inventory.query import SEARCH_FIELDS, Term, parse_query
from lrtui.engine.inventory.store import DROPPED_FIELDS, FIELDS, MachineRow

__all__ = ["DROPPED_FIELDS", "FIELDS", "SEARCH_FIELDS", "Inventory", "MachineRow", "OnPage", "Term", "parse_query"]
