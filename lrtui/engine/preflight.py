"""Pre-flight: every reason a machine would be refused or would wait, found before any submission is spent.

Errors refuse the machine (its job becomes REFUSED, nothing is sent): an OS or agent live response refuses
(``ClientVersionNotSupported`` is predictable from the machine's data), a bad path, a file not in the library.
Warnings are shown but the machine is submitted: offline devices queue for up to 3 days, a machine not seen for
days may be gone, a machine that already has an active live response action makes the job wait (the service
takes one at a time), a library script whose description says it never ends by itself holds its session until
the 10-minute RunScript timeout, and a script whose parameters the library marks as required is run without
Args.

Version thresholds (mde-api.md 3.3 item 10, from the live response documentation's requirements): Windows 10
version 1709 or later (older feature updates need the listed KBs, so 1709 is the floor), Windows 11, Windows
Server 2012 R2 and later; macOS 11 or later; the Defender agent on macOS at least 101.43.84 and on Linux at least
101.45.13. No minimum is documented for the Windows sensor, so none is checked.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from lrtui.api import odata
from lrtui.api.enums import CommandType
from lrtui.api.errors import ValidationError
from lrtui.api.models import LibraryFile, Machine, MachineAction
from lrtui.api.paths import validate_path
from lrtui.api.sequence import MAX_COMMENT, Command, Sequence, check_args, check_name, order_problem
from lrtui.api.text import clean
from lrtui.engine.jobs import PreflightIssue

if TYPE_CHECKING:
    from lrtui.api.client import MdeClient

MB = 1024 * 1024
#: room for the analyst's comment once the job marker `` [lrtui-job:<32 hex>]`` is appended
COMMENT_ROOM = MAX_COMMENT - len(" [lrtui-job:]") - 32
PUTFILE_LIMIT = {"windows": 300 * MB}
PUTFILE_LIMIT_OTHER = 10 * MB
STALE_DAYS = 7
#: local checks: space kept free (as ``ResultLimits.disk_margin``) plus, per machine, what one GetFile / RunScript
#: is expected to collect (not the 3 GB cap, which would refuse every batch; each download checks again)
DISK_MARGIN, GETFILE_RESERVE, RUNSCRIPT_RESERVE = 256 * MB, 32 * MB, 1 * MB
WIN10_MIN = 1709
SERVER_OK = ("2012r2", "2016", "2019", "2022", "2025")
MACOS_MIN = 11
#: the agent versions live response needs (documented "minimum required version" per platform)
AGENT_MIN = {"macos": (101, 43, 84), "linux": (101, 45, 13)}
#: how much of another action's comment a busy warning quotes
COMMENT_QUOTE = 60
#: a library description saying the script does not end by itself
NEVER_ENDS = re.compile(
    r"never (?:ends|exits|stops|terminates|returns|finishes)|until (?:stopped|cancell?ed|killed|interrupted)"
    r"|runs? (?:forever|indefinitely)|(?:does not|doesn't) (?:end|exit|stop|terminate|finish)|infinite loop",
    re.IGNORECASE,
)
#: a parameters description marking a parameter as required (and not "not required")
REQUIRED = re.compile(r"(?<!not )(?<!non-)\b(?:required|mandatory)\b", re.IGNORECASE)
_SIZE_KEYS = ("size", "file_size", "fileSize", "length", "sizeInBytes", "size_in_bytes")


def library_size(item: LibraryFile) -> int | None:
    """The size in bytes when the library entry carries one (not a documented field)."""
    extra = item.model_extra or {}
    for k in _SIZE_KEYS:
        v = extra.get(k)
        if isinstance(v, (int, float)) and v >= 0:
            return int(v)
    return None


def _version_number(v: str | None) -> int | None:
    """Windows 10 feature versions: ``1709`` -> 1709, ``21H2`` -> 2109 (H1 = 03, H2 = 09)."""
    if not v:
        return None
    v = v.strip().upper()
    if re.fullmatch(r"\d{4}", v):
        return int(v)
    m = re.fullmatch(r"(\d{2})H([12])", v)
    if m:
        return int(m.group(1)) * 100 + (3 if m.group(2) == "1" else 9)
    return None


def os_problem(m: Machine) -> str | None:
    """A sentence when the machine's OS is below the documented minimum for live response, else None."""
    p = (m.os_platform or "").lower().replace(" ", "")
    if p == "windows10":
        n = _version_number(m.version)
        if n is not None and n < WIN10_MIN:
            return (
                f"{m.name} runs Windows 10 version {m.version}; live response needs version 1709 or later. "
                "Update the device first."
            )
    elif p.startswith("windowsserver"):
        rest = p.removeprefix("windowsserver")
        if rest and not any(rest.startswith(ok) for ok in SERVER_OK):
            return (
                f"{m.name} runs {m.os_platform}; live response supports Windows Server 2012 R2, 2016, 2019, "
                "2022 and 2025."
            )
        if rest.startswith("2012") and not rest.startswith("2012r2"):
            return f"{m.name} runs Windows Server 2012; live response needs 2012 R2 or later."
    elif p.startswith("windows") and p[7:9] in ("7", "8", "8.", "81", "xp", "vi"):
        return f"{m.name} runs {m.os_platform}; live response needs Windows 10 (1709+) or 11."
    elif p.startswith("mac"):
        v = (m.os_version or m.version or "").strip()
        major = re.match(r"(\d+)", v)
        if major and int(major.group(1)) < MACOS_MIN:
            return f"{m.name} runs macOS {v}; live response needs macOS 11 or later."
    return None


