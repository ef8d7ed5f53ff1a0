"""Details of the highlighted machine. Every value comes from the tenant and is shown as plain text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.color import Color
from textual.widgets import Static

from lrtui.api.text import clean_report
from lrtui.tui.glyphs import current
from lrtui.tui.safe_text import NOTE_STYLE, append_clean, note
from lrtui.tui.widgets.machines.columns import relative_age

if TYPE_CHECKING:
    from lrtui.api.models import Machine

OFFLINE_NOTE = "offline: live response will queue up to 3 days"


def _when(value: datetime | None, now: float) -> str:
    if value is None:
        return "-"
    stamp = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{stamp} ({relative_age(value, now)} ago)"


def _ips(machine: Machine) -> str:
    seen: list[str] = []
    for ip in machine.ip_addresses or ():
        a = ip.ip_address
        if a and a not in seen and not a.startswith(("127.", "::1", "fe80")):
            seen.append(a)
    if machine.last_ip_address and machine.last_ip_address not in seen:
        seen.insert(0, machine.last_ip_address)
    text = ", ".join(seen[:4]) + (f" +{len(seen) - 4}" if len(seen) > 4 else "")
    if machine.last_external_ip_address:
        text += f"  (external {machine.last_external_ip_address})"
    return text or "-"


def detail_items(machine: Machine, now: float) -> list[tuple[str, str]]:
    """(label, value) pairs, most useful first; values are raw (cleaned when rendered)."""
    os_bits = " ".join(
        str(x) for x in (machine.os_platform, machine.version, f"build {machine.os_build}" if machine.os_build else None,
                         machine.os_architecture) if x
    )  # fmt: skip
    return [
        ("OS", os_bits or "-"),
        ("Health", machine.health_status or "-"),
        ("Risk", machine.risk_score or "-"),
        ("Exposure", machine.exposure_level or "-"),
        ("IPs", _ips(machine)),
        ("Last seen", _when(machine.last_seen, now)),
        ("Group", machine.rbac_group_name or "(ungrouped)"),
        ("Tags", ", ".join(machine.machine_tags) if machine.machine_tags else "(none)"),
        ("Onboarding", machine.onboarding_status or "-"),
        ("Value", machine.device_value or "-"),
        ("Agent", machine.agent_version or "-"),
        ("First seen", _when(machine.first_seen, now)),
        ("Id", machine.id),
    ]


def details_text(machine: Machine, now: float, *, width: int = 80, warning: str = "bold") -> Text:
    """The details as a ``Text``: labels dim, values plain and cleaned, packed into lines of ``width``."""
    out = Text(no_wrap=False, overflow="fold")
    name, removed = clean_report(machine.name, multiline=False)
    out.append(name, style="bold")
    if removed:
        out.append(f"  {note(removed)} (name)", style=NOTE_STYLE)
    if not machine.is_online:
        offline = f"{current().warn} {OFFLINE_NOTE}"
        out.append("\n" if len(name) + 2 + len(offline) > width else "  ")
        out.append(offline, style=warning)
    used = width  # force a new line before the first item
    gap = "   "
    for label, value in detail_items(machine, now):
        chunk = Text()
        chunk.append(f"{label} ", style="dim")
        append_clean(chunk, value)
        if used + len(gap) + chunk.cell_len > width:
            out.append("\n")
            used = 0
        elif used:
            out.append(gap)
            used += len(gap)
        out.append_text(chunk)
        used += chunk.cell_len
    return out


class MachineDetails(Static):
    """OS, version, IPs, last seen, health, risk, exposure, group, tags, onboarding of one machine."""

    def __init__(self, *, clock: Callable[[], float] | None = None, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id)
        self._clock = clock
        self._machine: Machine | None = None

    def show_machine(self, machine: Machine | None) -> None:
        self.set_class(machine is not None and not machine.is_online, "-offline")
        if machine is None:
            self._machine = None
            self.update(Text("No machine highlighted.", style="dim"), layout=False)
            return
        now = self._clock() if self._clock else 0.0
        colour = self.app.theme_variables.get("warning") if not self.app.no_color else None
        if colour:  # a theme colour as rich reads it: "ansi_yellow" (the terminal theme) is "color(3)" there
            colour = Color.parse(colour).rich_color.name
        self._machine = machine
        width = max(20, self.content_region.width or self.app.size.width - 2)
        text = details_text(machine, now, width=width, warning=f"bold {colour}" if colour else "bold reverse")
        self.update(text, layout=False)  # fixed height (see pane.tcss): no layout pass per keystroke

    def on_resize(self) -> None:
        if self._machine is not None:
            self.show_machine(self._machine)

    def show_message(self, message: str) -> None:
        self._machine = None
        self.set_class(False, "-offline")
        self.update(Text(message, style="dim"), layout=False)
