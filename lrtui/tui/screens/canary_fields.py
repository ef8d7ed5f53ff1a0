"""The run confirmation's canary fields (bulk runs): how many machines go first, the canary's allowed failures
and the failure limit for the rest. Checked as they are typed (the message says what is wrong); what was typed
stays when the machine list changes. ``plan()`` gives the engine's ``CanaryPlan`` (None: no canary, no limit)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static

from lrtui.engine.canary import CanaryPlan, parse_fraction
from lrtui.tui.styled import styled


class DigitsInput(Input):
    """Takes digits only, so y, n and D stay the dialog's keys while it has focus."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character is not None and character.isdigit()


class ShareInput(Input):
    """A share (10%, 0.1): takes digits, ``.`` and ``%`` only."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character is not None and (character.isdigit() or character in ".%")


class CanaryFields(Vertical):
    """Canary size, canary max failures, max failures; ``problem()`` says what is wrong, ``plan()`` the plan."""

    DEFAULT_CSS = """
    CanaryFields { height: auto; }
    CanaryFields Horizontal { height: 3; }
    CanaryFields Input { width: 1fr; height: 3; border: round $panel-lighten-2; }
    CanaryFields Input:focus { border: round $accent; }
    CanaryFields #canary-check { height: auto; }
    """

    def __init__(self, machines: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.machines = machines

    def compose(self) -> ComposeResult:
        with Horizontal():
            size = DigitsInput(id="canary-size", restrict=r"[0-9]*", max_length=6, placeholder="none")
            size.border_title = "Canary machines"
            yield size
            canary_max = ShareInput(id="canary-max-failures", restrict=r"[0-9.%]*", max_length=6, placeholder="0%")
            canary_max.border_title = "Canary may fail"
            yield canary_max
            limit = ShareInput(id="max-failures", restrict=r"[0-9.%]*", max_length=6, placeholder="no limit")
            limit.border_title = "Max failures"
            yield limit
        yield Static(id="canary-check", markup=False)

    def on_mount(self) -> None:
        self.check()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.check()

    def set_machines(self, machines: int) -> None:
        """The machine list changed (D dropped some): the fields keep their text and are checked again."""
        self.machines = machines
        self.check()

    def _value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value.strip()

    def problem(self) -> str | None:
        """What is wrong with the fields, as a sentence (None: fine)."""
        size = self._value("canary-size")
        if size and not (1 <= int(size) < self.machines):
            return f"Canary: give 1 to {self.machines - 1} machines (fewer than the {self.machines} targets), or leave it empty."
        for field, name in (("canary-max-failures", "Canary may fail"), ("max-failures", "Max failures")):
            text = self._value(field)
            if text:
                try:
                    parse_fraction(text)
                except ValueError as e:
                    return f"{name}: {e}."
        if self._value("canary-max-failures") and not size:
            return "Canary may fail: set the canary's machines first, or leave it empty."
        return None

    def plan(self) -> CanaryPlan | None:
        """The plan the fields describe (call when ``problem()`` is None)."""
        size, limit = self._value("canary-size"), self._value("max-failures")
        if not size and not limit:
            return None
        canary_max = self._value("canary-max-failures")
        return CanaryPlan(
            int(size) if size else 0,
            canary_max_failures=parse_fraction(canary_max) if canary_max else 0.0,
            max_failures=parse_fraction(limit) if limit else None,
        )

    def check(self) -> None:
        problem = self.problem()
        check = self.query_one("#canary-check", Static)
        if problem:
            check.update(styled(problem, "bold red"))
        else:
            plan = self.plan()
            if plan is None:
                words = "No canary: every machine is queued at once."
            elif plan.size:
                words = f"{plan.size} canary machine(s) first (spread over platforms and groups); the rest only if they pass."
            else:
                words = "No canary; the batch pauses when failures pass the limit."
            check.update(Text(words, style="dim"))
