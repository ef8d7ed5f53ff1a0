"""Which machines ``lrtui run`` targets: ``--machine``, ``--machines-file`` and ``--filter``, every one
validated before anything is sent (unknown ones are named together)."""

from __future__ import annotations

from pathlib import Path

from lrtui.api.client import MdeClient
from lrtui.api.errors import NotFound, ValidationError
from lrtui.api.models import Machine


def parse_machines_file(path: Path) -> list[str]:
    """Ids or names, one per line. Bad lines are named; nothing is sent when any is bad."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ValidationError(f"Cannot read the machines file {path}: {e.strerror}.") from None
    out, bad = [], []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if any(c.isspace() for c in line) or any(ord(c) < 32 for c in line) or "'" in line or len(line) > 255:
            bad.append(f"line {n}: {raw.strip()!r}")
        else:
            out.append(line)
    if bad:
        raise ValidationError(
            f"{path}: {len(bad)} bad line(s): " + "; ".join(bad[:10]) + (" ..." if len(bad) > 10 else ""),
            hint="One machine id or computer name per line.",
        )
    if not out:
        raise ValidationError(f"{path} names no machines.")
    return out


async def resolve_targets(
    client: MdeClient, names: list[str], *, machines_file: Path | None = None, odata_filter: str | None = None
) -> list[Machine]:
    """Every machine, validated before anything is sent. Unknown ones are named together."""
    names = list(names)
    if machines_file is not None:
        names += parse_machines_file(machines_file)
    machines: list[Machine] = []
    if odata_filter:
        machines += await client.machines.list(filter=odata_filter)
        if not machines and not names:
            raise ValidationError(f"The filter {odata_filter!r} matches no machines; nothing was sent.")
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
            f"Unknown machine(s): {', '.join(unknown)}. Nothing was sent.",
            hint="Check the id or computer name (lrtui opens a searchable list).",
        )
    unique: dict[str, Machine] = {}
    for m in machines:
        unique.setdefault(m.id, m)
    return list(unique.values())