def _version_tuple(v: str | None) -> tuple[int, ...] | None:
    """``101.24052.0002`` -> (101, 24052, 2); None when it is not dotted numbers."""
    if not v or not re.fullmatch(r"\d+(?:\.\d+)*", v.strip()):
        return None
    return tuple(int(p) for p in v.strip().split("."))


def agent_problem(m: Machine) -> str | None:
    """A sentence when the machine's Defender agent is older than live response accepts (the service answers
    ``ClientVersionNotSupported``), else None."""
    least = AGENT_MIN.get(m.os_family)
    have = _version_tuple(m.agent_version)
    if least is None or have is None or have >= least:
        return None
    need = ".".join(str(p) for p in least)
    return (
        f"{m.name} runs Defender agent {clean(m.agent_version, multiline=False)}; live response needs {need} or "
        "later on this OS (the service would answer ClientVersionNotSupported). Update the agent first."
    )


def busy_problem(m: Machine, active: list[MachineAction]) -> str | None:
    """A sentence when ``m`` already has an active live response action (who holds it, when the service says)."""
    mine = [a for a in active if a.machine_id in (None, m.id) and a.is_active and a.type in (None, "LiveResponse")]
    if not mine:
        return None
    a = mine[0]
    who = f" by {clean(a.requestor, multiline=False)}" if a.requestor else ""
    comment = clean(a.requestor_comment or "", multiline=False).strip()
    if len(comment) > COMMENT_QUOTE:
        comment = comment[: COMMENT_QUOTE - 1] + "…"
    said = f' ("{comment}")' if comment else ""
    return (
        f"{m.name} already has a live response action ({clean(a.status or 'active', multiline=False)}{who}{said}); "
        "the service takes one at a time, so this job waits until that one ends. Cancel it if it is not needed."
    )


def script_problems(n: int, name: str, args: str | None, item: LibraryFile) -> list[tuple[str, str]]:
    """(kind, sentence) for a RunScript the library describes as never ending, or as needing parameters that
    the command does not give."""
    out: list[tuple[str, str]] = []
    if item.description and NEVER_ENDS.search(item.description):
        out.append(
            (
                "never-ends",
                f"Command {n} (RunScript): the library says {name} never ends by itself; it runs until the 10-minute "
                "RunScript timeout (the action ends TimeOut) and holds a live response session all that time.",
            )
        )
    pdesc = item.parameters_description or ""
    if not (args or "").strip() and REQUIRED.search(pdesc):
        out.append(
            (
                "parameters",
                f"Command {n} (RunScript): the library marks parameters of {name} as required "
                f"({clean(pdesc, multiline=False)[:120]}), but the command has no Args. Add them.",
            )
        )
    return out


def _days_since(ts: datetime | None, now: datetime) -> float | None:
    if ts is None:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return (now - ts).total_seconds() / 86400.0


def _library_issues(n: int, c: Command, fam: str, item: LibraryFile) -> list[tuple[str, str, str]]:
    """(level, kind, sentence) for a library command whose file is in the library."""
    out: list[tuple[str, str, str]] = []
    if c.type is CommandType.RUN_SCRIPT:
        out.extend(("warning", kind, msg) for kind, msg in script_problems(n, c.value, c.args, item))
    if c.type is CommandType.PUT_FILE:
        size = library_size(item)
        limit = PUTFILE_LIMIT.get(fam, PUTFILE_LIMIT_OTHER)
        if size is not None and size > limit:
            where = "Windows" if fam == "windows" else "this OS"
            msg = f"Command {n} (PutFile): {c.value} is {size / MB:.1f} MB; putfile allows {limit // MB} MB on {where}."
            out.append(("error", "size", msg))
    return out


