"""Which machines ``lrtui run`` targets: ``--machine``, ``--machines-file`` and ``--filter``, every one
validated before anything is sent (unknown ones are named together)."""

from __future__ import annotations

import sys
from pathlib import Path

from lrtui.api.client import MdeClient
from lrtui.api.errors import NotFound, ValidationError
from lrtui.api.models import Machine
from lrtui.api.text import clean_line

#: a machines file (or standard input) larger than this is refused: 16 MiB is about 300k names
MACHINES_FILE_MAX = 16 << 20
STDIN = Path("-")
#: a longer ``--filter`` would not fit in a request URL; a machine id is 40 characters, a computer name at most 255
MAX_FILTER = 4096
MAX_REF = 255


def bad_ref(ref: str) -> bool:
    """Not a machine id or computer name: spaces, control characters, a quote, or too long."""
    return any(c.isspace() or ord(c) < 32 for c in ref) or "'" in ref or len(ref) > MAX_REF


def _read_machines_text(path: Path) -> str:
    """The file's text (``-``: standard input), bounded, as UTF-8; a clear ``ValidationError`` otherwise."""
    where = "standard input" if path == STDIN else str(path)
    try:
        if path == STDIN:
            data = sys.stdin.buffer.read(MACHINES_FILE_MAX + 1)
        else:
            with path.open("rb") as f:
                data = f.read(MACHINES_FILE_MAX + 1)
    except OSError as e:
        raise ValidationError(f"Cannot read the machines file {where}: {e.strerror}.") from None
    if len(data) > MACHINES_FILE_MAX:
        raise ValidationError(f"The machines file {where} is larger than 16 MiB; split it.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValidationError(
            f"The machines file {where} is not UTF-8 text (byte {e.start}).", hint="Save it as UTF-8."
        ) from None


def parse_machines_file(path: Path) -> list[str]:
    """Ids or names, one per line (``-``: standard input). Bad lines are named; nothing is sent when any is bad."""
    text = _read_machines_text(path)
    where = "standard input" if path == STDIN else str(path)
    out, bad = [], []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if bad_ref(line):
            bad.append(f"line {n}: {clean_line(raw.strip())[:80]!r}")
        else:
            out.append(line)
    if bad:
        raise ValidationError(
            f"{where}: {len(bad)} bad line(s): " + "; ".join(bad[:10]) + (" ..." if len(bad) > 10 else ""),
            hint="One machine id or computer name per line.",
        )
    if not out:
        raise ValidationError(f"{where} names no machines.")
    return out


def check_action_ids(ids: list[str]) -> None:
    """An ``ACTION_ID`` no action could have (far longer than a GUID) is refused before any call."""
    for aid in ids:
        if len(aid) > MAX_REF:
            raise ValidationError(
                f"ACTION_ID {clean_line(aid)[:40]!r}... is {len(aid):,} characters long; action ids are GUIDs "
                "(36 characters).",
                hint="Copy the id from `lrtui actions` or the portal's action center.",
            )


def check_refs(names: list[str], odata_filter: str | None) -> None:
    """``--machine`` values and ``--filter`` that no request could carry are refused before any call."""
    bad = [n for n in names if bad_ref(n)]
    if bad:
        shown = "; ".join(f"{clean_line(b)[:80]!r} ({len(b):,} characters)" for b in bad[:5])
        raise ValidationError(
            f"Not a machine id or computer name: {shown}.",
            hint=f"Give one id or name (at most {MAX_REF} characters, no spaces or quotes) per --machine.",
        )
    if odata_filter is not None and len(odata_filter) > MAX_FILTER:
        raise ValidationError(
            f"--filter is {len(odata_filter):,} characters long; the limit is {MAX_FILTER:,}.",
            hint="Narrow the filter, or list the machines in a --machines-file.",
        )


async def resolve_targets(
    client: MdeClient, names: list[str], *, machines_file: Path | None = None, odata_filter: str | None = None
) -> list[Machine]:
    """Every machine, validated before anything is sent. Unknown ones are named together."""
    names = [n.strip() for n in names]
    check_refs(names, odata_filter)
    if machines_file is not None:
        names += parse_machines_file(machines_file)
    machines: list[Machine] = []
    if odata_filter:
        machines += await client.machines.list(filter=odata_filter)
        if not machines and not names:
            raise ValidationError(f"The filter {clean_line(odata_filter)!r} matches no machines; nothing was sent.")
    if not names and not odata_filter:
        raise ValidationError("No targets: give --machine, --machines-file or --filter.")
    unknown = []
    for name in dict.fromkeys(names):
        try:
            machines.append(await client.machines.get(name))
        except NotFound:
            unknown.append(name)
    if unknown:
        raise ValidationError(
            f"Unknown machine(s): {', '.join(clean_line(u)[:255] for u in unknown)}. Nothing was sent.",
            hint="Check the id or computer name (lrtui opens a searchable list).",
        )
    unique: dict[str, Machine] = {}
    for m in machines:
        unique.setdefault(m.id, m)
    return list(unique.values())
