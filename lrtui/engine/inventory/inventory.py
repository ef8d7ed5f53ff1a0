"""``Inventory``: the tenant's machines in memory, loaded page by page, with a search that keeps up with typing.

Machines arrive page by page from ``client.machines.iter_pages()`` into a ``MachineStore`` (``store.py``).
``inventory[i]`` rebuilds a ``Machine`` on demand (about 10 us, cached for the ones in use). A query
(``query.py``) that extends the previous one filters the previous result instead of the tenant (``search.py``).

Indices are stable within a ``generation`` (name order); a reload starts a new one (the TUI drops caches).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from lrtui.api.models import IpAddress, Machine
from lrtui.engine.inventory.query import Term, cache_key, parse_query
from lrtui.engine.inventory.search import run_terms
from lrtui.engine.inventory.store import (
    FIELD_INDEX,
    FIELDS,
    IP_IDX,
    TAG_IDX,
    MachineRow,
    MachineStore,
    final_store,
    ips_of,
)

if TYPE_CHECKING:  # the client (httpx) is not needed to search
    from lrtui.api.client import MdeClient

_CACHE_SIZE = 6
#: Narrowing filters the previous result in Python; past this share of the tenant a C-level rescan is faster.
_NARROW_MAX_SHARE = 0.3
#: With the index, a query costs about a millisecond; filtering the previous result is cheaper below this.
_NARROW_MAX_INDEXED = 4000
#: Machines per page when loading (the service's maximum).
LOAD_PAGE_SIZE = 10_000
#: ``on_page(loaded so far, page number)`` after each page of a load.
OnPage = Callable[[int, int], None]


class Inventory:
    """The tenant's machines (see the module docstring). No Textual here: the TUI reads it."""

    field_index: dict[str, int] = FIELD_INDEX  #: field name -> position in ``row(i)``

    def __init__(self, machines: Iterable[Machine] = ()) -> None:
        self._store = MachineStore()
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

    def row(self, index: int) -> MachineRow:
        """The raw values of machine ``index`` in ``FIELDS`` order (read-only; for fast list rendering)."""
        return self._store.rows[index]

    def field(self, index: int, name: str) -> Any:
        """One raw field of machine ``index`` without building a ``Machine`` (for list rendering)."""
        return self._store.rows[index][FIELD_INDEX[name]]

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
        self._publish(MachineStore())
        self.loaded = False

    def add(self, machines: Iterable[Machine]) -> None:
        """Add (or update) machines, keeping name order."""
        store = self._store.copy()
        store.extend(machines)
        self._publish(final_store(store))

    def replace(self, machines: Iterable[Machine]) -> None:
        store = MachineStore()
        store.extend(machines)
        self._publish(final_store(store))

    def _publish(self, store: MachineStore) -> None:
        self._store = store
        self.generation += 1
        self._built.clear()
        self._cache.clear()
        self._last = None

    def _build(self, row: MachineRow) -> Machine:
        values = dict(zip(FIELDS, row, strict=False))
        values["ip_addresses"] = [
            self._ip_template.model_copy(
                update=dict(zip(("ip_address", "mac_address", "type", "operational_status"), ip, strict=False))
            )
            for ip in ips_of(row[IP_IDX])
        ]
        values["machine_tags"] = list(row[TAG_IDX])
        return self._template.model_copy(update=values)

    # ------------------------------------------------------------ loading

    async def load(
        self,
        client: MdeClient,
        *,
        on_page: OnPage | None = None,
        page_size: int = LOAD_PAGE_SIZE,
    ) -> int:
        """Fetch every machine page by page; returns the count.

        ``on_page(loaded, page_no)`` after each page. On the first load the list grows page by page; a refresh
        keeps the old list until the new one is complete.
        """
        initial = len(self._store) == 0
        staging = MachineStore()
        self.loading = True
        page_no = 0
        try:
            async for page in client.machines.iter_pages(page_size=page_size):
                page_no += 1
                staging.extend(page)
                if initial:
                    self._publish(staging)
                if on_page is not None:
                    on_page(len(staging), page_no)
                await asyncio.sleep(0)
            final = await asyncio.to_thread(final_store, staging) if len(staging) > 5000 else final_store(staging)
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
        key = cache_key(terms)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            self._last = (terms, hit)
            return hit
        result = range(len(self._store)) if not terms else run_terms(self._store, terms, self._narrowing_base(terms))
        self._cache[key] = result
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        self._last = (terms, result)
        return result

    def _narrowing_base(self, terms: tuple[Term, ...]) -> Sequence[int] | None:
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
        if all(new.narrows(old) for new, old in zip(terms, old_terms, strict=False)):
            return old_result
        return None
