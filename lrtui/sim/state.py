""":class:`TenantState`: everything the simulator knows about one tenant. Tests and benches read it; only the
simulator writes it."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .library import LibraryItem
from .tenant import MachineRec

if TYPE_CHECKING:
    from .lifecycle import SimAction

__all__ = ["TenantState"]


def _per_minute() -> defaultdict[str, Counter[int]]:
    return defaultdict(Counter)


@dataclass
class TenantState:
    """Everything the simulator knows. Tests and benches read it; only the simulator writes it."""

    machines: list[MachineRec]
    by_id: dict[str, MachineRec]
    by_name: dict[str, MachineRec]
    library: dict[str, LibraryItem]
    actions: dict[str, SimAction] = field(default_factory=dict)  # id -> action, in creation order
    active_by_machine: dict[str, SimAction] = field(default_factory=dict)
    portal_sessions: set[str] = field(default_factory=set)  # machine ids blocked by a hidden portal session
    lr_post_count: int = 0  # authenticated POST runliveresponse calls (throttled ones included)
    lr_created_count: int = 0  # actions created by POST
    throttled_count: int = 0  # 429s issued (budget and injected)
    throttled_by_reason: Counter[str] = field(default_factory=Counter)
    auth_leaks: int = 0  # blob requests that carried an Authorization header (client bug)
    auth_leak_paths: list[str] = field(default_factory=list)
    requests_total: int = 0
    status_counts: Counter[int] = field(default_factory=Counter)
    calls_per_minute: defaultdict[str, Counter[int]] = field(default_factory=_per_minute)  # endpoint -> {minute: n}
    faults_injected: Counter[str] = field(default_factory=Counter)
    blob_downloads: int = 0
    blob_bytes: int = 0
    blob_refused: int = 0
    tokens_seen: dict[str, float] = field(default_factory=dict)  # token -> first seen (epoch)
    blobs: dict[str, tuple[str, int]] = field(default_factory=dict)  # blob name -> (action id, index)

    @classmethod
    def of(cls, machines: list[MachineRec], library: dict[str, LibraryItem]) -> TenantState:
        """A new tenant with these machines and this library (and nothing done yet)."""
        return cls(
            machines=machines,
            by_id={m.id: m for m in machines},
            by_name={m.name.lower(): m for m in machines},
            library=library,
        )

    def machine(self, id_or_name: str) -> MachineRec | None:
        return self.by_id.get(id_or_name.lower()) or self.by_name.get(id_or_name.lower())

    def calls_in_minute(self, endpoint: str, minute: int) -> int:
        return self.calls_per_minute.get(endpoint, Counter()).get(minute, 0)