def command_issues(seq: Sequence, fam: str, library: dict[str, LibraryFile] | None) -> list[tuple[str, str, str]]:
    """(level, kind, sentence) for each command's problems on a machine of OS family ``fam``."""
    out: list[tuple[str, str, str]] = []
    for n, c in enumerate(seq.commands, 1):
        if c.type is CommandType.GET_FILE:
            try:
                validate_path(c.value, fam if fam != "unknown" else ("linux" if c.value.startswith("/") else "windows"))
            except ValidationError as e:
                out.append(("error", "path", f"Command {n} (GetFile): {e.user_message()}"))
            continue
        if c.args:
            try:
                check_args(c.args)
            except ValidationError as e:
                out.append(("error", "args", f"Command {n} ({c.type.value}): {e.message}"))
        if library is None:
            continue
        item = library.get(c.value)
        if item is None:
            msg = (
                f"Command {n} ({c.type.value}): {c.value!r} is not in the live response library. Upload it "
                "first (Library pane, or lrtui library upload)."
            )
            out.append(("error", "library", msg))
            continue
        out.extend(_library_issues(n, c, fam, item))
    return out


def check_machine(
    seq: Sequence,
    m: Machine,
    library: dict[str, LibraryFile] | None,
    now: datetime | None = None,
    active: list[MachineAction] | None = None,
) -> list[PreflightIssue]:
    now = now or datetime.now(UTC)
    out: list[PreflightIssue] = []

    def err(msg: str, kind: str = "") -> None:
        out.append(PreflightIssue(m.id, m.name, "error", msg, kind))

    def warn(msg: str, kind: str = "") -> None:
        out.append(PreflightIssue(m.id, m.name, "warning", msg, kind))

    for kind, problem in (("os", os_problem(m)), ("agent", agent_problem(m))):
        if problem:
            err(problem, kind)
    busy = busy_problem(m, active or [])
    if busy:
        warn(busy, "busy")
    for level, kind, msg in command_issues(seq, m.os_family, library):
        (err if level == "error" else warn)(msg, kind)
    days = _days_since(m.last_seen, now)
    if not m.is_online:
        warn(
            f"{m.name} is {m.health_status or 'not active'}: the action will queue on the service for up to 3 "
            "days and run when the device connects.",
            "offline",
        )
    if days is not None and days >= STALE_DAYS:
        warn(f"{m.name} was last seen {days:.0f} days ago; it may be gone or re-imaged.", "stale")
    return out


def sequence_problems(seq: Sequence) -> list[str]:
    """The sequence's own problems (empty, comment, order, names); paths are checked per machine's OS."""
    out: list[str] = []
    if not seq.commands:
        out.append("The sequence is empty: add at least one command.")
    if not seq.comment.strip():
        out.append("A comment is required: say who runs this and why (for example the case id).")
    elif len(seq.comment) > COMMENT_ROOM:
        out.append(
            f"The comment is {len(seq.comment)} characters; the limit is {COMMENT_ROOM} (lrtui adds its "
            f"job marker to the service's {MAX_COMMENT})."
        )
    problem = order_problem([c.type.value for c in seq.commands])
    if problem:
        out.append(problem)
    for i, c in enumerate(seq.commands):
        if c.type is not CommandType.GET_FILE:
            try:
                check_name(c.type.value, c.value)
            except ValidationError as e:
                out.append(f"Command {i + 1}: {e.message}")
    return out


def preflight(
    seq: Sequence,
    machines: Iterable[Machine | str],
    library: Iterable[LibraryFile] | None = None,
    *,
    now: datetime | None = None,
    active: dict[str, list[MachineAction]] | None = None,
) -> list[PreflightIssue]:
    """Issues for every machine. A plain string in ``machines`` is an id or name that could not be resolved;
    ``active`` maps a machine id to its active live response actions (when they could be listed)."""
    lib = {f.file_name: f for f in library} if library is not None else None
    out: list[PreflightIssue] = []
    problems = sequence_problems(seq)
    for m in machines:
        if isinstance(m, str):
            out.append(
                PreflightIssue(
                    m,
                    m,
                    "error",
                    f"No machine {m!r} is known to the tenant; check the id or "
                    "name (machines the account cannot see are not listed).",
                    "unknown",
                )
            )
            continue
        for p in problems:
            out.append(PreflightIssue(m.id, m.name, "error", p, "sequence"))
        out.extend(check_machine(seq, m, lib, now, (active or {}).get(m.id)))
    return out


