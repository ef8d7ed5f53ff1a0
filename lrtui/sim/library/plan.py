"""What one RunScript does (:class:`ScriptPlan`), and what a script behaviour is given (:class:`ScriptRun`)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from ..tenant import MachineRec
from .catalogue import LibraryItem
from .output import seeded_rng, transcript

__all__ = ["NUL_PADDED_SHARE", "FileRef", "Render", "ScriptPlan", "ScriptRun", "no_output", "nul_padding"]

Render = Callable[[], tuple[str, str]]  # () -> (stdout, stderr)
FileRef = tuple[str, str, str]  # (kind, machine id, path) of a file a script creates


def no_output() -> tuple[str, str]:
    return "", ""


NUL_PADDED_SHARE = 0.3  # share of script outputs that end in NUL padding


def nul_padding(*key: object) -> str:
    """The NULs some outputs end with, as in the service's documented example (``51 MB\\n\\u0000\\u0000\\u0000``):
    none for most runs, 1 to 8 for about :data:`NUL_PADDED_SHARE` of them, drawn from ``key`` (deterministic per
    seed, and from its own generator, so every other part of the output stays as it was)."""
    rng = seeded_rng("nul", *key)
    return "\x00" * rng.randint(1, 8) if rng.random() < NUL_PADDED_SHARE else ""


@dataclass
class ScriptPlan:
    """What one RunScript does. ``render()`` produces (stdout, stderr) on demand."""

    script_name: str
    duration_s: float  # service seconds
    exit_code: int = 0
    hang: bool = False
    fail: str | None = None  # the command itself fails with this error
    creates: dict[str, FileRef] = field(default_factory=dict)  # path -> file recipe
    render: Render = no_output


@dataclass(frozen=True)
class ScriptRun:
    """One RunScript of ``item`` on ``m``: what every behaviour reads. ``rng`` decides the plan (draw order
    matters: the same seed gives the same tenant); output is rendered later from its own seed."""

    item: LibraryItem
    m: MachineRec
    args: str | None
    argv: list[str]
    seed: object
    when: str
    rng: random.Random

    @property
    def name(self) -> str:
        return self.item.file_name

    @property
    def win(self) -> bool:
        return self.m.family == "windows"

    def sub_rng(self, tag: str) -> random.Random:
        """The seeded generator of one part of the output (``p`` processes, ``n`` connections, ...)."""
        return seeded_rng(tag, self.seed, self.m.id)

    def wrap(self, body: Render) -> Render:
        """The renderer of ``body``: on Windows the output sits inside a PowerShell transcript."""

        def render() -> tuple[str, str]:
            r = seeded_rng("out", self.seed, self.m.id, self.name, self.args)
            out, err = body()
            if self.win:
                out = transcript(self.m, r, self.when, out)
            pad = nul_padding(self.seed, self.m.id, self.name, self.args) if out else ""
            return out + pad, err

        return render

    def plan(
        self,
        duration_s: float,
        body: Render,
        *,
        exit_code: int = 0,
        creates: dict[str, FileRef] | None = None,
        hang: bool = False,
        fail: str | None = None,
    ) -> ScriptPlan:
        """A plan that prints ``body`` (wrapped)."""
        return ScriptPlan(self.name, duration_s, exit_code, hang, fail, dict(creates or {}), render=self.wrap(body))
