"""Demo tenant generation: device groups and machines (deterministic per seed, cheap at 100,000).

Every machine is a :class:`MachineRec`: the wire entity (``wire``, exactly what the API returns) plus
simulation-only facts (when it comes online, OS family, whether live response is supported, the
files scripts created on it).
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass

from .clock import iso7

__all__ = ["GROUPS", "NEVER", "DeviceGroup", "MachineRec", "generate_machines"]

NEVER = math.inf
DAY = 86400.0


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

# osPlatform -> (versions [(version, build)], agent versions, family, live response supported)
_OS = {
    "Windows10": ([("21H2", 19044), ("22H2", 19045)], ["10.8760.19041.4529", "10.8750.19041.4412"], "windows", True),
    "Windows11": (
        [("22H2", 22621), ("23H2", 22631), ("24H2", 26100)],
        ["10.8760.22621.3880", "10.8760.26100.1150"],
        "windows",
        True,
    ),
    "WindowsServer2016": ([("1607", 14393)], ["10.8760.14393.7159"], "windows", True),
    "WindowsServer2019": ([("1809", 17763)], ["10.8760.17763.6054"], "windows", True),
    "WindowsServer2022": ([("21H2", 20348)], ["10.8760.20348.2582"], "windows", True),
    "Windows7": ([(None, 7601)], ["10.3720.7601.24521"], "windows", False),
    "WindowsServer2008R2": ([(None, 7601)], ["10.3720.7601.24521"], "windows", False),
    "macOS": ([("14.5", None), ("15.1", None), ("13.6", None)], ["101.24052.0002", "101.24042.0008"], "macos", True),
    "Linux": ([(None, None)], ["101.24052.0002", "101.23092.0007"], "linux", True),
}

# profile: (weight, name pattern, domain, group ids, os choices, tags pool, server)
_PROFILES = [
    (
        18,
        "fin-ws-{n:04d}",
        "corp.contoso.example",
        [101],
        [("Windows11", 6), ("Windows10", 4)],
        ["Finance", "PCI", "VIP"],
        False,
    ),
    (
        16,
        "eng-lt-{n:04d}",
        "corp.contoso.example",
        [102],
        [("Windows11", 7), ("Windows10", 2)],
        ["Engineering", "Remote", "Pilot"],
        False,
    ),
    (
        14,
        "hr-ws-{n:04d}",
        "corp.contoso.example",
        [0],
        [("Windows10", 5), ("Windows11", 5)],
        ["HR", "needs review"],
        False,
    ),
    (
        8,
        "sales-lt-{n:04d}",
        "corp.contoso.example",
        [0],
        [("Windows11", 6), ("Windows10", 4)],
        ["Sales", "Remote", "O'Brien Team"],
        False,
    ),
    (
        1,
        "dc{n:02d}",
        "corp.contoso.example",
        [103],
        [("WindowsServer2022", 5), ("WindowsServer2019", 5)],
        ["Tier0", "Prod"],
        True,
    ),
    (
        7,
        "app-prd-{n:03d}",
        "corp.contoso.example",
        [0, 106],
        [("WindowsServer2019", 4), ("WindowsServer2022", 4), ("WindowsServer2016", 2)],
        ["Prod", "SQL", "Tier1"],
        True,
    ),
    (
        4,
        "web-dmz-{n:02d}",
        "dmz.contoso.example",
        [106],
        [("WindowsServer2022", 5), ("Linux", 5)],
        ["DMZ", "Prod", "Internet-facing"],
        True,
    ),
    (10, "lnx-{role}-{n:03d}", "prod.contoso.example", [104], [("Linux", 1)], ["Prod", "Linux", "Kubernetes"], True),
    (9, "mac-{n:04d}", "corp.contoso.example", [105], [("macOS", 1)], ["Design", "Remote", "VIP"], False),
    (4, "KIOSK-{n:03d}", "", [107], [("Windows10", 1)], ["Kiosk"], False),
    (
        5,
        "lab-vm-{n:03d}",
        "lab.contoso.example",
        [108],
        [("Windows10", 3), ("Windows11", 3), ("Linux", 2), ("Windows7", 1), ("WindowsServer2008R2", 1)],
        ["Lab", "Legacy", "Contractor"],
        False,
    ),
]
_LINUX_ROLES = ["db", "k8s", "app", "log", "ci", "bastion"]
_RISK = (["None", "Informational", "Low", "Medium", "High"], [20, 10, 35, 25, 10])
_EXPO = (["None", "Low", "Medium", "High"], [5, 40, 40, 15])
_VALUE = (["Normal", "Low", "High"], [85, 5, 10])
_AV = (["Updated", "NotUpdated", "Disabled", "Unknown"], [90, 6, 2, 2])


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

    def __init__(self, wire: dict, online_at: float, family: str, supported: bool, server: bool, index: int) -> None:
        self.wire = wire
        self.online_at = online_at  # epoch when the device is (or becomes) reachable; NEVER = offline for good
        self.family = family
        self.supported = supported
        self.server = server
        self.created_files: dict[str, tuple] = {}  # path -> recipe of its content (created by scripts/PutFile)
        self.ip_since = 0.0
        self.prev_ips: list[tuple[str, float, float]] = []
        self.index = index
        self.pickup_factor = 1.0
        self.agent_too_old = False

    @property
    def id(self) -> str:
        return self.wire["id"]

    @property
    def name(self) -> str:
        return self.wire["computerDnsName"]

    def is_online(self, now: float) -> bool:
        return now >= self.online_at


def _wchooser(values, weights):
    import bisect
    import itertools

    cum = list(itertools.accumulate(weights))
    total = cum[-1]
    br = bisect.bisect_right
    return lambda r: values[br(cum, r * total)]


_CH_RISK = _wchooser(*_RISK)
_CH_EXPO = _wchooser(*_EXPO)
_CH_VALUE = _wchooser(*_VALUE)
_CH_AV = _wchooser(*_AV)
_CH_OS = {id(p): _wchooser([o for o, _ in p[4]], [x for _, x in p[4]]) for p in _PROFILES}


def _hexid(seed: int, i: int) -> str:
    return hashlib.sha1(f"lrtui-sim:{seed}:machine:{i}".encode()).hexdigest()


def _guid(rng: random.Random) -> str:
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


def generate_machines(seed: int, n: int, start: float, time_scale: float = 1.0) -> list[MachineRec]:
    """``n`` machines around ``start`` (epoch). Deterministic for (seed, n, start)."""
    import gc

    enabled = gc.isenabled()
    gc.disable()  # millions of small allocations: the cyclic GC would rescan them over and over
    try:
        return _generate(seed, n, start, time_scale)
    finally:
        if enabled:
            gc.enable()


def _generate(seed: int, n: int, start: float, time_scale: float) -> list[MachineRec]:
    rng = random.Random(seed * 7919 + 17)
    weights = [p[0] for p in _PROFILES]
    counters = [0] * len(_PROFILES)
    out: list[MachineRec] = []
    # always include a handful of fixed, well-known devices first (handy for docs and tests)
    fixed = _fixed_profiles(n)
    prof_idx = rng.choices(range(len(_PROFILES)), weights=weights, k=max(0, n - len(fixed)))
    seq = fixed + [(p, None, None) for p in prof_idx]
    rand = rng.random
    for i, (pi, forced_os, forced_health) in enumerate(seq):
        w, pattern, domain, groups, oses, tagpool, server = _PROFILES[pi]
        counters[pi] += 1
        num = counters[pi]
        short = pattern.format(n=num, role=_LINUX_ROLES[num % len(_LINUX_ROLES)])
        name = f"{short}.{domain}" if domain else short
        os_platform = forced_os or _CH_OS[id(_PROFILES[pi])](rand())
        versions, agents, family, supported = _OS[os_platform]
        version, build = versions[int(rand() * len(versions))]
        group = GROUPS[groups[int(rand() * len(groups))]]
        # health
        r = rand()
        online_at = start - DAY
        if forced_health:
            health = forced_health
        elif r < 0.80:
            health = "Active"
        elif r < 0.87:
            health = "Inactive"
        elif r < 0.91:
            health = "Inactive"  # comes online later
            online_at = start + time_scale * (45.0 + rand() * 555.0)
        elif r < 0.95:
            health = "ImpairedCommunication"
        elif r < 0.98:
            health = "NoSensorData"
        else:
            health = "NoSensorDataImpairedCommunication"
        if i == 3 and forced_health == "Inactive":
            online_at = start + time_scale * 60.0
        if health in ("Inactive", "NoSensorData") and online_at <= start:
            online_at = NEVER
        first_seen = start - DAY * (20 + rand() * 700) - rand() * 3600
        if health == "Inactive" and online_at == NEVER:
            last_seen = start - DAY * (8 + rand() * 50)
        elif health == "Inactive":
            last_seen = start - DAY * (1 + rand() * 5)
        else:
            last_seen = start - rand() * DAY
        last_seen = max(last_seen, first_seen + 3600)
        site = 10 + (pi * 7 + num // 250) % 40
        if domain.startswith("dmz"):
            ip = f"172.16.{site}.{10 + num % 240}"
        else:
            ip = f"10.{site}.{(num // 240) % 250}.{10 + num % 240}"
        ext = f"203.0.113.{(i * 37) % 250 + 2}" if not server else f"198.51.100.{(i * 11) % 250 + 2}"
        mac = "%012X" % (0x00155D000000 + (int(rand() * 0xFFFFFF)))
        ips = [{"ipAddress": ip, "macAddress": mac, "type": "Ethernet", "operationalStatus": "Up"}]
        if family == "windows":
            ips.append(
                {"ipAddress": "127.0.0.1", "macAddress": None, "type": "SoftwareLoopback", "operationalStatus": "Up"}
            )
            if rand() < 0.15:
                ips.append(
                    {
                        "ipAddress": f"fe80::{i % 65536:x}:{num:x}",
                        "macAddress": mac,
                        "type": "Ethernet",
                        "operationalStatus": "Up",
                    }
                )
        else:
            ips.append(
                {
                    "ipAddress": "127.0.0.1",
                    "macAddress": None,
                    "type": "SoftwareLoopback" if family == "linux" else "Loopback",
                    "operationalStatus": "Up",
                }
            )
        ntags = int(rand() * 3.3)
        tags = sorted({tagpool[int(rand() * len(tagpool))] for _ in range(ntags)})
        if group.id == 103 and "Tier0" not in tags:
            tags.append("Tier0")
        aad = family == "windows" and not server and rand() < 0.85
        azure_vm = server and rand() < 0.4
        vm = None
        if azure_vm:
            sub = _guid(rng)
            vm = {
                "vmId": _guid(rng),
                "cloudProvider": "Azure",
                "resourceId": f"/subscriptions/{sub}/resourceGroups/rg-{short.split('-')[0]}/providers/Microsoft.Compute/virtualMachines/{short}",
                "subscriptionId": sub,
            }
        risk = _CH_RISK(rand())
        wire = {
            "id": _hexid(seed, i),
            "computerDnsName": name,
            "firstSeen": iso7(first_seen),
            "lastSeen": iso7(last_seen),
            "osPlatform": os_platform,
            "osVersion": None,
            "osProcessor": "x64",
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
            "exposureLevel": _CH_EXPO(rand()),
            "deviceValue": "High" if group.id == 103 else _CH_VALUE(rand()),
            "rbacGroupId": group.id,
            "rbacGroupName": group.name,
            "isAadJoined": aad,
            "aadDeviceId": _guid(rng) if aad else None,
            "machineTags": tags,
            "defenderAvStatus": _CH_AV(rand()),
            "managedBy": "Intune" if (family != "linux" and not server) else "MicrosoftDefenderForEndpoint",
            "managedByStatus": "Success" if rand() < 0.5 else "Unknown",
            "mergedIntoMachineId": None,
            "isPotentialDuplication": False,
            "isExcluded": False,
            "exclusionReason": None,
            "vmMetadata": vm,
        }
        rec = MachineRec(wire, online_at, family, supported, server, i)
        rec.ip_since = first_seen
        if health == "ImpairedCommunication":
            rec.pickup_factor = 4.0
        out.append(rec)
    # a few duplicates / exclusions, and DHCP reuse for findbyip's time window
    for j in range(7, len(out), 97):
        out[j].wire["isPotentialDuplication"] = True
    for j in range(11, len(out), 211):
        if out[j].wire["healthStatus"] == "Inactive" and out[j].online_at == NEVER:
            out[j].wire["isExcluded"] = True
            out[j].wire["exclusionReason"] = "InactiveDevice"
    for j in range(20, len(out) - 1, 50):
        a, b = out[j], out[j + 1]
        switch = start - DAY * (1 + (j % 9))
        # a used b's address until `switch`; b has had it since then
        a.prev_ips.append((b.wire["lastIpAddress"], max(a.wire and _p(a.wire["firstSeen"]), switch - 20 * DAY), switch))
        a.ip_since = switch
        b.ip_since = max(b.ip_since, switch)
    # a Linux box whose agent is too old for live response
    for rec in [r for r in out[8:] if r.family == "linux"][2::60]:
        rec.agent_too_old = True
        rec.wire["agentVersion"] = "101.18.45"
    return out


def _p(iso: str) -> float:
    from .clock import parse_iso

    return parse_iso(iso)


def _fixed_profiles(n: int) -> list[tuple[int, str | None, str | None]]:
    """The first machines are predictable: 0 an online Windows 11 finance workstation, 1 an online Linux
    server, 2 an online Mac, 3 a Windows 10 that comes online ~60 s (scaled) after start, 4 a kiosk in
    the no-automation group, 5 a Windows 7 lab VM (unsupported), 6 a Windows Server 2022 DC, 7 an
    offline-for-good HR workstation."""
    fixed = [
        (0, "Windows11", "Active"),
        (7, "Linux", "Active"),
        (8, "macOS", "Active"),
        (2, "Windows10", "Inactive"),
        (9, "Windows10", "Active"),
        (10, "Windows7", "Active"),
        (4, "WindowsServer2022", "Active"),
        (2, "Windows11", "NoSensorData"),
    ]
    return fixed[: min(n, len(fixed))]
