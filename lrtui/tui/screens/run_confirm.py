"""Confirm a run: the targets, the exact body, what the budgets mean for this batch, pre-flight issues.

Refuses to go without a comment or while there are errors (``D`` drops the machines that have errors: they
would be refused anyway). Above ``bulk_confirm_threshold`` machines it asks to type the count. Dismisses with
the machines to submit, or None.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from lrtui.api.errors import error_text
from lrtui.api.sequence import Sequence
from lrtui.api.text import clean_line
from lrtui.tui.glyphs import current
from lrtui.tui.safe_text import append_clean, plain
from lrtui.tui.screens.canary_fields import CanaryFields

if TYPE_CHECKING:
    from lrtui.api.models import Machine
    from lrtui.engine.canary import CanaryPlan
    from lrtui.engine.engine import Engine
    from lrtui.engine.jobs import PreflightIssue


def human_duration(seconds: float) -> str:
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s} second{'s' if s != 1 else ''}"
    m = round(s / 60)
    if m < 90:
        return f"{m} minute{'s' if m != 1 else ''}"
    return f"{s / 3600:.1f} hours"


def group_issues(issues: list[PreflightIssue]) -> list[tuple[str, str, list[str]]]:
    """(level, first message, machine names), errors first; messages that differ only by the machine's name
    or by numbers are merged, so 40 machines with the same problem make one line."""
    groups: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for i in issues:
        key = re.sub(r"\d+", "#", i.message.replace(i.machine_name, "\0")) if i.machine_name else i.message
        first, names = groups.setdefault((i.level, key), (i.message, []))
        names.append(i.machine_name)
    ordered = sorted(groups.items(), key=lambda kv: kv[0][0] != "error")
    return [(lvl, first, names) for (lvl, _), (first, names) in ordered]


HINT = "y/enter run · D drop machines with errors · n/esc cancel"
BULK_HINT = "type the count, then enter to run · D drop machines with errors · n/esc cancel"


class CountInput(Input):
    """The bulk run's count field: it takes digits only, so y, n and D stay the dialog's keys while it has focus."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character is not None and character.isdigit()


