"""Text about the targets and soft checks of a sequence against them (pure functions, no widgets)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.text import Text

from lrtui.api.enums import CommandType
from lrtui.api.sequence import Command
from lrtui.tui.safe_text import append_clean
from lrtui.tui.widgets.sequence.getfile_input import FAMILY_LABEL

if TYPE_CHECKING:
    from lrtui.api.models import Machine


def targets_text(machines: tuple[Machine, ...]) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")
    if not machines:
        t.append("No targets: ", style="bold yellow")
        t.append("mark machines in Machines (1, then space).", style="yellow")
        return t
    fams: dict[str, int] = {}
    for m in machines:
        fams[m.os_family] = fams.get(m.os_family, 0) + 1
    offline = sum(1 for m in machines if not m.is_online)
    t.append(f"{len(machines)} target{'s' if len(machines) != 1 else ''}", style="bold")
    t.append(" · " + ", ".join(f"{n} {FAMILY_LABEL.get(f, f)}" for f, n in sorted(fams.items())))
    if offline:
        t.append(f" · {offline} offline", style="yellow")
    t.append(": ")
    append_clean(t, ", ".join(m.name.split(".", 1)[0] for m in machines[:6]))
    if len(machines) > 6:
        t.append(f" and {len(machines) - 6} more", style="dim")
    return t


def script_mismatch(commands: Iterable[Command], families: set[str]) -> str | None:
    """A warning when a PowerShell script goes to Linux/macOS targets or a shell script to Windows ones."""
    for c in commands:
        if c.type is not CommandType.RUN_SCRIPT:
            continue
        name = c.value.lower()
        if name.endswith(".ps1") and families & {"linux", "macos"}:
            return f"Warning: {c.value} is a PowerShell script, but some targets run Linux or macOS (they run Bash)."
        if name.endswith(".sh") and "windows" in families:
            return f"Warning: {c.value} is a shell script, but some targets run Windows (they run PowerShell)."
    return None
