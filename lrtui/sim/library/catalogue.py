"""The demo live-response library: :class:`LibraryItem` and the scripts and tools a new tenant starts with."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["LibraryItem", "demo_library"]


@dataclass
class LibraryItem:
    file_name: str
    content: bytes
    description: str | None = None
    parameters_description: str | None = None
    has_parameters: bool = False
    created_by: str = "secops-admin@contoso.example"
    creation_time: float = 0.0
    last_updated_time: float = 0.0

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def to_wire(self, iso: Callable[[float], str | None]) -> dict[str, Any]:
        d: dict[str, Any] = {
            "fileName": self.file_name,
            "sha256": self.sha256,
            "description": self.description,
            "creationTime": iso(self.creation_time),
            "lastUpdatedTime": iso(self.last_updated_time),
            "createdBy": self.created_by,
            "hasParameters": self.has_parameters,
        }
        if self.has_parameters or self.parameters_description:
            d["parametersDescription"] = self.parameters_description or ""
        return d


# ---------------------------------------------------------------- demo library

_DEMO: list[tuple[str, str, str | None, str]] = [
    # (name, description, parametersDescription or None, source)
    (
        "Get-Processes.ps1",
        "List running processes with PID, parent PID, path, signer and command line.",
        "-Name <wildcard> : only processes whose name matches (optional)",
        "param([string]$Name = '*')\nGet-CimInstance Win32_Process | Where-Object Name -like $Name |\n"
        "  Select-Object ProcessId, ParentProcessId, Name, ExecutablePath, CommandLine | Format-Table -AutoSize | Out-String -Width 4096\n",
    ),
    (
        "Get-NetConnections.ps1",
        "TCP connections and UDP endpoints with the owning process.",
        None,
        "Get-NetTCPConnection | Select-Object LocalAddress, LocalPort, RemoteAddress, RemotePort, State, OwningProcess | Format-Table -AutoSize\n",
    ),
    (
        "Get-Autoruns.ps1",
        "Persistence: Run keys, services, scheduled tasks, WMI subscriptions, startup folders.",
        "-IncludeMicrosoft : also list Microsoft-signed entries (optional)",
        "param([switch]$IncludeMicrosoft)\n# Run keys, services, tasks, WMI consumers\n",
    ),
    (
        "Invoke-Triage.ps1",
        "Triage collection: event logs, prefetch, amcache, browser history, network state; writes a zip archive.",
        "-OutDir <folder> : where the archive goes (default C:\\Windows\\Temp); -Quick : skip event logs",
        "param([string]$OutDir = 'C:\\Windows\\Temp', [switch]$Quick)\n$zip = Join-Path $OutDir (\"triage-$env:COMPUTERNAME.zip\")\nCompress-Archive -Path $items -DestinationPath $zip\n",
    ),
    (
        "minidump.ps1",
        "Write a full memory dump of one process with comsvcs.dll MiniDump.",
        "-ProcessName <name> : process to dump (required, e.g. lsass); -OutDir <folder> (default C:\\Windows\\Temp)",
        "param([Parameter(Mandatory)][string]$ProcessName, [string]$OutDir = 'C:\\Windows\\Temp')\n"
        '$p = Get-Process -Name $ProcessName -ErrorAction Stop\nrundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump $p.Id "$OutDir\\$($ProcessName)_$($p.Id).dmp" full\n',
    ),
    (
        "yara_scan.ps1",
        "Scan a folder with YARA rules (PutFile yara64.exe and the rules file first). Exit code 1 when something matched.",
        "-Rules <file> (default rules.yar) -Path <folder> (default C:\\Users)",
        "param([string]$Rules = 'rules.yar', [string]$Path = 'C:\\Users')\n& .\\yara64.exe -r $Rules $Path\nif ($LASTEXITCODE -eq 0 -and $matches) { exit 1 }\n",
    ),
    (
        "Export-EventLogs.ps1",
        "Dump the last 24 h of Security, System and PowerShell events as text (large output).",
        "-Hours <n> : how far back (default 24)",
        "param([int]$Hours = 24)\nGet-WinEvent -FilterHashtable @{LogName='Security','System'; StartTime=(Get-Date).AddHours(-$Hours)} | Format-List\n",
    ),
    (
        "Get-InstalledSoftware.ps1",
        "Installed programs from the uninstall registry keys (warnings for unreadable keys go to stderr).",
        None,
        "Get-ItemProperty HKLM:\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\* | Select DisplayName, DisplayVersion, Publisher\n",
    ),
    (
        "Get-BitLockerStatus.ps1",
        "BitLocker volume status. Fails with exit code 5 on devices without BitLocker.",
        None,
        "manage-bde -status\nexit $LASTEXITCODE\n",
    ),
    (
        "Watch-ProcessCreation.ps1",
        "Stream new process creations until stopped (never ends by itself: times out after 10 minutes).",
        None,
        "Register-CimIndicationEvent -ClassName Win32_ProcessStartTrace -SourceIdentifier ps\nwhile ($true) { Wait-Event -SourceIdentifier ps | Out-Host }\n",
    ),
    (
        "ps_list.sh",
        "List processes (ps -eo) with user, PID, PPID, start time and full command line.",
        "[pattern] : only lines matching the pattern (optional)",
        '#!/bin/bash\nps -eo user,pid,ppid,lstart,args --sort=pid | grep -E "${1:-.}"\n',
    ),
    (
        "netconns.sh",
        "Network connections with the owning process (ss -tunap or lsof on macOS).",
        None,
        "#!/bin/bash\nif command -v ss >/dev/null; then ss -tunap; else lsof -nP -i; fi\n",
    ),
    (
        "persistence.sh",
        "Persistence: cron, systemd units, rc scripts, shell profiles, authorized_keys, launchd (macOS).",
        None,
        '#!/bin/bash\nfor f in /etc/crontab /etc/cron.d/* /var/spool/cron/*; do echo "== $f"; cat "$f"; done\n',
    ),
    (
        "triage.sh",
        "Triage collection for Linux/macOS: logs, shell history, network state; writes /tmp/triage-<host>.tar.gz.",
        "-o <dir> : where the archive goes (default /tmp)",
        '#!/bin/bash\nOUT=${2:-/tmp}\ntar czf "$OUT/triage-$(hostname).tar.gz" /var/log /etc/passwd /root/.bash_history 2>&1\n',
    ),
    (
        "yara_scan.sh",
        "Scan a directory with YARA (PutFile the rules first). Exit code 1 when something matched.",
        "<rules file> <dir> (defaults: rules.yar /home)",
        '#!/bin/bash\nyara -r "${1:-rules.yar}" "${2:-/home}"\n',
    ),
    (
        "tail_auth.sh",
        "Follow /var/log/auth.log (never ends by itself: times out after 10 minutes).",
        None,
        "#!/bin/bash\ntail -F /var/log/auth.log\n",
    ),
    (
        "rules.yar",
        "YARA rules: common webshells, Cobalt Strike beacons, Mimikatz strings.",
        None,
        'rule Mimikatz_Strings { strings: $a = "sekurlsa::logonpasswords" condition: $a }\n',
    ),
    ("yara64.exe", "YARA 4.5 scanner for Windows x64.", None, ""),
    # structured outputs, made for stacking a fleet (lrtui stack / lrtui table)
    (
        "Get-Autoruns.csv.ps1",
        "Persistence as CSV: Run keys, services, scheduled tasks, drivers, WMI, with signer and verification.",
        None,
        "Get-CimInstance Win32_StartupCommand | Select-Object Location, Name, Command | ConvertTo-Csv -NoTypeInformation\n",
    ),
    (
        "Get-ProcessImages.jsonl.ps1",
        "Running process images (one per path) with company and Authenticode status, as JSON lines.",
        None,
        "Get-Process | Select-Object -Unique Path | ForEach-Object { $_ | ConvertTo-Json -Compress }\n",
    ),
    (
        "Get-Listeners.csv.ps1",
        "Listening TCP ports with the owning process name, as CSV.",
        None,
        "Get-NetTCPConnection -State Listen | Select-Object LocalAddress, LocalPort, State | ConvertTo-Csv -NoTypeInformation\n",
    ),
]


def demo_library(start: float) -> dict[str, LibraryItem]:
    out: dict[str, LibraryItem] = {}
    for i, (name, desc, pdesc, src) in enumerate(_DEMO):
        content = src.encode() if src else (b"MZ\x90\x00" + hashlib.sha256(name.encode()).digest() * 2048)
        t0 = start - 86400 * (40 - i)
        out[name] = LibraryItem(
            name, content, desc, pdesc, pdesc is not None, creation_time=t0, last_updated_time=t0 + 3600 * (i % 5)
        )
    return out
