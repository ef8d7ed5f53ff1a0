"""What the demo tenant is made of: operating systems, machine profiles (name pattern, group, OS mix, tags),
the weighted choices for risk, exposure, value and AV status, and the fixed first machines."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Sequence
from typing import NamedTuple, TypeVar

__all__ = [
    "CHOOSE_AV",
    "CHOOSE_EXPOSURE",
    "CHOOSE_OS",
    "CHOOSE_RISK",
    "CHOOSE_VALUE",
    "LINUX_ROLES",
    "OS",
    "PROFILES",
    "OsInfo",
    "Profile",
    "fixed_profiles",
]

T = TypeVar("T")


class OsInfo(NamedTuple):
    versions: list[tuple[str | None, int | None]]  # (version, build)
    agents: list[str]  # agent versions
    family: str
    supported: bool  # live response


class Profile(NamedTuple):
    weight: int
    pattern: str  # computer name pattern
    domain: str
    groups: list[int]
    oses: list[tuple[str, int]]  # (osPlatform, weight)
    tags: list[str]  # tag pool
    server: bool


OS: dict[str, OsInfo] = {
    "Windows10": OsInfo(
        [("21H2", 19044), ("22H2", 19045)], ["10.8760.19041.4529", "10.8750.19041.4412"], "windows", True
    ),
    "Windows11": OsInfo(
        [("22H2", 22621), ("23H2", 22631), ("24H2", 26100)],
        ["10.8760.22621.3880", "10.8760.26100.1150"],
        "windows",
        True,
    ),
    "WindowsServer2016": OsInfo([("1607", 14393)], ["10.8760.14393.7159"], "windows", True),
    "WindowsServer2019": OsInfo([("1809", 17763)], ["10.8760.17763.6054"], "windows", True),
    "WindowsServer2022": OsInfo([("21H2", 20348)], ["10.8760.20348.2582"], "windows", True),
    "Windows7": OsInfo([(None, 7601)], ["10.3720.7601.24521"], "windows", False),
    "WindowsServer2008R2": OsInfo([(None, 7601)], ["10.3720.7601.24521"], "windows", False),
    "macOS": OsInfo(
        [("14.5", None), ("15.1", None), ("13.6", None)], ["101.24052.0002", "101.24042.0008"], "macos", True
    ),
    "Linux": OsInfo([(None, None)], ["101.24052.0002", "101.23092.0007"], "linux", True),
}

# profile: (weight, name pattern, domain, group ids, os choices, tags pool, server)
PROFILES: list[Profile] = [
    Profile(
        18,
        "fin-ws-{n:04d}",
        "corp.contoso.example",
        [101],
        [("Windows11", 6), ("Windows10", 4)],
        ["Finance", "PCI", "VIP"],
        False,
    ),
    Profile(
        16,
        "eng-lt-{n:04d}",
        "corp.contoso.example",
        [102],
        [("Windows11", 7), ("Windows10", 2)],
        ["Engineering", "Remote", "Pilot"],
        False,
    ),
    Profile(
        14,
        "hr-ws-{n:04d}",
        "corp.contoso.example",
        [0],
        [("Windows10", 5), ("Windows11", 5)],
        ["HR", "needs review"],
        False,
    ),
    Profile(
        8,
        "sales-lt-{n:04d}",
        "corp.contoso.example",
        [0],
        [("Windows11", 6), ("Windows10", 4)],
        ["Sales", "Remote", "O'Brien Team"],
        False,
    ),
    Profile(
        1,
        "dc{n:02d}",
        "corp.contoso.example",
        [103],
        [("WindowsServer2022", 5), ("WindowsServer2019", 5)],
        ["Tier0", "Prod"],
        True,
    ),
    Profile(
        7,
        "app-prd-{n:03d}",
        "corp.contoso.example",
        [0, 106],
        [("WindowsServer2019", 4), ("WindowsServer2022", 4), ("WindowsServer2016", 2)],
        ["Prod", "SQL", "Tier1"],
        True,
    ),
    Profile(
        4,
        "web-dmz-{n:02d}",
        "dmz.contoso.example",
        [106],
        [("WindowsServer2022", 5), ("Linux", 5)],
        ["DMZ", "Prod", "Internet-facing"],
        True,
    ),
    Profile(
        10, "lnx-{role}-{n:03d}", "prod.contoso.example", [104], [("Linux", 1)], ["Prod", "Linux", "Kubernetes"], True
    ),
    Profile(9, "mac-{n:04d}", "corp.contoso.example", [105], [("macOS", 1)], ["Design", "Remote", "VIP"], False),
    Profile(4, "KIOSK-{n:03d}", "", [107], [("Windows10", 1)], ["Kiosk"], False),
    Profile(
        5,
        "lab-vm-{n:03d}",
        "lab.contoso.example",
        [108],
        [("Windows10", 3), ("Windows11", 3), ("Linux", 2), ("Windows7", 1), ("WindowsServer2008R2", 1)],
        ["Lab", "Legacy", "Contractor"],
        False,
    ),
]
LINUX_ROLES = ["db", "k8s", "app", "log", "ci", "bastion"]
_RISK = (["None", "Informational", "Low", "Medium", "High"], [20, 10, 35, 25, 10])
_EXPO = (["None", "Low", "Medium", "High"], [5, 40, 40, 15])
_VALUE = (["Normal", "Low", "High"], [85, 5, 10])
_AV = (["Updated", "NotUpdated", "Disabled", "Unknown"], [90, 6, 2, 2])


def _chooser(values: Sequence[T], weights: Sequence[int]) -> Callable[[float], T]:
    """A weighted choice driven by one uniform draw in [0, 1)."""
    cum = list(itertools.accumulate(weights))
    total = cum[-1]
    br = bisect.bisect_right

    def choose(r: float) -> T:
        return values[br(cum, r * total)]

    return choose


CHOOSE_RISK = _chooser(*_RISK)
CHOOSE_EXPOSURE = _chooser(*_EXPO)
CHOOSE_VALUE = _chooser(*_VALUE)
CHOOSE_AV = _chooser(*_AV)
CHOOSE_OS = [_chooser([o for o, _ in p.oses], [x for _, x in p.oses]) for p in PROFILES]  # by profile index


def fixed_profiles(n: int) -> list[tuple[int, str | None, str | None]]:
    """The first machines are predictable: 0 an online Windows 11 finance workstation, 1 an online Linux
    server, 2 an online Mac, 3 a Windows 10 that comes online ~60 s (scaled) after start, 4 a kiosk in
    the no-automation group, 5 a Windows 7 lab VM (unsupported), 6 a Windows Server 2022 DC, 7 an
    offline-for-good HR workstation. Each is (profile index, forced osPlatform, forced healthStatus)."""
    fixed: list[tuple[int, str | None, str | None]] = [
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
