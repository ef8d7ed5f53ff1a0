"""What one RunScript of a library script does on a device.

Script behaviour is split in two: :func:`plan_script` decides cheaply (at the moment the command runs)
the duration, exit code, whether it hangs or fails, and which files it creates; the output text is
rendered lazily (:meth:`ScriptPlan.render`) when the result is downloaded, from the same seed, so a
multi-megabyte output costs nothing until someone fetches it.

Uploaded scripts may steer the simulator with directive lines anywhere in the file, e.g.::

    # sim: exit_code=3 duration=30 stderr="boom" output_bytes=200000 creates=C:\\Temp\\x.zip
    # sim: hang            (runs until the RunScript timeout)
    # sim: fail="Script crashed"   (the command itself fails)
"""

from __future__ import annotations

import hashlib
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from .script_output import _WIN_PROCS, ESC, _autoruns, _events, _host, _net_table, _proc_table, _rng, _transcript
from .scripts import LibraryItem
from .tenant import MachineRec

__all__ = ["ScriptPlan", "plan_script", "script_platform"]


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
        return ScriptPlan(
            name, 2.0, fail=f"Script type of '{name}' is not supported. Supported: .ps1 (Windows), .sh (Linux, macOS)."
        )
    if plat == "windows" and m.family != "windows":
        return ScriptPlan(
            name, 2.0, fail=f"PowerShell scripts cannot run on {m.wire.get('osPlatform')}; use a bash script."
        )
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
        return ScriptPlan(
            name, 6 + rng.random() * 6, render=wrap(lambda: (_proc_table(m, _rng("p", seed, m.id), pattern), ""))
        )
    if lname in ("get-netconnections.ps1", "netconns.sh"):
        return ScriptPlan(name, 5 + rng.random() * 4, render=wrap(lambda: (_net_table(m, _rng("n", seed, m.id)), "")))
    if lname in ("get-autoruns.ps1", "persistence.sh"):
        return ScriptPlan(name, 15 + rng.random() * 10, render=wrap(lambda: _autoruns(m, _rng("a", seed, m.id))))
    if lname == "invoke-triage.ps1":
        outdir = (_opt(argv, "OutDir") or "C:\\Windows\\Temp").rstrip("\\")
        path = f"{outdir}\\triage-{host}.zip"
        quick = _flag(argv, "Quick")
        body = (
            f"[+] Collecting event logs{' (skipped: -Quick)' if quick else ''}\n[+] Prefetch: 212 files\n"
            "[+] Amcache.hve, SRUM, browser history (Edge, Chrome)\n[+] netstat, arp, dns cache, logged-on users\n"
            f"[+] Archive written: {path}\n"
        )
        # about a third of the machines have a locked hive: the script still succeeds but writes to stderr
        warn = "WARNING: C:\\Users\\svc_backup\\NTUSER.DAT is in use; copied with VSS.\n" if rng.random() < 0.34 else ""
        return ScriptPlan(
            name,
            (40 if quick else 90) + rng.random() * 20,
            creates={path: ("triage", m.id, path)},
            render=wrap(lambda: (body, warn)),
        )
    if lname == "triage.sh":
        outdir = (_opt(argv, "o") or "/tmp").rstrip("/") or "/tmp"
        path = f"{outdir}/triage-{m.name.split('.')[0]}.tar.gz"
        body = f"collecting /var/log ...\ncollecting shell history ...\nnetwork state ...\nwrote {path}\n"
        return ScriptPlan(
            name,
            60 + rng.random() * 20,
            creates={path: ("triage", m.id, path)},
            render=wrap(lambda: (body, "tar: Removing leading `/' from member names\n")),
        )
    if lname == "minidump.ps1":
        proc = _opt(argv, "ProcessName") or (argv[0] if argv and not argv[0].startswith("-") else None)
        outdir = (_opt(argv, "OutDir") or "C:\\Windows\\Temp").rstrip("\\")
        if not proc:
            return ScriptPlan(
                name,
                3.0,
                exit_code=2,
                render=wrap(
                    lambda: (
                        "",
                        "minidump.ps1 : Cannot process command because of one or more missing mandatory parameters: ProcessName.\n"
                        "    + CategoryInfo          : InvalidArgument: (:) [minidump.ps1], ParameterBindingException\n",
                    )
                ),
            )
        known = {p[:-4].lower() for p in _WIN_PROCS if p.endswith(".exe")}
        if proc.lower().removesuffix(".exe") not in known:
            return ScriptPlan(
                name,
                3.0,
                exit_code=1,
                render=wrap(
                    lambda: (
                        "",
                        f'Get-Process : Cannot find a process with the name "{proc}". Verify the process name and call the cmdlet again.\n',
                    )
                ),
            )
        pid = 600 + int(hashlib.sha1((m.id + proc.lower()).encode()).hexdigest()[:4], 16) % 9000
        path = f"{outdir}\\{proc.removesuffix('.exe')}_{pid}.dmp"
        body = f"Dumping {proc} (PID {pid}) ...\nDump written: {path} (8,388,608 bytes)\n"
        return ScriptPlan(
            name, 20 + rng.random() * 15, creates={path: ("dmp", m.id, path)}, render=wrap(lambda: (body, ""))
        )
    if lname in ("yara_scan.ps1", "yara_scan.sh"):
        target = (_opt(argv, "Path") if win else (argv[1] if len(argv) > 1 else None)) or (
            "C:\\Users" if win else "/home"
        )
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
        return ScriptPlan(
            name, 30 + rng.random() * 20, render=wrap(lambda: (_events(m, _rng("e", seed, m.id), hours), ""))
        )
    if lname == "get-installedsoftware.ps1":

        def sw() -> tuple[str, str]:
            rows = ["DisplayName                                DisplayVersion   Publisher"]
            for i, (n, v, p) in enumerate(
                [
                    ("Microsoft Edge", "125.0.2535.85", "Microsoft Corporation"),
                    ("7-Zip 23.01 (x64)", "23.01", "Igor Pavlov"),
                    ("Google Chrome", "125.0.6422.142", "Google LLC"),
                    ("Notepad++ (64-bit x64)", "8.6.7", "Notepad++ Team"),
                    ("AnyDesk", "8.0.10", "philandro Software GmbH"),
                    ("Python 3.12.3 (64-bit)", "3.12.3", "Python Software Foundation"),
                    ("[bold]Totally Legit VPN[/bold]", "1.0", f"{ESC}[5mEvil Corp{ESC}[0m"),
                ]
            ):
                rows.append(f"{n:<42} {v:<16} {p}")
            return "\n".join(rows) + "\n", (
                "Get-ItemProperty : Requested registry access is not allowed.\n"
                "At C:\\ProgramData\\...\\Get-InstalledSoftware.ps1:1 char:1\n"
            )

        return ScriptPlan(name, 8 + rng.random() * 4, render=wrap(sw))
    if lname == "get-bitlockerstatus.ps1":
        if m.server or rng.random() < 0.3:
            return ScriptPlan(
                name,
                4.0,
                exit_code=5,
                render=wrap(lambda: ("", "ERROR: An error occurred (code 0x80070005):\nAccess is denied.\n")),
            )
        return ScriptPlan(
            name,
            4.0,
            render=wrap(
                lambda: (
                    "Volume C: [OSDisk]\n    Conversion Status:    Fully Encrypted\n"
                    "    Protection Status:    Protection On\n",
                    "",
                )
            ),
        )
    if lname in ("watch-processcreation.ps1", "tail_auth.sh"):
        return ScriptPlan(name, 10**9, hang=True, render=wrap(lambda: ("Waiting for events...\n", "")))
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

    return ScriptPlan(
        name, duration, exit_code=exit_code, hang="hang" in d, fail=d.get("fail"), creates=creates, render=wrap(generic)
    )
