"""Structured demo outputs for stacking a fleet: autoruns and listening ports as CSV, process images as JSON
lines. Most Windows machines print the same thing; a few have something planted, each one different:

- ``autorun``: an unknown Run-key entry pointing into the user's AppData (``Get-Autoruns.csv.ps1``),
- ``unsigned``: an unsigned binary running from a Temp folder (``Get-ProcessImages.jsonl.ps1``),
- ``port``: an odd listening port (``Get-Listeners.csv.ps1``).

Which machines have what is decided by :func:`planted` from the machine's id alone (ids derive from the
tenant's seed), so the same seed always plants the same machines, whatever was run before.
"""

from __future__ import annotations

import json
import random

from .output import seeded_rng

__all__ = ["PLANT_KINDS", "autoruns_csv", "listeners_csv", "planted", "process_images_jsonl"]

PLANT_KINDS = ("autorun", "unsigned", "port")
PLANT_SHARE = 0.06  #: share of machines with each kind of plant

_RUN = "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"
_SYS = "C:\\Windows\\System32\\"
_MS = "Microsoft Windows"
_AUTORUNS = [
    ("Logon", _RUN, "SecurityHealth", f"{_SYS}SecurityHealthSystray.exe", _MS),
    ("Logon", _RUN, "OneDrive", "C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe /background", "Microsoft Corporation"),
    ("Logon", _RUN, "Teams", "C:\\Program Files\\WindowsApps\\MSTeams\\ms-teams.exe --autostart", "Microsoft Corporation"),
    ("Services", "HKLM\\System\\CurrentControlSet\\Services", "WinDefend", "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24050.7-0\\MsMpEng.exe", _MS),
    ("Services", "HKLM\\System\\CurrentControlSet\\Services", "Sense", "C:\\Program Files\\Windows Defender Advanced Threat Protection\\MsSense.exe", _MS),
    ("Services", "HKLM\\System\\CurrentControlSet\\Services", "Spooler", f"{_SYS}spoolsv.exe", _MS),
    ("Services", "HKLM\\System\\CurrentControlSet\\Services", "wuauserv", f"{_SYS}svchost.exe -k netsvcs -p", _MS),
    ("Scheduled Tasks", "Task Scheduler", "\\Microsoft\\Windows\\UpdateOrchestrator\\Schedule Scan", f"{_SYS}usoclient.exe StartScan", _MS),
    ("Scheduled Tasks", "Task Scheduler", "\\Microsoft\\Windows\\Defrag\\ScheduledDefrag", f"{_SYS}defrag.exe -c -h -o", _MS),
    ("Scheduled Tasks", "Task Scheduler", "\\MicrosoftEdgeUpdateTaskMachineCore", "C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe /c", "Microsoft Corporation"),
    ("Drivers", "HKLM\\System\\CurrentControlSet\\Services", "WdFilter", f"{_SYS}drivers\\wd\\WdFilter.sys", _MS),
    ("WMI", "root\\subscription", "SCM Event Log Consumer", "(NTEventLogEventConsumer)", _MS),
]  # fmt: skip
_IMAGES = [
    ("System", "", _MS),
    ("smss.exe", f"{_SYS}smss.exe", _MS),
    ("csrss.exe", f"{_SYS}csrss.exe", _MS),
    ("wininit.exe", f"{_SYS}wininit.exe", _MS),
    ("services.exe", f"{_SYS}services.exe", _MS),
    ("lsass.exe", f"{_SYS}lsass.exe", _MS),
    ("svchost.exe", f"{_SYS}svchost.exe", _MS),
    ("spoolsv.exe", f"{_SYS}spoolsv.exe", _MS),
    ("MsMpEng.exe", "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24050.7-0\\MsMpEng.exe", _MS),
    ("MsSense.exe", "C:\\Program Files\\Windows Defender Advanced Threat Protection\\MsSense.exe", _MS),
    ("explorer.exe", "C:\\Windows\\explorer.exe", _MS),
    ("OneDrive.exe", "C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe", "Microsoft Corporation"),
    ("msedge.exe", "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe", "Microsoft Corporation"),
    ("ms-teams.exe", "C:\\Program Files\\WindowsApps\\MSTeams\\ms-teams.exe", "Microsoft Corporation"),
    ("OUTLOOK.EXE", "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE", "Microsoft Corporation"),
    ("dwm.exe", f"{_SYS}dwm.exe", _MS),
    ("RuntimeBroker.exe", f"{_SYS}RuntimeBroker.exe", _MS),
    ("SearchIndexer.exe", f"{_SYS}SearchIndexer.exe", _MS),
]
_ANY = ".".join("0000")  #: the any address as Windows prints it (built: not a bind of ours)
_LISTENERS = [
    (_ANY, 135, "svchost.exe"),
    (_ANY, 445, "System"),
    (_ANY, 139, "System"),
    (_ANY, 5040, "svchost.exe"),
    (_ANY, 7680, "svchost.exe"),
    (_ANY, 49664, "lsass.exe"),
    (_ANY, 49665, "wininit.exe"),
    (_ANY, 49666, "svchost.exe"),
    (_ANY, 49667, "svchost.exe"),
    (_ANY, 49668, "spoolsv.exe"),
    (_ANY, 49669, "services.exe"),
]
_STEMS = ("updater", "svchelper", "msupd", "winsvc", "syncmgr", "rtkaud", "adobeupd", "chromeupd")
_USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "svc_backup")