class RunConfirmScreen(ModalScreen["list[Machine] | None"]):
    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")
    BINDINGS = [
        # priority: they work while the (digits-only) count field has focus
        Binding("y,enter", "confirm", "Run", id="run-confirm", tooltip="Submit the sequence", priority=True),
        Binding(
            "D",
            "drop_errors",
            "Drop refused",
            id="run-drop-errors",
            tooltip="Leave out the machines with errors",
            priority=True,
        ),
        Binding("n,escape", "cancel", "Cancel", id="run-cancel", priority=True),
    ]

    def __init__(
        self,
        sequence: Sequence,
        machines: tuple[Machine, ...] | list[Machine],
        engine: Engine,
        *,
        threshold: int = 20,
        problems: list[str] | None = None,
        comment_prefix: str = "",
    ) -> None:
        super().__init__()
        self.sequence = sequence
        self.machines = list(machines)
        self.engine = engine
        self.threshold = threshold
        self.problems = list(problems or [])
        self.comment_prefix = comment_prefix
        self.issues: list[PreflightIssue] | None = None
        self.preflight_failed: str | None = None
        self.plan: CanaryPlan | None = None  #: the canary fields' plan, set when confirmed (bulk runs)

    # ---------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        with Vertical(id="run-dialog"):
            with VerticalScroll(id="run-details"):
                yield Static(id="run-targets", markup=False)
                yield Static(id="run-estimate", markup=False)
                yield Static(Text("Pre-flight: checking...", style="dim"), id="run-issues", markup=False)
                yield Static(Text("Body", style="bold"), markup=False)
                yield Static(plain(self.sequence.to_json(indent=2)), id="run-body", markup=False)
            if len(self.machines) > 1:
                yield CanaryFields(len(self.machines), id="run-canary")
            yield CountInput(id="run-count", restrict=r"[0-9]*", max_length=7)
            yield Static(id="run-status", markup=False)
            yield Static(Text(HINT, style="dim"), markup=False, id="run-hint")

    def on_mount(self) -> None:
        self._render_targets()
        self.query_one("#run-count", Input).display = False
        self._update_count_prompt()
        self._preflight()

    @property
    def needs_count(self) -> bool:
        return len(self.machines) > self.threshold

    def _render_targets(self) -> None:
        n = len(self.machines)
        self.query_one(
            "#run-dialog"
        ).border_title = f"Run {len(self.sequence.commands)} commands on {n} machine{'s' if n != 1 else ''}"
        t = Text()
        t.append(f"Targets ({n}): ", style="bold")
        append_clean(t, ", ".join(m.name for m in self.machines[:12]))
        if n > 12:
            t.append(f" and {n - 12} more", style="dim")
        t.append("\nComment: ", style="bold")
        append_clean(
            t,
            self.sequence.comment or "(none: required)",
            "" if self.sequence.comment.strip() else "bold red",
        )
        if self.comment_prefix.strip() and self.sequence.comment.strip() == self.comment_prefix.strip():
            t.append("  (only the profile's prefix: say why, if you can)", style="yellow")
        self.query_one("#run-targets", Static).update(t)
        self.query_one("#run-estimate", Static).update(Text(self.estimate()))  # coloured in run_confirm.tcss

    def estimate(self) -> str:
        """The engine's estimate text for this batch, plus the wait for jobs already queued."""
        n = len(self.machines)
        offline = sum(1 for m in self.machines if not m.is_online)
        try:
            from lrtui.engine.batch import estimate_text

            text = estimate_text(n, offline, self.engine.budget.settings)
            queued = self.engine.budget_snapshot().queued
            if queued:
                text += f"; {queued} jobs already queued go first (all sent in about {human_duration(self.engine.estimate(n, offline))})"
            return text
        except Exception:
            return f"{n} machine{'s' if n != 1 else ''}, {offline} offline."

    def _update_count_prompt(self) -> None:
        inp = self.query_one("#run-count", Input)
        inp.display = self.needs_count
        hint = HINT
        if self.needs_count:
            inp.placeholder = f"This is a bulk run: type {len(self.machines)} here, then enter"
            inp.border_title = f"Type {len(self.machines)} to confirm"
            inp.focus()  # typed digits go into the field at once
            hint = BULK_HINT
        self.query_one("#run-hint", Static).update(Text(hint, style="dim"))

    # ---------------------------------------------------------------- pre-flight

    @work(exclusive=True, group="run-preflight", exit_on_error=False)
    async def _preflight(self) -> None:
        try:
            self.issues = list(await self.engine.preflight(self.sequence, list(self.machines)))
        except Exception as e:
            self.issues = []
            self.preflight_failed = error_text(e)
        self._render_issues()

    def _errors(self) -> list[str]:
        errs = list(self.problems)
        for i in self.issues or ():
            if i.level == "error":
                errs.append(i.message)
        return errs

    def _render_issues(self) -> None:
        t = Text()
        for p in self.problems:
            t.append(f"{current().fail} ", style="bold red")
            t.append(p + "\n")
        if self.preflight_failed:
            t.append("! ", style="bold yellow")
            t.append(
                f"Pre-flight could not finish ({clean_line(self.preflight_failed)}); the engine checks again when submitting.\n"
            )
        groups = [g for g in group_issues(self.issues or []) if g[1] not in self.problems]
        for level, msg, names in groups:  # every one: the details scroll
            t.append(
                f"{current().fail} " if level == "error" else "! ",
                style="bold red" if level == "error" else "bold yellow",
            )
            append_clean(t, msg)
            if len(names) > 1:
                t.append(f"  (and {len(names) - 1} more machine{'s' if len(names) > 2 else ''} like it)", style="dim")
            elif names and names[0] not in msg:
                t.append("  (", style="dim")
                append_clean(t, names[0], "dim")
                t.append(")", style="dim")
            t.append("\n")
        if not t.plain:
            t.append(f"{current().ok} Pre-flight: no issues.", style="green")
        else:
            t.rstrip()
        self.query_one("#run-issues", Static).update(t)

    # ---------------------------------------------------------------- actions

    def _status(self, text: str, style: str = "bold red") -> None:
        self.query_one("#run-status", Static).update(Text(text, style=style))

    def refusal(self) -> str | None:
        if not self.sequence.comment.strip():
            return "A comment is required: close this (esc), fill in the comment (c), then run again."
        if self.issues is None:
            return "Pre-flight is still checking; try again in a moment."
        if not self.machines:
            return "No machines left to run on."
        errs = self._errors()
        if errs:
            droppable = bool(self._error_machine_ids()) and not self.problems
            more = " Press D to leave out the machines with errors." if droppable else ""
            return f"Refused: {len(errs)} error{'s' if len(errs) != 1 else ''} above must be fixed first.{more}"
        canary = self.query(CanaryFields)
        if canary and (problem := canary.first().problem()):
            return problem
        if self.needs_count and self.query_one("#run-count", Input).value.strip() != str(len(self.machines)):
            return f"Type {len(self.machines)} (the number of machines) to confirm this bulk run."
        return None

    def _error_machine_ids(self) -> set[str]:
        ids = {m.id for m in self.machines}
        return {i.machine_id for i in self.issues or () if i.level == "error" and i.machine_id in ids}

    def action_confirm(self) -> None:
        reason = self.refusal()
        if reason:
            self._status(reason)
            self.app.bell()
            if self.needs_count and reason.startswith("Type "):
                self.query_one("#run-count", Input).focus()
            return
        canary = self.query(CanaryFields)
        self.plan = canary.first().plan() if canary else None
        self.dismiss(list(self.machines))

    def action_drop_errors(self) -> None:
        bad = self._error_machine_ids()
        if self.issues is None or not bad:
            self._status("No machine has an error to drop.", "yellow")
            return
        if self.problems:
            self._status("The sequence itself has errors; dropping machines would not fix them.")
            return
        self.machines = [m for m in self.machines if m.id not in bad]
        self.issues = [i for i in self.issues if i.machine_id not in bad]
        self._render_targets()
        self._render_issues()
        self._update_count_prompt()
        for fields in self.query(CanaryFields):
            fields.set_machines(len(self.machines))
        self._status(f"Left out {len(bad)} machine{'s' if len(bad) != 1 else ''} with errors.", "yellow")

    def action_cancel(self) -> None:
        self.dismiss(None)
