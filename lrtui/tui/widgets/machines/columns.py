"""Column layout and cell text of the machine list (shared by the list and its header line)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeAlias

from rich.cells import cell_len, set_cell_size

from lrtui.tui.glyphs import current

if TYPE_CHECKING:
    from lrtui.engine.inventory import MachineRow

HEALTH_SHORT = {
    "Active": "online",
    "Inactive": "inactive",
    "ImpairedCommunication": "impaired",
    "NoSensorData": "no-sensor",
    "NoSensorDataImpairedCommunication": "no-sensor",
    "Unknown": "unknown",
}
OS_SHORT = {
    "WindowsServer2022": "WinSrv2022",
    "WindowsServer2019": "WinSrv2019",
    "WindowsServer2016": "WinSrv2016",
    "WindowsServer2012R2": "WinSrv2012R2",
}


RISK_SHORT = {"Informational": "Info"}

#: Reads one raw field of a machine by name (an inventory row holds values of several types).
FieldGetter: TypeAlias = Callable[[str], Any]


def fit(text: str, width: int) -> str:
    """``text`` in exactly ``width`` cells with one trailing space; cut with an ellipsis when too long."""
    if width <= 1:
        return " " * max(width, 0)
    if cell_len(text) > width - 1:
        ell = current().ellipsis
        text = set_cell_size(text, max(0, width - 1 - len(ell))) + ell
    return set_cell_size(text, width - 1) + " "


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    width: int


@lru_cache(maxsize=64)
def layout(width: int) -> tuple[Column, ...]:
    """The columns that fit ``width`` cells: name always, then os, health, risk, ip, group, last seen."""
    cols = [Column("mark", "", 2)]
    optional = [
        Column("os", "OS", 11),
        Column("health", "Health", 10),
        Column("risk", "Risk", 7),
        Column("ip", "IP", 16),
        Column("seen", "Seen", 5),
        Column("group", "Group", 16),
    ]
    name_min = 28
    used = 2
    chosen: list[Column] = []
    for col in optional:
        if used + sum(c.width for c in chosen) + col.width + name_min <= width:
            chosen.append(col)
    used += sum(c.width for c in chosen)
    cols.append(Column("name", "Name", max(1, width - used)))
    order = {c.key: i for i, c in enumerate(optional)}
    # Seen goes last so the eye reads name -> os -> health -> risk first.
    chosen.sort(key=lambda c: order[c.key] if c.key != "seen" else 99)
    return tuple(cols + chosen)


def relative_age(when: datetime | None, now: float) -> str:
    if when is None:
        return "-"
    delta = max(0.0, now - when.timestamp())
    if delta < 3600:
        return f"{int(delta // 60)}m"
    if delta < 86400:
        return f"{int(delta // 3600)}h"
    return f"{int(delta // 86400)}d"


def cell_of_row(key: str, row: MachineRow, index: dict[str, int], now: float) -> str:
    """The text of column ``key`` for one inventory row (``Inventory.row(i)``, ``Inventory.field_index``)."""
    return cell(key, lambda name: row[index[name]], now)


def cell(key: str, get: FieldGetter, now: float) -> str:
    """The text of column ``key`` for one machine; ``get(field)`` reads a raw field."""
    if key == "name":
        return str(get("computer_dns_name") or get("id"))
    if key == "os":
        os_name = str(get("os_platform") or "?")
        return OS_SHORT.get(os_name, os_name)
    if key == "health":
        h = str(get("health_status") or "Unknown")
        return HEALTH_SHORT.get(h, h)
    if key == "risk":
        risk = str(get("risk_score") or "-")
        return RISK_SHORT.get(risk, risk)
    if key == "ip":
        return str(get("last_ip_address") or "-")
    if key == "group":
        return str(get("rbac_group_name") or "-")
    if key == "seen":
        return relative_age(get("last_seen"), now)
    return ""
