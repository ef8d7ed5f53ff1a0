"""Demo tenant generation: deterministic per (seed, n, start), cheap at 100,000 machines.

Every random draw comes from one generator in a fixed order (the same seed gives the same tenant, which the
tests and the snapshot screenshots depend on): each step below says what it draws."""

from __future__ import annotations

import gc
import hashlib
import random
from collections.abc import Callable
from typing import Any

from ..clock import iso7, parse_iso
from ..ids import random_guid
from .catalogue import (
    CHOOSE_AV,
    CHOOSE_EXPOSURE,
    CHOOSE_OS,
    CHOOSE_RISK,
    CHOOSE_VALUE,
    LINUX_ROLES,
    OS,
    PROFILES,
    Profile,
    fixed_profiles,
)
from .machine import DAY, GROUPS, NEVER, DeviceGroup, MachineRec

__all__ = ["generate_machines", "pick_workshop_machine"]


def generate_machines(seed: int, n: int, start: float, time_scale: float = 1.0) -> list[MachineRec]:
    """``n`` machines around ``start`` (epoch). Deterministic for (seed, n, start)."""
    enabled = gc.isenabled()
    gc.disable()  # millions of small allocations: the cyclic GC would rescan them over and over
    try:
        out = _Generator(seed, start, time_scale).machines(n)
        _mark_duplicates_and_exclusions(out)
        _reuse_addresses(out, start)
        _age_linux_agents(out)
        return out
    finally:
        if enabled:
            gc.enable()


def pick_workshop_machine(machines: list[MachineRec]) -> MachineRec | None:
    """The workshop machine of a freshly generated tenant: the first generated (not fixed) Windows workstation that
    is offline for good (Inactive, not excluded) and can run live response. The simulator makes it come online a
    while after start, so a workshop can queue work for an offline device and watch the queue drain. No draws: the
    tenant is the same with or without it."""
    for rec in machines[8:]:
        w = rec.wire
        usable = rec.supported and not rec.agent_too_old and GROUPS[w["rbacGroupId"]].remediation_level
        offline = rec.online_at == NEVER and w["healthStatus"] == "Inactive" and not w["isExcluded"]
        if rec.family == "windows" and not rec.server and usable and offline:
            return rec
    return None


def _hexid(seed: int, i: int) -> str:
    return hashlib.sha1(f"lrtui-sim:{seed}:machine:{i}".encode(), usedforsecurity=False).hexdigest()