#: machine ids per list call when looking for active actions (the URL stays short)
BUSY_CHUNK = 40


def active_filter(machine_ids: list[str]) -> str:
    """Live response actions still pending or in progress on any of ``machine_ids``."""
    status = odata.or_(odata.eq("status", "Pending"), odata.eq("status", "InProgress"))
    return odata.and_(odata.eq("type", "LiveResponse"), status, odata.in_("machineId", machine_ids))


async def active_actions(client: MdeClient, machine_ids: Iterable[str]) -> dict[str, list[MachineAction]]:
    """machine id -> its active live response actions, one list call per ``BUSY_CHUNK`` machines."""
    ids = sorted(set(machine_ids))
    out: dict[str, list[MachineAction]] = {}
    for i in range(0, len(ids), BUSY_CHUNK):
        chunk = ids[i : i + BUSY_CHUNK]
        for a in await client.actions.list(filter=active_filter(chunk), top=4 * len(chunk)):
            if a.machine_id is not None:
                out.setdefault(a.machine_id, []).append(a)
    return out


def refused_ids(issues: Iterable[PreflightIssue]) -> dict[str, str]:
    """machine id -> the first error message, for the machines pre-flight refuses."""
    out: dict[str, str] = {}
    for i in issues:
        if i.level == "error":
            out.setdefault(i.machine_id, i.message)
    return out


def _existing(path: Path) -> Path:  # ``path`` or its nearest existing ancestor
    return next((p for p in (path.absolute(), *path.absolute().parents) if p.exists()), Path(path.anchor or "/"))


def _shown(path: Path) -> str:  # a path as a message names it (a 100k-character one shortened)
    return str(path) if len(str(path)) <= 300 else f"{str(path)[:120]}... ({len(str(path)):,} characters)"


def _folder_problem(folder: Path, what: str) -> str | None:
    try:
        where = _existing(folder)
        if not where.is_dir():
            return f"{what} {_shown(folder)} cannot be created: {_shown(where)} is not a folder. Choose another."
        if not os.access(where, os.W_OK | os.X_OK):
            return f"{what} {_shown(folder)} is not writable. Choose another folder or fix its permissions."
    except OSError as e:  # a name too long, a folder that cannot be looked into
        return f"{what} {_shown(folder)} cannot be used ({e.strerror}). Choose another folder."
    return None


def space_needed(sequence: Sequence, n_machines: int, margin: int = DISK_MARGIN) -> int:
    kinds = [c.type for c in sequence.commands]
    per = kinds.count(CommandType.GET_FILE) * GETFILE_RESERVE + kinds.count(CommandType.RUN_SCRIPT) * RUNSCRIPT_RESERVE
    return margin + per * n_machines if per else 0


def local_checks(
    out_dir: Path, journal_path: Path, sequence: Sequence, n_machines: int, *, margin: int = DISK_MARGIN
) -> list[PreflightIssue]:
    """Blocking, before any call: ``out_dir`` and the journal writable, free space for what the run collects."""
    folders = ((out_dir, "The output folder"), (journal_path.parent, "The journal's folder"))
    problems = [_folder_problem(folder, what) for folder, what in folders]
    if not problems[1] and (journal_path.is_dir() or (journal_path.exists() and not os.access(journal_path, os.W_OK))):
        problems.append(f"The journal {journal_path} is not a writable file. Fix its permissions or move it aside.")
    out = [PreflightIssue("", "", "error", p, "local") for p in problems if p]
    if out or not (need := space_needed(sequence, n_machines, margin)):
        return out
    if (free := shutil.disk_usage(_existing(out_dir)).free) < need:
        msg = (
            f"Not enough free space in {out_dir}: {need:,} bytes are needed ({margin // MB} MiB kept free, plus "
            f"{GETFILE_RESERVE // MB} MiB per GetFile and {RUNSCRIPT_RESERVE // MB} MiB per RunScript on each of "
            f"{n_machines} machine(s)) and {free:,} are free. Free some space or choose another --out."
        )
        out.append(PreflightIssue("", "", "error", msg, "space"))
    return out
