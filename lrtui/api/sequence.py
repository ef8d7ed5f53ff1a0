"""The command-sequence rules as plain functions and an immutable ``Sequence``.

The service accepts PutFile*, then RunScript*, then GetFile*. A ``Sequence`` is always in that order: adding
a command places it at the end of its own group, and a move across groups is refused with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from lrtui.api.enums import CommandType
from lrtui.api.errors import ValidationError
from lrtui.api.paths import validate_path

#: Group rank of each command type: the order the service demands.
GROUP_ORDER: dict[str, int] = {CommandType.PUT_FILE: 0, CommandType.RUN_SCRIPT: 1, CommandType.GET_FILE: 2}
ALLOWED_ORDER_TEXT = "PutFile commands first, then RunScript, then GetFile"

#: Characters the live response console refuses in script arguments (and the API likely mangles).
FORBIDDEN_ARG_CHARS = ";&|!$"
MAX_COMMENT = 1000
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
MAX_ARGS = 2000
MAX_NAME = 255

PARAM_KEY = {CommandType.PUT_FILE: "FileName", CommandType.RUN_SCRIPT: "ScriptName", CommandType.GET_FILE: "Path"}


class SequenceError(ValidationError):
    """A rule of the sequence was broken; the message says which and what to do."""


@dataclass(frozen=True, slots=True)
class Command:
    type: CommandType
    value: str  #: library file name (PutFile), script name (RunScript) or device path (GetFile)
    args: str | None = None  #: RunScript only

    @property
    def group(self) -> int:
        return GROUP_ORDER[self.type]

    def label(self) -> str:
        extra = f" {self.args}" if self.args else ""
        return f"{self.type.value} {self.value}{extra}"

    def to_wire(self) -> dict[str, Any]:
        params = [{"key": PARAM_KEY[self.type], "value": self.value}]
        if self.type is CommandType.RUN_SCRIPT and self.args:
            params.append({"key": "Args", "value": self.args})
        return {"type": self.type.value, "params": params}


def check_args(args: str) -> None:
    bad = sorted({c for c in args if c in FORBIDDEN_ARG_CHARS})
    if bad:
        raise SequenceError(
            f"Script arguments may not contain {' '.join(bad)}: the service refuses ; & | ! $ in arguments.",
            hint="Pass the value another way (for example inside the script, or as a file put with PutFile).",
        )
    if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c in BIDI_CONTROLS for c in args):
        raise SequenceError("Script arguments may not contain control characters, bidi overrides or line breaks.")
    if len(args) > MAX_ARGS:
        raise SequenceError(f"Script arguments are {len(args)} characters long; the limit is {MAX_ARGS}.")


def check_name(kind: str, name: str) -> None:
    if not name or not name.strip():
        raise SequenceError(f"{kind} needs a library file name.")
    if name != name.strip():
        raise SequenceError(f"{kind} name {name!r} has leading or trailing spaces; remove them.")
    if len(name) > MAX_NAME:
        raise SequenceError(f"{kind} name is longer than {MAX_NAME} characters.")
    if any(c in "/\\" or ord(c) < 32 for c in name):
        raise SequenceError(f"{kind} name {name!r} must be a library file name, not a path.")


def make_command(
    type_: CommandType | str, value: str, args: str | None = None, *, os_family: str | None = None
) -> Command:
    """Build one command, checking its own rules (not its position)."""
    try:
        t = CommandType(type_)
    except ValueError:
        raise SequenceError(f"Unknown command type {type_!r}; use PutFile, RunScript or GetFile.") from None
    args = args if args else None
    if args is not None and t is not CommandType.RUN_SCRIPT:
        raise SequenceError(f"Args belong to RunScript only, not to {t.value}.")
    if t is CommandType.GET_FILE:
        validate_path(value, os_family or "windows")
    else:
        check_name(t.value, value)
    if args is not None:
        check_args(args)
    return Command(t, value, args)


def insert_position(commands: tuple[Command, ...], cmd: Command) -> int:
    """Where ``cmd`` goes: right after the last command of its own group (or where that group starts)."""
    pos = 0
    for i, c in enumerate(commands):
        if c.group <= cmd.group:
            pos = i + 1
    return pos


def is_ordered(commands: Iterable[Command | str]) -> bool:
    ranks = [GROUP_ORDER[c.type if isinstance(c, Command) else CommandType(c)] for c in commands]
    return all(a <= b for a, b in zip(ranks, ranks[1:]))


def order_problem(types: list[str]) -> str | None:
    """None when ``types`` is in an order the service accepts, else a message naming the first offender."""
    last = -1
    for i, t in enumerate(types):
        rank = GROUP_ORDER.get(t)
        if rank is None:
            return f"Command {i + 1} has unknown type {t!r}; use PutFile, RunScript or GetFile."
        if rank < last:
            prev = next(k for k, v in GROUP_ORDER.items() if v == last)
            return f"Command {i + 1} ({t}) comes after a {prev}: the service needs {ALLOWED_ORDER_TEXT}."
        last = rank
    return None


@dataclass(frozen=True, slots=True)
class Sequence:
    commands: tuple[Command, ...] = ()
    comment: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)  # unknown body keys from from_body()

    # ------------------------------------------------------------ edits (each returns a new Sequence)

    def add(self, cmd: Command) -> Sequence:
        pos = insert_position(self.commands, cmd)
        return replace(self, commands=self.commands[:pos] + (cmd,) + self.commands[pos:])

    def remove(self, index: int) -> Sequence:
        self._check_index(index)
        return replace(self, commands=self.commands[:index] + self.commands[index + 1 :])

    def replace_at(self, index: int, cmd: Command) -> Sequence:
        self._check_index(index)
        if cmd.group != self.commands[index].group:
            raise SequenceError(f"Cannot turn a {self.commands[index].type.value} into a {cmd.type.value} in place.")
        cmds = list(self.commands)
        cmds[index] = cmd
        return replace(self, commands=tuple(cmds))

    def move(self, index: int, delta: int) -> Sequence:
        """Move a command up (delta<0) or down within its group; across groups is refused with the reason."""
        self._check_index(index)
        target = index + delta
        if target < 0 or target >= len(self.commands):
            raise SequenceError("The command is already at the edge of the sequence.")
        me, other = self.commands[index], self.commands[target]
        if me.group != other.group:
            raise SequenceError(
                f"A {me.type.value} cannot move past a {other.type.value}: the service runs {ALLOWED_ORDER_TEXT}."
            )
        cmds = list(self.commands)
        cmds.pop(index)
        cmds.insert(target, me)
        return replace(self, commands=tuple(cmds))

    def with_comment(self, comment: str) -> Sequence:
        return replace(self, comment=comment)

    def _check_index(self, index: int) -> None:
        if not 0 <= index < len(self.commands):
            raise SequenceError(f"There is no command {index + 1}; the sequence has {len(self.commands)}.")

    # ------------------------------------------------------------ checks and wire format

    def problems(self, os_family: str | None = None) -> list[str]:
        """Every reason the service would refuse this sequence, as messages; empty when it is ready."""
        out: list[str] = []
        if not self.commands:
            out.append("The sequence is empty: add at least one command.")
        if not self.comment.strip():
            out.append("A comment is required: say who runs this and why (for example the case id).")
        elif len(self.comment) > MAX_COMMENT:
            out.append(f"The comment is {len(self.comment)} characters; the limit is {MAX_COMMENT}.")
        problem = order_problem([c.type.value for c in self.commands])
        if problem:
            out.append(problem)
        for i, c in enumerate(self.commands):
            try:
                make_command(c.type, c.value, c.args, os_family=os_family)
            except ValidationError as e:
                out.append(f"Command {i + 1}: {e.message}")
        return out

    def validate(self, os_family: str | None = None) -> None:
        problems = self.problems(os_family)
        if problems:
            raise SequenceError(" ".join(problems))

    def to_body(self) -> dict[str, Any]:
        """Exactly ``{"Commands": [...], "Comment": ...}`` (the documented casing)."""
        return {"Commands": [c.to_wire() for c in self.commands], "Comment": self.comment}

    def to_json(self, indent: int | None = None) -> str:
        """The body as JSON: backslashes escaped by JSON itself, never by hand."""
        return json.dumps(self.to_body(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Sequence:
        """Read a body (or a past action's ``commands`` echo) back into a Sequence, keeping the given order."""
        raw = body.get("Commands", body.get("commands"))
        if not isinstance(raw, list):
            raise SequenceError("The body has no Commands list.")
        comment = body.get("Comment", body.get("comment", body.get("requestorComment"))) or ""
        cmds: list[Command] = []
        for i, item in enumerate(raw):
            spec = item.get("command", item) if isinstance(item, dict) else None
            if not isinstance(spec, dict):
                raise SequenceError(f"Command {i + 1} is not an object.")
            t = spec.get("type")
            params = {p.get("key"): p.get("value") for p in spec.get("params") or [] if isinstance(p, dict)}
            try:
                if not isinstance(t, str):
                    raise ValueError(t)
                ct = CommandType(t)
            except ValueError:
                raise SequenceError(f"Command {i + 1} has unknown type {t!r}.") from None
            value = params.get(PARAM_KEY[ct])
            if not isinstance(value, str):
                raise SequenceError(f"Command {i + 1} ({t}) has no {PARAM_KEY[ct]}.")
            cmds.append(Command(ct, value, params.get("Args") or None))
        extra = {k: v for k, v in body.items() if k not in {"Commands", "Comment", "commands", "comment"}}
        return cls(tuple(cmds), str(comment), extra)


def sequence_from_commands(commands: list[Command], comment: str) -> Sequence:
    """Build a sequence keeping the given order; raises with the allowed order when it is wrong."""
    problem = order_problem([c.type.value for c in commands])
    if problem:
        raise SequenceError(problem)
    return Sequence(tuple(commands), comment)
