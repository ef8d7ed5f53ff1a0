"""The inventory's column store: one compact tuple per machine plus lowercase search keys per column.

100,000 pydantic objects would cost about 5 KB each, so a machine is kept as one tuple of field values
(low-cardinality strings interned, identical tag lists shared); the few fields nothing in lrtui uses are not
in the tuple at all (``DROPPED_FIELDS``: a rebuilt ``Machine`` has them at their defaults).
Each machine also gets precomputed lowercase search keys, one per searchable field, so a query is a few
C-level scans. Once a load completes, the final store also gets a search index (``lrtui.engine.search_index``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from lrtui.api.models import Machine, os_family
from lrtui.engine.search_index import SearchIndex

#: A machine's raw field values in ``FIELDS`` order (heterogeneous by design: strings, datetimes, tuples).
MachineRow = tuple[Any, ...]

#: Fields not kept (a rebuilt ``Machine`` has them at their defaults): nothing in lrtui shows or uses them.
DROPPED_FIELDS = ("aad_device_id", "merged_into_machine_id", "exclusion_reason", "vm_metadata", "os_processor",
                  "managed_by_status")  # fmt: skip
#: The fields a row holds, in this order.
FIELDS: tuple[str, ...] = tuple(name for name in Machine.model_fields if name not in DROPPED_FIELDS)
FIELD_INDEX: dict[str, int] = {name: i for i, name in enumerate(FIELDS)}
_F = FIELD_INDEX
_INTERNED = (
    "os_platform", "os_version", "os_architecture", "version", "agent_version", "health_status",
    "onboarding_status", "risk_score", "exposure_level", "device_value", "rbac_group_id", "rbac_group_name",
    "defender_av_status", "managed_by",
)  # fmt: skip
_INTERN_IDX = tuple(_F[n] for n in _INTERNED)
IP_IDX = _F["ip_addresses"]
TAG_IDX = _F["machine_tags"]
NAME_IDX = _F["computer_dns_name"]
_IP_FIELDS = (_F["last_ip_address"], _F["last_external_ip_address"])
_UNINTERESTING_IPS = ("127.", "::1", "fe80:", "169.254.")
KEY_COLUMNS = (
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
#: Columns copied fresh by ``sorted_by_name`` for scan locality. Not ``name`` and ``id``: those keys are
#: usually the very strings of the row (already lowercase), and the index spares most scans of ``name``.
_SCANNED = frozenset({"all", "ip", "tags"})


def _intern(value: Any) -> Any:
    return sys.intern(value) if isinstance(value, str) else value


def _lower(value: Any) -> str:
    return sys.intern(str(value).lower()) if value is not None else ""


def _lower_same(value: str) -> str:
    """``value.lower()``, reusing ``value`` itself when it is already lowercase (saves a copy)."""
    low = value.lower()
    return value if low == value else low


def ips_of(packed: str) -> list[tuple[str | None, ...]]:
    """The IP entries packed by ``row_of``: (ip, mac, type, status) each."""
    return [tuple(x or None for x in line.split("\t")) for line in packed.split("\n")] if packed else []


def keys_of(row: MachineRow) -> dict[str, str]:
    """The lowercase search key of each column in ``KEY_COLUMNS`` for one machine."""
    g = row.__getitem__
    name = _lower_same(g(NAME_IDX) or g(0))
    ips = [ip[0] for ip in ips_of(g(IP_IDX)) if ip[0] and not ip[0].startswith(_UNINTERESTING_IPS)]
    for extra in (g(_F["last_ip_address"]), g(_F["last_external_ip_address"])):
        if extra and extra not in ips:
            ips.append(extra)
    platform = g(_F["os_platform"]) or ""
    os_key = sys.intern(f"{platform} {os_family(platform)} {g(_F['version']) or ''}".lower())
    tags = "\n".join(g(TAG_IDX)).lower()
    group = _lower(g(_F["rbac_group_name"]))
    health, risk, exposure = (
        _lower(g(_F["health_status"])),
        _lower(g(_F["risk_score"])),
        _lower(g(_F["exposure_level"])),
    )
    ip_key = "\n" + "\n".join(ips).lower() if ips else ""
    return {
        "all": f"{name}\n{tags}" if tags else name,  # free text also matches "ip" and "low" (see scan_free)
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


def row_of(m: Machine, tag_sets: dict[tuple[str, ...], tuple[str, ...]] | None = None) -> MachineRow:
    """The compact row of one machine; ``tag_sets`` shares one tuple among machines with the same tags."""
    d = m.__dict__
    values = [d.get(name) for name in FIELDS]
    for i in _INTERN_IDX:
        values[i] = _intern(values[i])
    # IP entries as one string ("ip\tmac\ttype\tstatus" lines): a tuple per IP costs ~200 bytes.
    values[IP_IDX] = "\n".join(
        "\t".join(x or "" for x in (ip.ip_address, ip.mac_address, ip.type, ip.operational_status))
        for ip in (m.ip_addresses or ())
    )
    for i in _IP_FIELDS:
        values[i] = _intern(values[i])  # the same address often appears twice
    tags = tuple(_intern(t) for t in (m.machine_tags or ()))
    values[TAG_IDX] = tags if tag_sets is None else tag_sets.setdefault(tags, tags)
    return tuple(values)


def _fresh(value: str) -> str:
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass") if value else value


class MachineStore:
    """Column store: ``rows`` (one tuple per machine) plus lowercase search keys per column."""

    __slots__ = ("_distinct", "_tag_sets", "by_id", "index", "keys", "names", "rows")

    def __init__(self) -> None:
        self.rows: list[MachineRow] = []
        self.names: list[str] = []  #: display names (the UI cleans them)
        self.keys: dict[str, list[str]] = {k: [] for k in KEY_COLUMNS}
        self.by_id: dict[str, int] = {}
        self._distinct: dict[str, tuple[int, set[str]]] = {}
        self._tag_sets: dict[tuple[str, ...], tuple[str, ...]] = {}  #: one tuple per distinct list of tags
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

    def copy(self) -> MachineStore:
        """A store with the same contents that can be extended without touching this one (no index)."""
        new = MachineStore()
        new.rows, new.names = list(self.rows), list(self.names)
        new.keys = {k: list(v) for k, v in self.keys.items()}
        new.by_id = dict(self.by_id)
        new._tag_sets = dict(self._tag_sets)
        return new

    def extend(self, machines: Iterable[Machine]) -> None:
        for m in machines:
            self.append(m)

    def append(self, m: Machine) -> None:
        row = row_of(m, self._tag_sets)
        keys = keys_of(row)
        index = self.by_id.get(m.id)
        if index is not None:  # the service repeated a machine across pages: keep the newest
            self.rows[index] = row
            self.names[index] = row[NAME_IDX] or row[0]
            for name, value in keys.items():
                self.keys[name][index] = value
            self._distinct.clear()
            return
        self.by_id[m.id] = len(self.rows)
        self.rows.append(row)
        self.names.append(row[NAME_IDX] or row[0])
        for name, value in keys.items():
            self.keys[name].append(value)

    def sorted_by_name(self) -> MachineStore:
        """A copy ordered by name (case-insensitive), then id. Pure: safe to run in a thread."""
        order = sorted(range(len(self.rows)), key=lambda i: (self.keys["name"][i], self.rows[i][0]))
        new = MachineStore()
        new.rows = [self.rows[i] for i in order]
        new.names = [self.names[i] for i in order]
        # Fresh copies in the new order: scans then walk memory sequentially (a permuted list of strings
        # scattered over the heap is about three times slower to scan, from cache misses alone).
        new.keys = {k: [_fresh(col[i]) for i in order] if k in _SCANNED else [col[i] for i in order]
                    for k, col in self.keys.items()}  # fmt: skip
        new.by_id = {row[0]: i for i, row in enumerate(new.rows)}
        return new

    def with_index(self) -> MachineStore:
        """This store with its search index built (pure: safe in a thread; the store must not change after)."""
        self.index = SearchIndex(self.keys, len(self.rows))
        return self


def final_store(staging: MachineStore) -> MachineStore:
    """``staging`` in name order, with its search index (pure: runs in a thread for big tenants)."""
    return staging.sorted_by_name().with_index()
