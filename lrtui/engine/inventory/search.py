"""Answering query terms over a ``MachineStore``: from its search index when it has one, else by scanning.

A scan is a few C-level passes over the lowercase key columns; a term that extends the previous query's term
filters the previous result (``candidates``) instead of the whole tenant. The index answers most queries in
about a millisecond; ``ip:`` and ``id:`` terms still scan.
"""

from __future__ import annotations

import itertools
import operator
import re
from array import array
from collections.abc import Iterable, Iterator, Sequence

from lrtui.engine.inventory.query import LINE_PREFIX, LOW_CARDINALITY, PREFIX, SEARCH_FIELDS, SUBSTRING, Term
from lrtui.engine.inventory.store import MachineStore
from lrtui.engine.search_index import FREE_VALUE_COLUMNS, SearchIndex, Selection

#: A free-text term that could be part of an IP address (v4 digits and dots, v6 hex and colons).
_IPISH = re.compile(r"^(?:[0-9.]+|[0-9a-f:]*:[0-9a-f:]*)$")


def _indices(found: Iterable[int]) -> array[int]:
    """A compact result (4 bytes an entry, not a list of int objects): full scans can match the whole tenant."""
    return array("i", found)


def scan_set(keys: list[str], distinct: set[str], term: Term, candidates: Sequence[int] | None) -> Sequence[int]:
    mode, value = term.mode, term.value
    wanted = {k for k in distinct if (value in k if mode == SUBSTRING else k.startswith(value)) != term.negate}
    if candidates is None:
        return _indices(itertools.compress(range(len(keys)), map(wanted.__contains__, keys)))
    return [i for i in candidates if keys[i] in wanted]


def scan(keys: list[str], term: Term, candidates: Sequence[int] | None) -> Sequence[int]:
    mode, value = term.mode, term.value
    if mode == LINE_PREFIX:
        mode, value = SUBSTRING, "\n" + value
    if candidates is None:
        test = operator.contains if mode == SUBSTRING else str.startswith
        hits: Iterator[bool] = map(test, keys, itertools.repeat(value))
        if term.negate:
            hits = map(operator.not_, hits)
        return _indices(itertools.compress(range(len(keys)), hits))
    if mode == SUBSTRING:
        if term.negate:
            return [i for i in candidates if value not in keys[i]]
        return [i for i in candidates if value in keys[i]]
    if term.negate:
        return [i for i in candidates if not keys[i].startswith(value)]
    return [i for i in candidates if keys[i].startswith(value)]


def scan_free(store: MachineStore, term: Term, candidates: Sequence[int] | None) -> Sequence[int]:
    """Free text matches name and tags (``all``); IPs (``ip``) only when the term could be part of one; the
    low-cardinality fields (``low``: OS, health, risk, exposure, group) by their distinct values.

    Substring search costs about a nanosecond per character scanned, so the columns stay short."""
    value, neg = term.value, term.negate
    keys, ips, low = store.keys["all"], store.keys["ip"], store.keys["low"]
    wanted = {k for k in store.distinct("low") if value in k}
    ipish = bool(_IPISH.match(value))
    if not wanted and not ipish:
        return scan(keys, term, candidates)
    if candidates is None:
        hits: Iterator[bool] = map(operator.contains, keys, itertools.repeat(value))
        if ipish:
            hits = map(operator.or_, hits, map(operator.contains, ips, itertools.repeat(value)))
        if wanted:
            hits = map(operator.or_, hits, map(wanted.__contains__, low))
        if neg:
            hits = map(operator.not_, hits)
        return _indices(itertools.compress(range(len(keys)), hits))
    return [i for i in candidates
            if ((value in keys[i]) or (ipish and value in ips[i]) or (low[i] in wanted)) != neg]  # fmt: skip


def run_terms(store: MachineStore, terms: tuple[Term, ...], candidates: Sequence[int] | None) -> Sequence[int]:
    """Indices (ascending) of the machines of ``store`` matching every term, within ``candidates`` if given."""
    if candidates is None and store.index is not None:
        found = run_indexed(store.index, terms)
        if found is not None:
            return found
    # Positive terms first (they shrink the set), field terms before free text (shorter keys).
    for term in sorted(terms, key=lambda t: (t.negate, t.field is None)):
        column = "all" if term.field is None else SEARCH_FIELDS[term.field][0]
        if column == "all":
            candidates = scan_free(store, term, candidates)
        elif column in LOW_CARDINALITY:
            candidates = scan_set(store.keys[column], store.distinct(column), term, candidates)
        else:
            candidates = scan(store.keys[column], term, candidates)
        if not candidates:
            return []
    return candidates if candidates is not None else []


def run_indexed(index: SearchIndex, terms: tuple[Term, ...]) -> Sequence[int] | None:
    """The result of ``terms`` from the index, or None when a term needs a scan (``ip:``, ``id:``, newlines)."""
    bits = index.all_bits
    for term in sorted(terms, key=lambda t: t.negate):
        found = _term_bits(index, term)
        if found is None:
            return None
        bits &= (found ^ index.all_bits) if term.negate else found
        if not bits:
            return []
    if bits == index.all_bits:
        return range(index.n)
    return Selection(bits, index.n)


def _term_bits(index: SearchIndex, term: Term) -> int | None:
    value, field = term.value, term.field
    if field is None:
        if "\n" in value:
            return None
        bits = index.text_bits(False, value)
        for column in FREE_VALUE_COLUMNS:
            bits |= index.value_bits(column, value, prefix=False)
        if _IPISH.match(value):
            bits |= index.text_bits(True, value)
        return bits
    column, mode = SEARCH_FIELDS[field]
    if column == "name":
        return None if "\n" in value else index.text_bits(False, value)
    if column in index.values:
        return index.value_bits(column, value, prefix=mode == PREFIX)
    return None
