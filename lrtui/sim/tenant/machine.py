"""One simulated device (:class:`MachineRec`) and the device groups it can belong to."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["DAY", "GROUPS", "NEVER", "CreatedFile", "DeviceGroup", "MachineRec", "group_of"]

NEVER = math.inf
DAY = 86400.0

# what a script or PutFile left on a device: ("libfile", content) or (kind, machine id, path)
CreatedFile = tuple[str, bytes] | tuple[str, str, str]


@dataclass(frozen=True)
class DeviceGroup:
    id: int
    name: str | None
    remediation_level: str | None  # None: no automation level -> DisallowedOperation for live response


GROUPS: dict[int, DeviceGroup] = {
    g.id: g
    for g in [
        DeviceGroup(0, None, "SemiRequireApprovalAll"),
        DeviceGroup(101, "Finance Workstations", "FullRemediation"),
        DeviceGroup(102, "Engineering Laptops", "SemiRequireApprovalNonTemp"),
        DeviceGroup(103, "Tier0 - Domain Controllers", "SemiRequireApprovalAll"),
        DeviceGroup(104, "Linux Servers", "FullRemediation"),
        DeviceGroup(105, "Mac Fleet", "SemiRequireApprovalAll"),
        DeviceGroup(106, "Web DMZ", "FullRemediation"),
        DeviceGroup(107, "Kiosks - No Automation", None),
        DeviceGroup(108, "Lab & Test", "FullRemediation"),
    ]
}


class MachineRec:
    """One simulated device: ``wire`` (the API entity) plus simulation facts."""

    __slots__ = (
        "agent_too_old",
        "created_files",
        "family",
        "index",
        "ip_since",
        "online_at",
        "pickup_factor",
        "prev_ips",
        "server",
        "supported",
        "wire",
    )

    def __init__(
        self, wire: dict[str, Any], online_at: float, family: str, supported: bool, server: bool, index: int
    ) -> None:
        self.wire = wire
        self.online_at = online_at  # epoch when the device is (or becomes) reachable; NEVER = offline for good
        self.family = family
        self.supported = supported
        self.server = server
        self.created_files: dict[str, CreatedFile] = {}  # path -> recipe of its content (created by scripts/PutFile)
        self.ip_since = 0.0
        self.prev_ips: list[tuple[str, float, float]] = []
        self.index = index
        self.pickup_factor = 1.0
        self.agent_too_old = False

    @property
    def id(self) -> str:
        return str(self.wire["id"])

    @property
    def name(self) -> str:
        return str(self.wire["computerDnsName"])

    def is_online(self, now: float) -> bool:
        return now >= self.online_at


def group_of(m: MachineRec) -> DeviceGroup:
    """The device group of ``m`` (unknown ids fall back to the default group)."""
    return GROUPS.get(m.wire.get("rbacGroupId") or 0, GROUPS[0])