class _Generator:
    def __init__(self, seed: int, start: float, time_scale: float) -> None:
        self.seed = seed
        self.start = start
        self.time_scale = time_scale
        self.rng = random.Random(seed * 7919 + 17)
        self.rand: Callable[[], float] = self.rng.random
        self.counters = [0] * len(PROFILES)

    def machines(self, n: int) -> list[MachineRec]:
        # always include a handful of fixed, well-known devices first (handy for docs and tests)
        fixed = fixed_profiles(n)
        weights = [p.weight for p in PROFILES]
        prof_idx = self.rng.choices(range(len(PROFILES)), weights=weights, k=max(0, n - len(fixed)))
        seq = fixed + [(p, None, None) for p in prof_idx]
        return [self.machine(i, pi, forced_os, forced_health) for i, (pi, forced_os, forced_health) in enumerate(seq)]

    def machine(self, i: int, pi: int, forced_os: str | None, forced_health: str | None) -> MachineRec:
        rand, p = self.rand, PROFILES[pi]
        self.counters[pi] += 1
        num = self.counters[pi]
        short = p.pattern.format(n=num, role=LINUX_ROLES[num % len(LINUX_ROLES)])
        os_platform = forced_os or CHOOSE_OS[pi](rand())
        versions, agents, family, supported = OS[os_platform]
        version, build = versions[int(rand() * len(versions))]
        group = GROUPS[p.groups[int(rand() * len(p.groups))]]
        health, online_at = self.health(i, forced_health)
        first_seen, last_seen = self.seen(health, online_at)
        ip, ext = _addresses(p, pi, num, i)
        wire: dict[str, Any] = {
            "id": _hexid(self.seed, i),
            "computerDnsName": f"{short}.{p.domain}" if p.domain else short,
            "firstSeen": iso7(first_seen),
            "lastSeen": iso7(last_seen),
            "osPlatform": os_platform,
            "osVersion": None,
            "osProcessor": "x64",
        }
        ips = self.interfaces(family, ip, i, num)
        tags = self.tags(p, group)
        aad = family == "windows" and not p.server and rand() < 0.85
        vm = self.vm_metadata(p.server, short)
        risk = CHOOSE_RISK(rand())
        wire.update(self.wire_rest(os_platform, version, build, agents, ip, ext, ips, health, risk, group))
        wire.update(self.wire_tail(aad, tags, family, p.server, vm))
        rec = MachineRec(wire, online_at, family, supported, p.server, i)
        rec.ip_since = first_seen
        if health == "ImpairedCommunication":
            rec.pickup_factor = 4.0
        return rec

    def health(self, i: int, forced: str | None) -> tuple[str, float]:
        """(healthStatus, when the device is reachable). One draw, two when it comes online later."""
        rand, start = self.rand, self.start
        r = rand()
        online_at = start - DAY
        if forced:
            health = forced
        elif r < 0.80:
            health = "Active"
        elif r < 0.87:
            health = "Inactive"
        elif r < 0.91:
            health = "Inactive"  # comes online later
            online_at = start + self.time_scale * (45.0 + rand() * 555.0)
        elif r < 0.95:
            health = "ImpairedCommunication"
        elif r < 0.98:
            health = "NoSensorData"
        else:
            health = "NoSensorDataImpairedCommunication"
        if i == 3 and forced == "Inactive":
            online_at = start + self.time_scale * 60.0
        if health in ("Inactive", "NoSensorData") and online_at <= start:
            online_at = NEVER
        return health, online_at

    def seen(self, health: str, online_at: float) -> tuple[float, float]:
        """(firstSeen, lastSeen): three draws."""
        rand, start = self.rand, self.start
        first_seen = start - DAY * (20 + rand() * 700) - rand() * 3600
        if health == "Inactive" and online_at == NEVER:
            last_seen = start - DAY * (8 + rand() * 50)
        elif health == "Inactive":
            last_seen = start - DAY * (1 + rand() * 5)
        else:
            last_seen = start - rand() * DAY
        return first_seen, max(last_seen, first_seen + 3600)

    def interfaces(self, family: str, ip: str, i: int, num: int) -> list[dict[str, Any]]:
        """``ipAddresses``: one draw for the MAC, one more on Windows (an IPv6 link-local address or not)."""
        mac = "%012X" % (0x00155D000000 + (int(self.rand() * 0xFFFFFF)))
        ips: list[dict[str, Any]] = [
            {"ipAddress": ip, "macAddress": mac, "type": "Ethernet", "operationalStatus": "Up"}
        ]
        if family == "windows":
            ips.append(
                {"ipAddress": "127.0.0.1", "macAddress": None, "type": "SoftwareLoopback", "operationalStatus": "Up"}
            )
            if self.rand() < 0.15:
                v6 = f"fe80::{i % 65536:x}:{num:x}"
                ips.append({"ipAddress": v6, "macAddress": mac, "type": "Ethernet", "operationalStatus": "Up"})
        else:
            loopback = "SoftwareLoopback" if family == "linux" else "Loopback"
            ips.append({"ipAddress": "127.0.0.1", "macAddress": None, "type": loopback, "operationalStatus": "Up"})
        return ips

    def tags(self, p: Profile, group: DeviceGroup) -> list[str]:
        rand = self.rand
        ntags = int(rand() * 3.3)
        tags = sorted({p.tags[int(rand() * len(p.tags))] for _ in range(ntags)})
        if group.id == 103 and "Tier0" not in tags:
            tags.append("Tier0")
        return tags

    def vm_metadata(self, server: bool, short: str) -> dict[str, Any] | None:
        """Some servers are Azure VMs: one draw for servers, two GUIDs for the VMs."""
        if not (server and self.rand() < 0.4):
            return None
        sub = random_guid(self.rng)
        return {
            "vmId": random_guid(self.rng),
            "cloudProvider": "Azure",
            "resourceId": f"/subscriptions/{sub}/resourceGroups/rg-{short.split('-')[0]}/providers/Microsoft.Compute/virtualMachines/{short}",
            "subscriptionId": sub,
        }

    def wire_rest(
        self,
        os_platform: str,
        version: str | None,
        build: int | None,
        agents: list[str],
        ip: str,
        ext: str,
        ips: list[dict[str, Any]],
        health: str,
        risk: str,
        group: DeviceGroup,
    ) -> dict[str, Any]:
        """The entity from ``osArchitecture`` to ``rbacGroupName`` (draws in field order)."""
        rand = self.rand
        return {
            "osArchitecture": "64-bit" if (os_platform != "Windows7" or rand() < 0.7) else "32-bit",
            "version": version,
            "osBuild": build,
            "agentVersion": agents[int(rand() * len(agents))],
            "lastIpAddress": ip,
            "lastExternalIpAddress": ext,
            "ipAddresses": ips,
            "healthStatus": health,
            "onboardingStatus": "Onboarded",
            "riskScore": risk,
            "exposureLevel": CHOOSE_EXPOSURE(rand()),
            "deviceValue": "High" if group.id == 103 else CHOOSE_VALUE(rand()),
            "rbacGroupId": group.id,
            "rbacGroupName": group.name,
        }

    def wire_tail(
        self, aad: bool, tags: list[str], family: str, server: bool, vm: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The entity from ``isAadJoined`` to the end (draws in field order)."""
        rand = self.rand
        return {
            "isAadJoined": aad,
            "aadDeviceId": random_guid(self.rng) if aad else None,
            "machineTags": tags,
            "defenderAvStatus": CHOOSE_AV(rand()),
            "managedBy": "Intune" if (family != "linux" and not server) else "MicrosoftDefenderForEndpoint",
            "managedByStatus": "Success" if rand() < 0.5 else "Unknown",
            "mergedIntoMachineId": None,
            "isPotentialDuplication": False,
            "isExcluded": False,
            "exclusionReason": None,
            "vmMetadata": vm,
        }


def _addresses(p: Profile, pi: int, num: int, i: int) -> tuple[str, str]:
    """(lastIpAddress, lastExternalIpAddress): no draws."""
    site = 10 + (pi * 7 + num // 250) % 40
    if p.domain.startswith("dmz"):
        ip = f"172.16.{site}.{10 + num % 240}"
    else:
        ip = f"10.{site}.{(num // 240) % 250}.{10 + num % 240}"
    ext = f"203.0.113.{(i * 37) % 250 + 2}" if not p.server else f"198.51.100.{(i * 11) % 250 + 2}"
    return ip, ext


def _mark_duplicates_and_exclusions(out: list[MachineRec]) -> None:
    for j in range(7, len(out), 97):
        out[j].wire["isPotentialDuplication"] = True
    for j in range(11, len(out), 211):
        if out[j].wire["healthStatus"] == "Inactive" and out[j].online_at == NEVER:
            out[j].wire["isExcluded"] = True
            out[j].wire["exclusionReason"] = "InactiveDevice"


def _reuse_addresses(out: list[MachineRec], start: float) -> None:
    """DHCP reuse, for findbyip's time window: ``a`` used ``b``'s address until ``switch``; ``b`` has had it since."""
    for j in range(20, len(out) - 1, 50):
        a, b = out[j], out[j + 1]
        switch = start - DAY * (1 + (j % 9))
        a.prev_ips.append((b.wire["lastIpAddress"], max(parse_iso(a.wire["firstSeen"]), switch - 20 * DAY), switch))
        a.ip_since = switch
        b.ip_since = max(b.ip_since, switch)


def _age_linux_agents(out: list[MachineRec]) -> None:
    """A few Linux boxes have an agent too old for live response."""
    for rec in [r for r in out[8:] if r.family == "linux"][2::60]:
        rec.agent_too_old = True
        rec.wire["agentVersion"] = "101.18.45"
