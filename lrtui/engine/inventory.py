"""The tenant's machines in memory, with a search that keeps up with typing over 100,000 of them.

Machines arrive page by page from ``client.iter_machine_pages()``. They are kept *compact*: one tuple of
field values per machine (low-cardinality strings interned) rather than 100,000 pydantic objects, which would
cost about 5 KB each. ``inventory[i]`` rebuilds a ``Machine`` on demand (about 10 us, cached for the ones
in use); the few fields nothing in lrtui uses are not kept (``DROPPED_FIELDS``). Each machine also gets precomputed lowercase search keys, one per searchable field, so a query is a
few C-level scans; a query that extends the previous one filters the previous result instead of the tenant.
Once a load completes, the final store also gets a search index (``search_index.py``: bitmaps per distinct
value and per 1-3 character piece of names and IPs, built in the loading thread), which answers most queries
in about a millisecond without scanning; ``ip:`` and ``id:`` terms still scan.

Indices are stable within a ``generation`` (name order); a reload starts a new one (the TUI drops caches).

Query language (``search``): space-separated terms, all of which must match (AND):

- free text: matches name, IPs, tags, OS, health, risk, exposure and group (substring)
- ``name:x`` ``tag:x`` ``os:x`` ``group:x`` (substring), ``ip:10.1.`` (prefix of any IP), ``id:abc`` (prefix)
- ``health:x`` ``risk:x`` ``exposure:x`` ``value:x`` ``onboarding:x`` (prefix), ``health:online|offline``
- quotes group words: ``group:"tier 0 servers"``; a leading ``-`` negates a term: ``-tag:lab``
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import operator
import re
import sys
from array import array
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from lrtui.api.models import IpAddress, Machine, os_family
from lrtui.engine.search_index import FREE_VALUE_COLUMNS, SearchIndex, Selection

FIELDS: tuple[str, ...] = tuple(Machine.model_fields)
_F = {name: i for i, name in enumerate(FIELDS)}
_INTERNED = (
    "os_platform", "os_version", "os_processor", "os_architecture", "version", "agent_version", "health_status",
    "onboarding_status", "risk_score", "exposure_level", "device_value", "rbac_group_name", "defender_av_status",
    "managed_by", "managed_by_status",
)  # fmt: skip
_INTERN_IDX = tuple(_F[n] for n in _INTERNED)
_IP_IDX = _F["ip_addresses"]
_TAG_IDX = _F["machine_tags"]
_NAME_IDX = _F["computer_dns_name"]
_IP_FIELDS = (_F["last_ip_address"], _F["last_external_ip_address"])
_UNINTERESTING_IPS = ("127.", "::1", "fe80:", "169.254.")
#: Fields not kept (a rebuilt ``Machine`` has them at their defaults): nothing in lrtui shows or uses them.
DROPPED_FIELDS = ("aad_device_id", "merged_into_machine_id", "exclusion_reason", "vm_metadata", "os_processor",
                  "managed_by_status")  # fmt: skip
_DROPPED_IDX = tuple(_F[n] for n in DROPPED_FIELDS)
#: A free-text term that could be part of an IP address (v4 digits and dots, v6 hex and colons).
_IPISH = re.compile(r"^(?:[0-9.]+|[0-9a-f:]*:[0-9a-f:]*)$")

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
_KEY_COLUMNS = (
    "all",
    "low",
    "name",
    "tags",
    "os",
    "group",
    "ip",
    "id",
    "health",
    "risk",
    "exposure",
    "value",
    "onboarding",
)
_ALIASES = {"tags": "tag", "host": "name", "computer": "name", "platform": "os", "rbac": "group"}
_TOKEN = re.compile(r'(-?)(?:([A-Za-z]+):("[^"]*"?|\S*)|("[^"]*"?|\S+))')
_CACHE_SIZE = 6
#: Narrowing filters the previous result in Python; past this share of the tenant a C-level rescan is faster.
_NARROW_MAX_SHARE = 0.3
#: With the index, a query costs about a millisecond; filtering the previous result is cheaper below this.
_NARROW_MAX_INDEXED = 4000


class MachinePager(Protocol):
    def iter_machine_pages(self, **kw: Any) -> AsyncIterator[list[Machine]]: ...


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


def _intern(value: Any) -> Any:
    return sys.intern(value) if isinstance(value, str) else value


def _lower(value: Any) -> str:
    return sys.intern(str(value).lower()) if value is not None else ""


def _lower_same(value: str) -> str:
    """``value.lower()``, reusing ``value`` itself when it is already lowercase (saves a copy)."""
    low = value.lower()
    return value if low == value else low


def _keys_of(row: tuple[Any, ...]) -> dict[str, str]:
    g = row.__getitem__
    name = _lower_same(g(_NAME_IDX) or g(0))
    ips = [ip[0] for ip in _ips_of(g(_IP_IDX)) if ip[0] and not ip[0].startswith(_UNINTERESTING_IPS)]
    for extra in (g(_F["last_ip_address"]), g(_F["last_external_ip_address"])):
        if extra and extra not in ips:
            ips.append(extra)
    platform = g(_F["os_platform"]) or ""
    os_key = sys.intern(f"{platform} {os_family(platform)} {g(_F['version']) or ''}".lower())
    tags = "\n".join(g(_TAG_IDX)).lower()
    group = _lower(g(_F["rbac_group_name"]))
    health, risk, exposure = (
        _lower(g(_F["health_status"])),
        _lower(g(_F["risk_score"])),
        _lower(g(_F["exposure_level"])),
    )
    ip_key = "\n" + "\n".join(ips).lower() if ips else ""
    return {
        "all": f"{name}\n{tags}" if tags else name,  # free text also matches "ip" and "low" (see _scan_free)
        "low": sys.intern("\n".join((os_key, health, risk, exposure, group))),
        "name": name,
        "tags": tags,
        "os": os_key,
        "group": group,
        "ip": ip_key,
        "id": _lower_same(str(g(0))),
        "health": health,
        "risk": risk,
        "exposure": exposure,
        "value": _lower(g(_F["device_value"])),
        "onboarding": _lower(g(_F["onboarding_status"])),
    }


def _row_of(m: Machine) -> tuple[Any, ...]:
    d = m.__dict__
    values = [d.get(name) for name in FIELDS]
    for i in _INTERN_IDX:
        values[i] = _intern(values[i])
    # IP entries as one string ("ip\tmac\ttype\tstatus" lines): a tuple per IP costs ~200 bytes.
    values[_IP_IDX] = "\n".join(
        "\t".join(x or "" for x in (ip.ip_address, ip.mac_address, ip.type, ip.operational_status))
        for ip in (m.ip_addresses or ())
    )
    for i in _IP_FIELDS:
        values[i] = _intern(values[i])  # the same address often appears twice
    values[_TAG_IDX] = tuple(_intern(t) for t in (m.machine_tags or ()))
    for i in _DROPPED_IDX:  # not shown or used by lrtui; unique strings such as the Entra device id add up
        values[i] = None
    return tuple(values)


def _ips_of(packed: str) -> list[tuple[str | None, ...]]:
    return [tuple(x or None for x in line.split("\t")) for line in packed.split("\n")] if packed else []


class _Store:
    """Column store: ``rows`` (one tuple per machine) plus lowercase search keys per column."""

    __slots__ = ("_distinct", "by_id", "index", "keys", "names", "rows")

    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []
        self.names: list[str] = []  #: display names (the UI cleans them)
        self.keys: dict[str, list[str]] = {k: [] for k in _KEY_COLUMNS}
        self.by_id: dict[str, int] = {}
        self._distinct: dict[str, tuple[int, set[str]]] = {}
        self.index: SearchIndex | None = None  #: built once the store is final (``with_index``)

    def __len__(self) -> int:
        return len(self.rows)

    def distinct(self, column: str) -> set[str]:
        """The distinct keys of a low-cardinality column (cached while the store does not change size)."""
        cached = self._distinct.get(column)
        if cached is None or cached[0] != len(self.rows):
            cached = (len(self.rows), set(self.keys[column]))
            self._distinct[column] = cached
        return cached[1]

    def extend(self, machines: Iterable[Machine]) -> None:
        for m in machines:
            self.append(m)

    def append(self, m: Machine) -> None:
        row = _row_of(m)
        keys = _keys_of(row)
        index = self.by_id.get(m.id)
        if index is not None:  # the service repeated a machine across pages: keep the newest
            self.rows[index] = row
            self.names[index] = row[_NAME_IDX] or row[0]
            for name, value in keys.items():
                self.keys[name][index] = value
            self._distinct.clear()
            return
        self.by_id[m.id] = len(self.rows)
        self.rows.append(row)
        self.names.append(row[_NAME_IDX] or row[0])
        for name, value in keys.items():
            self.keys[name].append(value)

    def sorted_by_name(self) -> _Store:
        """A copy ordered by name (case-insensitive), then id. Pure: safe to run in a thread."""
        order = sorted(range(len(self.rows)), key=lambda i: (self.keys["name"][i], self.rows[i][0]))
        new = _Store()
        new.rows = [self.rows[i] for i in order]
        new.names = [self.names[i] for i in order]
        # Fresh copies in the new order: scans then walk memory sequentially (a permuted list of strings
        # scattered over the heap is about three times slower to scan, from cache misses alone).
        new.keys = {k: [_fresh(col[i]) for i in order] if k in _SCANNED else [col[i] for i in order]
                    for k, col in self.keys.items()}  # fmt: skip
        new.by_id = {row[0]: i for i, row in enumerate(new.rows)}
        return new

    def with_index(self) -> _Store:
        """This store with its search index built (pure: safe in a thread; the store must not change after)."""
        self.index = SearchIndex(self.keys, len(self.rows))
        return self


#: Columns copied fresh by ``sorted_by_name`` for scan locality. Not ``name`` and ``id``: those keys are
#: usually the very strings of the row (already lowercase), and the index spares most scans of ``name``.
_SCANNED = frozenset({"all", "ip", "tags"})


def _fresh(value: str) -> str:
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass") if value else value


def _scan_set(keys: list[str], distinct: set[str], term: Term, candidates: list[int] | None) -> list[int]:
    mode, value = term.mode, term.value
    wanted = {k for k in distinct if (value in k if mode == SUBSTRING else k.startswith(value)) != term.negate}
    if candidates is None:
        return _indices(itertools.compress(range(len(keys)), map(wanted.__contains__, keys)))
    return [i for i in candidates if keys[i] in wanted]


def _scan(keys: list[str], term: Term, candidates: list[int] | None) -> list[int]:
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


def _scan_free(store: _Store, term: Term, candidates: list[int] | None) -> Sequence[int]:
    """Free text matches name and tags (``all``); IPs (``ip``) only when the term could be part of one; the
    low-cardinality fields (``low``: OS, health, risk, exposure, group) by their distinct values.

    Substring search costs about a nanosecond per character scanned, so the columns stay short."""
    value, neg = term.value, term.negate
    keys, ips, low = store.keys["all"], store.keys["ip"], store.keys["low"]
    wanted = {k for k in store.distinct("low") if value in k}
    ipish = bool(_IPISH.match(value))
    if not wanted and not ipish:
        return _scan(keys, term, candidates)
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


def _indices(found: Iterable[int]) -> array[int]:
    """A compact result (4 bytes an entry, not a list of int objects): full scans can match the whole tenant."""
    return array("i", found)


def _arity(fn: Callable[..., Any] | None) -> int:
    if fn is None:
        return 0
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return 2
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return 2
    return sum(1 for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


class Inventory:
    """The tenant's machines (see the module docstring). No Textual here: the TUI reads it."""

    field_index: dict[str, int] = _F  #: field name -> position in ``row(i)``

    def __init__(self, machines: Iterable[Machine] = ()) -> None:
        self._store = _Store()
        self.generation = 0  #: bumps whenever the contents change
        self.loading = False
        self.loaded = False  #: a full load has completed at least once
        self._built: OrderedDict[int, Machine] = OrderedDict()
        self._cache: OrderedDict[str, Sequence[int]] = OrderedDict()
        self._last: tuple[tuple[Term, ...], Sequence[int]] | None = None
        self._template = Machine(id="")
        self._ip_template = IpAddress()
        if machines:
            self.replace(machines)

    @property
    def complete(self) -> bool:
        """Alias of ``loaded``."""
        return self.loaded

    # ------------------------------------------------------------ contents

    def __len__(self) -> int:
        return len(self._store)

    def __getitem__(self, index: int) -> Machine:
        machine = self._built.get(index)
        if machine is None:
            machine = self._build(self._store.rows[index])
            self._built[index] = machine
            if len(self._built) > 512:
                self._built.popitem(last=False)
        return machine

    def __iter__(self) -> Iterator[Machine]:
        return (self[i] for i in range(len(self)))

    def name(self, index: int) -> str:
        return self._store.names[index]

    def row(self, index: int) -> tuple[Any, ...]:
        """The raw values of machine ``index`` in ``FIELDS`` order (read-only; for fast list rendering)."""
        return self._store.rows[index]

    def field(self, index: int, name: str) -> Any:
        """One raw field of machine ``index`` without building a ``Machine`` (for list rendering)."""
        return self._store.rows[index][_F[name]]

    def index_of(self, machine_id: str) -> int | None:
        return self._store.by_id.get(machine_id)

    def get(self, machine_id: str) -> Machine | None:
        i = self.index_of(machine_id)
        return None if i is None else self[i]

    by_id = get

    def find(self, ref: str) -> Machine | None:
        """A machine by id or DNS name (full or short, case-insensitive)."""
        m = self.get(ref)
        if m is not None:
            return m
        low = ref.lower()
        for i, name in enumerate(self._store.keys["name"]):
            if name == low or name.split(".", 1)[0] == low:
                return self[i]
        return None

    def clear(self) -> None:
        self._publish(_Store())
        self.loaded = False

    def add(self, machines: Iterable[Machine]) -> None:
        """Add (or update) machines, keeping name order."""
        store = _Store()
        store.rows, store.names = list(self._store.rows), list(self._store.names)
        store.keys = {k: list(v) for k, v in self._store.keys.items()}
        store.by_id = dict(self._store.by_id)
        store.extend(machines)
        self._publish(_final_store(store))

    def replace(self, machines: Iterable[Machine]) -> None:
        store = _Store()
        store.extend(machines)
        self._publish(_final_store(store))

    def _publish(self, store: _Store) -> None:
        self._store = store
        self.generation += 1
        self._built.clear()
        self._cache.clear()
        self._last = None

    def _build(self, row: tuple[Any, ...]) -> Machine:
        values = dict(zip(FIELDS, row))
        values["ip_addresses"] = [
            self._ip_template.model_copy(
                update=dict(zip(("ip_address", "mac_address", "type", "operational_status"), ip))
            )
            for ip in _ips_of(row[_IP_IDX])
        ]
        values["machine_tags"] = list(row[_TAG_IDX])
        return self._template.model_copy(update=values)

    # ------------------------------------------------------------ loading

    async def load(self, client: MachinePager, *, on_page: Callable[..., None] | None = None, **kw: Any) -> int:
        """Fetch every machine page by page (``kw`` goes to ``iter_machine_pages``); returns the count.

        ``on_page(loaded, page_no)`` (or ``on_page(loaded)``) after each page. On the first load the list
        grows page by page; a refresh keeps the old list until the new one is complete.
        """
        n_args = _arity(on_page)
        initial = len(self._store) == 0
        staging = _Store()
        self.loading = True
        page_no = 0
        try:
            async for page in client.iter_machine_pages(**kw):
                page_no += 1
                staging.extend(page)
                if initial:
                    self._publish(staging)
                if on_page is not None:
                    on_page(len(staging), page_no) if n_args >= 2 else on_page(len(staging))
                await asyncio.sleep(0)
            final = await asyncio.to_thread(_final_store, staging) if len(staging) > 5000 else _final_store(staging)
            self._publish(final)
            self.loaded = True
            return len(final)
        finally:
            self.loading = False

    # ------------------------------------------------------------ search

    def search(self, query: str) -> Sequence[int]:
        """Indices of the machines matching ``query``, ascending (= name order): a list, an ``array('i')``, a
        ``range`` or a ``Selection`` (read-only; index, slice, ``len``, ``in`` and ``bisect`` work on all)."""
        terms = parse_query(query)
        key = "\x00".join(f"{t.negate}{t.field}:{t.value}" for t in terms)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            self._last = (terms, hit)
            return hit
        result = range(len(self._store)) if not terms else self._run(terms, self._narrowing_base(terms))
        self._cache[key] = result
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        self._last = (terms, result)
        return result

    def _narrowing_base(self, terms: tuple[Term, ...]) -> list[int] | None:
        """The previous result when every previous term is narrowed by a term at the same place."""
        if self._last is None:
            return None
        old_terms, old_result = self._last
        if not old_terms or len(terms) < len(old_terms):
            return None
        if len(old_result) > _NARROW_MAX_SHARE * len(self._store):
            return None
        if self._store.index is not None and len(old_result) > _NARROW_MAX_INDEXED:
            return None
        if all(new.narrows(old) for new, old in zip(terms, old_terms)):
            return old_result  # type: ignore[return-value]
        return None

    def _run(self, terms: tuple[Term, ...], candidates: list[int] | None) -> Sequence[int]:
        store = self._store
        if candidates is None and store.index is not None:
            found = _run_indexed(store.index, terms)
            if found is not None:
                return found
        # Positive terms first (they shrink the set), field terms before free text (shorter keys).
        for term in sorted(terms, key=lambda t: (t.negate, t.field is None)):
            column = "all" if term.field is None else SEARCH_FIELDS[term.field][0]
            if column == "all":
                candidates = _scan_free(store, term, candidates)
            elif column in LOW_CARDINALITY:
                candidates = _scan_set(store.keys[column], store.distinct(column), term, candidates)
            else:
                candidates = _scan(store.keys[column], term, candidates)
            if not candidates:
                return []
        return candidates if candidates is not None else []


def _final_store(staging: _Store) -> _Store:
    """``staging`` in name order, with its search index (pure: runs in a thread for big tenants)."""
    return staging.sorted_by_name().with_index()


def _run_indexed(index: SearchIndex, terms: tuple[Term, ...]) -> Sequence[int] | None:
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