def planted(machine_id: str) -> str | None:
    """What is planted on this machine (one of :data:`PLANT_KINDS`), or None for most machines."""
    r = seeded_rng("plant", machine_id).random()
    return PLANT_KINDS[int(r / PLANT_SHARE)] if r < PLANT_SHARE * len(PLANT_KINDS) else None


def _odd_name(machine_id: str) -> tuple[str, str, random.Random]:
    """A name of the planted thing, unique per machine (a stem and six hex digits), and the user it runs as."""
    rng = seeded_rng("planted", machine_id)
    return f"{rng.choice(_STEMS)}{rng.getrandbits(24):06x}", rng.choice(_USERS), rng


def _csv(cells: tuple[object, ...]) -> str:
    return ",".join(f'"{c}"' if ("," in str(c) or " " in str(c)) else str(c) for c in cells)


def autoruns_csv(machine_id: str) -> str:
    rows = [_csv(("Category", "Location", "Entry", "ImagePath", "Signer", "Verified"))]
    rows += [_csv((c, loc, e, img, s, "Verified")) for c, loc, e, img, s in _AUTORUNS]
    if planted(machine_id) == "autorun":
        name, user, _ = _odd_name(machine_id)
        img = f"C:\\Users\\{user}\\AppData\\Roaming\\{name}\\{name}.exe -silent"
        rows.insert(4, _csv(("Logon", _RUN.replace("HKLM", "HKCU"), name, img, "", "Not verified")))
    return "\n".join(rows) + "\n"


def process_images_jsonl(machine_id: str) -> str:
    items: list[dict[str, object]] = [
        {"Name": n, "Path": p, "Company": c, "Signed": True, "SignerStatus": "Valid"} for n, p, c in _IMAGES
    ]
    if planted(machine_id) == "unsigned":
        name, user, _ = _odd_name(machine_id)
        path = f"C:\\Users\\{user}\\AppData\\Local\\Temp\\{name}.exe"
        items.insert(
            11, {"Name": f"{name}.exe", "Path": path, "Company": None, "Signed": False, "SignerStatus": "NotSigned"}
        )
    return "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items)


def listeners_csv(machine_id: str) -> str:
    rows = [_csv(("Protocol", "LocalAddress", "LocalPort", "State", "ProcessName"))]
    listeners = list(_LISTENERS)
    if planted(machine_id) == "port":
        name, _, rng = _odd_name(machine_id)
        listeners.append((_ANY, rng.randint(20000, 40000), f"{name}.exe"))
    rows += [_csv(("TCP", addr, port, "Listen", proc)) for addr, port, proc in sorted(listeners, key=lambda x: x[1])]
    return "\n".join(rows) + "\n"
