"""Pre-flight: every reason a machine would be refused, found before any call is spent.

Errors refuse the machine (its job becomes REFUSED, nothing is sent). Warnings are shown but the machine is
submitted: offline devices queue for up to 3 days, a machine not seen for days may be gone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from lrtui.api.enums import CommandType
from lrtui.api.errors import ValidationError
from lrtui.api.models import LibraryFile, Machine
from lrtui.api.paths import validate_path
from lrtui.api.sequence import MAX_COMMENT, Sequence, check_args, check_name, order_problem
from lrtui.engine.jobs import PreflightIssue

MB = 1024 * 1024
#: room for the analyst's comment once the job marker `` [lrtui-job:<32 hex>]`` is appended
COMMENT_ROOM = MAX_COMMENT - len(" [lrtui-job:]") - 32
PUTFILE_LIMIT = {"windows": 300 * MB}
PUTFILE_LIMIT_OTHER = 10 * MB
STALE_DAYS = 7
WIN10_MIN = 1709
SERVER_OK = ("2012r2", "2016", "2019", "2022", "2025")
MACOS_MIN = 11
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


def _days_since(ts: datetime | None, now: datetime) -> float | None:
    if ts is None:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return (now - ts).total_seconds() / 86400.0


def check_machine(
    seq: Sequence, m: Machine, library: dict[str, LibraryFile] | None, now: datetime | None = None
) -> list[PreflightIssue]:
    now = now or datetime.now(UTC)
    out: list[PreflightIssue] = []

    def err(msg: str) -> None:
        out.append(PreflightIssue(m.id, m.name, "error", msg))

    def warn(msg: str) -> None:
        out.append(PreflightIssue(m.id, m.name, "warning", msg))

    problem = os_problem(m)
    if problem:
        err(problem)
    fam = m.os_family
    for i, c in enumerate(seq.commands):
        n = i + 1
        if c.type is CommandType.GET_FILE:
            try:
                validate_path(c.value, fam if fam != "unknown" else ("linux" if c.value.startswith("/") else "windows"))
            except ValidationError as e:
                err(f"Command {n} (GetFile): {e.user_message()}")
            continue
        if c.args:
            try:
                check_args(c.args)
            except ValidationError as e:
                err(f"Command {n} ({c.type.value}): {e.message}")
        if library is not None:
            item = library.get(c.value)
            if item is None:
                err(
                    f"Command {n} ({c.type.value}): {c.value!r} is not in the live response library. Upload it "
                    "first (Library pane, or lrtui library upload)."
                )
                continue
            if c.type is CommandType.PUT_FILE:
                size = library_size(item)
                limit = PUTFILE_LIMIT.get(fam, PUTFILE_LIMIT_OTHER)
                if size is not None and size > limit:
                    err(
                        f"Command {n} (PutFile): {c.value} is {size / MB:.1f} MB; putfile allows "
                        f"{limit // MB} MB on {'Windows' if fam == 'windows' else 'this OS'}."
                    )
    days = _days_since(m.last_seen, now)
    if not m.is_online:
        warn(
            f"{m.name} is {m.health_status or 'not active'}: the action will queue on the service for up to 3 "
            "days and run when the device connects."
        )
    if days is not None and days >= STALE_DAYS:
        warn(f"{m.name} was last seen {days:.0f} days ago; it may be gone or re-imaged.")
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
) -> list[PreflightIssue]:
    """Issues for every machine. A plain string in ``machines`` is an id or name that could not be resolved."""
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
                )
            )
            continue
        for p in problems:
            out.append(PreflightIssue(m.id, m.name, "error", p))
        out.extend(check_machine(seq, m, lib, now))
    return out


def refused_ids(issues: Iterable[PreflightIssue]) -> dict[str, str]:
    """machine id -> the first error message, for the machines pre-flight refuses."""
    out: dict[str, str] = {}
    for i in issues:
        if i.level == "error":
            out.setdefault(i.machine_id, i.message)
    return out
