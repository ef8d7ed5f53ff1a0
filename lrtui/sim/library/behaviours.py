"""What each demo script does, one plain function per script, and :func:`plan_script`, which picks one.

Script behaviour is split in two: :func:`plan_script` decides cheaply (at the moment the command runs)
the duration, exit code, whether it hangs or fails, and which files it creates; the output text is
rendered lazily (:attr:`ScriptPlan.render`) when the result is downloaded, from the same seed, so a
multi-megabyte output costs nothing until someone fetches it.

Uploaded scripts may steer the simulator with directive lines anywhere in the file, e.g.::

    # sim: exit_code=3 duration=30 stderr="boom" output_bytes=200000 creates=C:\\Temp\\x.zip
    # sim: hang            (runs until the RunScript timeout)
    # sim: fail="Script crashed"   (the command itself fails)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from ..tenant import MachineRec
from .args import directives, flag, option, split_args
from .catalogue import LibraryItem
from .fleet import autoruns_csv, listeners_csv, process_images_jsonl
from .output import ESC, WIN_PROCS, autoruns, event_log, net_table, proc_table, seeded_rng, short_host
from .plan import FileRef, ScriptPlan, ScriptRun

__all__ = ["BEHAVIOURS", "plan_script", "script_platform"]

Behaviour = Callable[[ScriptRun], ScriptPlan]


def script_platform(name: str) -> str:
    n = name.lower()
    if n.endswith(".ps1"):
        return "windows"
    if n.endswith((".sh", ".bash")):
        return "posix"
    if n.endswith(".py"):
        return "posix"
    return "unsupported"


def _refusal(name: str, plat: str, m: MachineRec) -> ScriptPlan | None:
    """A plan that fails at once when the script cannot run on this device."""
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
    return None


def plan_script(item: LibraryItem, m: MachineRec, args: str | None, seed: object, when: str) -> ScriptPlan:
    """What running ``item`` with ``args`` on ``m`` does (deterministic for the same seed)."""
    name = item.file_name
    rng = seeded_rng("plan", seed, m.id, name, args)
    refused = _refusal(name, script_platform(name), m)
    if refused is not None:
        return refused
    run = ScriptRun(item, m, args, split_args(args), seed, when, rng)
    return BEHAVIOURS.get(name.lower(), _uploaded)(run)


# ---------------------------------------------------------------- the demo scripts


def _processes(run: ScriptRun) -> ScriptPlan:
    argv = run.argv
    pattern = option(argv, "Name") if run.win else (argv[0] if argv else None)
    return run.plan(6 + run.rng.random() * 6, lambda: (proc_table(run.m, run.sub_rng("p"), pattern), ""))


def _connections(run: ScriptRun) -> ScriptPlan:
    return run.plan(5 + run.rng.random() * 4, lambda: (net_table(run.m, run.sub_rng("n")), ""))


def _autoruns(run: ScriptRun) -> ScriptPlan:
    return run.plan(15 + run.rng.random() * 10, lambda: autoruns(run.m, run.sub_rng("a")))


def _triage_windows(run: ScriptRun) -> ScriptPlan:
    outdir = (option(run.argv, "OutDir") or "C:\\Windows\\Temp").rstrip("\\")
    path = f"{outdir}\\triage-{short_host(run.m)}.zip"
    quick = flag(run.argv, "Quick")
    body = (
        f"[+] Collecting event logs{' (skipped: -Quick)' if quick else ''}\n[+] Prefetch: 212 files\n"
        "[+] Amcache.hve, SRUM, browser history (Edge, Chrome)\n[+] netstat, arp, dns cache, logged-on users\n"
        f"[+] Archive written: {path}\n"
    )
    # about a third of the machines have a locked hive: the script still succeeds but writes to stderr
    warn = "WARNING: C:\\Users\\svc_backup\\NTUSER.DAT is in use; copied with VSS.\n" if run.rng.random() < 0.34 else ""
    duration = (40 if quick else 90) + run.rng.random() * 20
    return run.plan(duration, lambda: (body, warn), creates={path: ("triage", run.m.id, path)})


def _triage_posix(run: ScriptRun) -> ScriptPlan:
    outdir = (option(run.argv, "o") or "/tmp").rstrip("/") or "/tmp"  # noqa: S108 (a path on the simulated device)
    path = f"{outdir}/triage-{run.m.name.split('.')[0]}.tar.gz"
    body = f"collecting /var/log ...\ncollecting shell history ...\nnetwork state ...\nwrote {path}\n"
    stderr = "tar: Removing leading `/' from member names\n"
    return run.plan(60 + run.rng.random() * 20, lambda: (body, stderr), creates={path: ("triage", run.m.id, path)})


# running on every Windows device of the demo but not in its process table (whose seeded output stays as it is):
# Office's Click-to-Run service, the process the run page's example dumps
_ALSO_RUNNING = {"officeclicktorun"}


def _minidump(run: ScriptRun) -> ScriptPlan:
    argv = run.argv
    proc = option(argv, "ProcessName") or (argv[0] if argv and not argv[0].startswith("-") else None)
    outdir = (option(argv, "OutDir") or "C:\\Windows\\Temp").rstrip("\\")
    if not proc:
        err = (
            "minidump.ps1 : Cannot process command because of one or more missing mandatory parameters: ProcessName.\n"
            "    + CategoryInfo          : InvalidArgument: (:) [minidump.ps1], ParameterBindingException\n"
        )
        return run.plan(3.0, lambda: ("", err), exit_code=2)
    known = {p[:-4].lower() for p in WIN_PROCS if p.endswith(".exe")} | _ALSO_RUNNING
    if proc.lower().removesuffix(".exe") not in known:
        err = f'Get-Process : Cannot find a process with the name "{proc}". Verify the process name and call the cmdlet again.\n'
        return run.plan(3.0, lambda: ("", err), exit_code=1)
    pid = 600 + int(hashlib.sha1((run.m.id + proc.lower()).encode(), usedforsecurity=False).hexdigest()[:4], 16) % 9000
    stem = proc.removesuffix(".exe")
    path = f"{outdir}\\{stem}_{pid}.dmp"
    zipped = (
        f"{outdir}\\{stem}.dmp.zip"  # what the docs' example fetches next: C:\windows\TEMP\OfficeClickToRun.dmp.zip
    )
    body = f"Dumping {proc} (PID {pid}) ...\nDump written: {path} (8,388,608 bytes)\nCompressed: {zipped}\n"
    creates: dict[str, FileRef] = {path: ("dmp", run.m.id, path), zipped: ("dmpzip", run.m.id, zipped)}
    return run.plan(20 + run.rng.random() * 15, lambda: (body, ""), creates=creates)


def _yara(run: ScriptRun) -> ScriptPlan:
    win, argv, rng = run.win, run.argv, run.rng
    target = (option(argv, "Path") if win else (argv[1] if len(argv) > 1 else None)) or (
        "C:\\Users" if win else "/home"
    )
    hit = rng.random() < 0.35
    sep = "\\" if win else "/"

    def body() -> tuple[str, str]:
        # the file count is drawn when the output is rendered, from the plan's generator (as it always was)
        lines = [f"Scanning {target} with rules.yar ..."]
        if hit:
            lines.append(f"Mimikatz_Strings {target}{sep}Public{sep}Downloads{sep}m.exe")
            lines.append(f"CobaltStrike_Beacon {target}{sep}alice{sep}AppData{sep}Local{sep}Temp{sep}upd.dll")
        lines.append(f"{rng.randint(2000, 90000)} files scanned, {2 if hit else 0} matches")
        return "\n".join(lines) + "\n", "warning: skipping locked file pagefile.sys\n" if win else ""

    return run.plan(60 + rng.random() * 60, body, exit_code=1 if hit else 0)


def _event_logs(run: ScriptRun) -> ScriptPlan:
    raw = option(run.argv, "Hours")
    hours = int(raw or 24) if (raw or "24").isdigit() else 24
    return run.plan(30 + run.rng.random() * 20, lambda: (event_log(run.m, run.sub_rng("e"), hours), ""))


_SOFTWARE = [
    ("Microsoft Edge", "125.0.2535.85", "Microsoft Corporation"),
    ("7-Zip 23.01 (x64)", "23.01", "Igor Pavlov"),
    ("Google Chrome", "125.0.6422.142", "Google LLC"),
    ("Notepad++ (64-bit x64)", "8.6.7", "Notepad++ Team"),
    ("AnyDesk", "8.0.10", "philandro Software GmbH"),
    ("Python 3.12.3 (64-bit)", "3.12.3", "Python Software Foundation"),
    ("[bold]Totally Legit VPN[/bold]", "1.0", f"{ESC}[5mEvil Corp{ESC}[0m"),
]


def _software_table() -> tuple[str, str]:
    rows = ["DisplayName                                DisplayVersion   Publisher"]
    rows += [f"{n:<42} {v:<16} {p}" for n, v, p in _SOFTWARE]
    return "\n".join(rows) + "\n", (
        "Get-ItemProperty : Requested registry access is not allowed.\n"
        "At C:\\ProgramData\\...\\Get-InstalledSoftware.ps1:1 char:1\n"
    )


def _software(run: ScriptRun) -> ScriptPlan:
    return run.plan(8 + run.rng.random() * 4, _software_table)


def _bitlocker(run: ScriptRun) -> ScriptPlan:
    if run.m.server or run.rng.random() < 0.3:
        err = "ERROR: An error occurred (code 0x80070005):\nAccess is denied.\n"
        return run.plan(4.0, lambda: ("", err), exit_code=5)
    out = "Volume C: [OSDisk]\n    Conversion Status:    Fully Encrypted\n    Protection Status:    Protection On\n"
    return run.plan(4.0, lambda: (out, ""))


def _fleet(render: Callable[[str], str], base_s: float) -> Behaviour:
    """A structured fleet script (CSV or JSON lines, see ``fleet``): the same on most machines."""

    def behaviour(run: ScriptRun) -> ScriptPlan:
        return run.plan(base_s + run.rng.random() * base_s, lambda: (render(run.m.id), ""))

    return behaviour


def _endless(run: ScriptRun) -> ScriptPlan:
    return run.plan(10**9, lambda: ("Waiting for events...\n", ""), hang=True)


def _uploaded(run: ScriptRun) -> ScriptPlan:
    """Uploaded or unknown scripts: ``# sim:`` directives, else a generic echo of the arguments."""
    d = directives(run.item.content)
    try:
        duration = float(d.get("duration", 3 + run.rng.random() * 3))
        exit_code = int(d.get("exit_code", 0))
        out_bytes = int(d.get("output_bytes", 0))
    except ValueError:
        duration, exit_code, out_bytes = 3.0, 0, 0
    creates: dict[str, FileRef] = {}
    if d.get("creates"):
        for p in d["creates"].split(";"):
            if p:
                creates[p] = ("generic", run.m.id, p)
    host, name, args = short_host(run.m), run.name, run.args

    def generic() -> tuple[str, str]:
        out = d.get("stdout", f"{name} ran on {host} with arguments: {args or '(none)'}\n")
        if out_bytes:
            line = f"{host} lorem ipsum output line for {name} 0123456789 abcdefghijklmnopqrstuvwxyz\n"
            out = out + line * (out_bytes // len(line) + 1)
            out = out[:out_bytes]
        return out, d.get("stderr", "")

    return run.plan(duration, generic, exit_code=exit_code, creates=creates, hang="hang" in d, fail=d.get("fail"))


BEHAVIOURS: dict[str, Behaviour] = {
    "get-processes.ps1": _processes,
    "ps_list.sh": _processes,
    "get-netconnections.ps1": _connections,
    "netconns.sh": _connections,
    "get-autoruns.ps1": _autoruns,
    "persistence.sh": _autoruns,
    "invoke-triage.ps1": _triage_windows,
    "triage.sh": _triage_posix,
    "minidump.ps1": _minidump,
    "yara_scan.ps1": _yara,
    "yara_scan.sh": _yara,
    "export-eventlogs.ps1": _event_logs,
    "get-installedsoftware.ps1": _software,
    "get-bitlockerstatus.ps1": _bitlocker,
    "watch-processcreation.ps1": _endless,
    "tail_auth.sh": _endless,
    "get-autoruns.csv.ps1": _fleet(autoruns_csv, 10),
    "get-processimages.jsonl.ps1": _fleet(process_images_jsonl, 5),
    "get-listeners.csv.ps1": _fleet(listeners_csv, 4),
}
