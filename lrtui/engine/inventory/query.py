"""The inventory's query language: space-separated terms, all of which must match (AND).

- free text: matches name, IPs, tags, OS, health, risk, exposure and group (substring)
- ``name:x`` ``tag:x`` ``os:x`` ``group:x`` (substring), ``ip:10.1.`` (prefix of any IP), ``id:abc`` (prefix)
- ``health:x`` ``risk:x`` ``exposure:x`` ``value:x`` ``onboarding:x`` (prefix), ``health:online|offline``
- quotes group words: ``group:"tier 0 servers"``; a leading ``-`` negates a term: ``-tag:lab``
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SUBSTRING, PREFIX, LINE_PREFIX = "substring", "prefix", "line-prefix"
#: query field -> (key column, how a value matches)
SEARCH_FIELDS: dict[str, tuple[str, str]] = {
    "name": ("name", SUBSTRING),
    "tag": ("tags", SUBSTRING),
    "os": ("os", SUBSTRING),
    "group": ("group", SUBSTRING),
    "ip": ("ip", LINE_PREFIX),
    "id": ("id", PREFIX),
    "health": ("health", PREFIX),
    "risk": ("risk", PREFIX),
    "exposure": ("exposure", PREFIX),
    "value": ("value", PREFIX),
    "onboarding": ("onboarding", PREFIX),
}
#: Columns with few distinct values: a term is matched against the distinct values, then by set membership.
LOW_CARDINALITY = frozenset({"os", "group", "health", "risk", "exposure", "value", "onboarding", "low"})
_ALIASES = {"tags": "tag", "host": "name", "computer": "name", "platform": "os", "rbac": "group"}
_TOKEN = re.compile(r'(-?)(?:([A-Za-z]+):("[^"]*"?|\S*)|("[^"]*"?|\S+))')


@dataclass(frozen=True, slots=True)
class Term:
    field: str | None  #: a SEARCH_FIELDS name, or None for free text
    value: str  #: lowercase
    negate: bool = False

    @property
    def mode(self) -> str:
        return SUBSTRING if self.field is None else SEARCH_FIELDS[self.field][1]

    def narrows(self, older: Term) -> bool:
        """True when everything this term matches, ``older`` also matches (so we may filter its result)."""
        if self == older:
            return True
        if self.field != older.field or self.negate or older.negate:
            return False
        return older.value in self.value if self.mode == SUBSTRING else self.value.startswith(older.value)


def parse_query(query: str) -> tuple[Term, ...]:
    """Terms of ``query``; an unknown ``field:`` prefix is treated as free text (paths, URLs)."""
    terms: list[Term] = []
    for m in _TOKEN.finditer(query):
        neg, field, field_value, bare = m.group(1), m.group(2), m.group(3), m.group(4)
        value = (field_value if field else bare) or ""
        if value.startswith('"'):
            value = value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
        key: str | None = None
        if field:
            key = _ALIASES.get(field.lower(), field.lower())
            if key not in SEARCH_FIELDS:
                value, key = f"{field}:{value}", None
        value = value.strip().lower()
        if not value:
            continue  # "tag:" or "-" while typing: no constraint yet
        if key == "health" and value in ("online", "offline"):
            terms.append(Term("health", "active", negate=(value == "offline") != bool(neg)))
            continue
        terms.append(Term(key, value, bool(neg)))
    return tuple(terms)


def cache_key(terms: tuple[Term, ...]) -> str:
    """One string per distinct query (the search cache's key)."""
    return "\x00".join(f"{t.negate}{t.field}:{t.value}" for t in terms)
