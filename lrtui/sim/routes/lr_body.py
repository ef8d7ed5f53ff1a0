"""The ``runliveresponse`` request body: ``Comment`` and ``Commands`` (types, params, order, library files).

Property names are case-sensitive unless ``lenient`` (then a wrong case is accepted and fixed). ``Comment`` is
optional. Every rule raises a 400 InvalidRequestBody that names the offending part."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from typing import Any

from lrtui.api.enums import CommandType

from .replies import HttpError

__all__ = ["LR_PARAM_KEYS", "parse_lr_body"]

LR_PARAM_KEYS = {
    CommandType.PUT_FILE: ({"FileName"}, {"FileName"}),
    CommandType.RUN_SCRIPT: ({"ScriptName"}, {"ScriptName", "Args"}),
    CommandType.GET_FILE: ({"Path"}, {"Path"}),
}
_RANK = {CommandType.PUT_FILE: 0, CommandType.RUN_SCRIPT: 1, CommandType.GET_FILE: 2}
_MISSING = object()


def _bad(msg: str) -> HttpError:
    return HttpError(400, "InvalidRequestBody", msg)


@dataclass(frozen=True)
class _Fields:
    """Reads properties by exact name; a wrong-case name is an error, or accepted when ``lenient``."""

    lenient: bool

    def get(self, obj: dict[str, Any], key: str, where: str) -> Any:
        if key in obj:
            return obj[key]
        for k in obj:
            if k.lower() == key.lower():
                if self.lenient:
                    return obj[k]
                raise _bad(
                    f"{where}: '{k}' is not a valid property name; property names are case-sensitive, use '{key}'."
                )
        return _MISSING


def parse_lr_body(body: Any, library: Container[str], lenient: bool) -> tuple[str | None, list[dict[str, Any]]]:
    """(comment, commands as ``{"type", "params": [{"key", "value"}]}``) from a valid body, read from JSON.
    ``Comment`` may be left out (the run page does not mark it required): the comment is None then."""
    if not isinstance(body, dict):
        raise _bad("The request body must be a JSON object with 'Comment' and 'Commands'.")
    fields = _Fields(lenient)
    commands = fields.get(body, "Commands", "Request body")
    if commands is _MISSING:
        raise _bad("The Commands field is required.")
    comment = fields.get(body, "Comment", "Request body")
    if comment is _MISSING:
        comment = None
    if comment is not None and not isinstance(comment, str):
        raise _bad("The Comment field must be a string.")
    if not isinstance(commands, list) or not commands:
        raise _bad("Commands must be a non-empty array of commands.")
    out: list[dict[str, Any]] = []
    prev_type: CommandType | None = None
    for i, c in enumerate(commands):
        typ, seen = _command(fields, c, f"Commands[{i}]", prev_type, library)
        prev_type = typ
        out.append({"type": str(typ), "params": [{"key": k, "value": v} for k, v in seen.items()]})
    return comment, out


def _command(
    fields: _Fields, c: Any, where: str, prev_type: CommandType | None, library: Container[str]
) -> tuple[CommandType, dict[str, str]]:
    if not isinstance(c, dict):
        raise _bad(f"{where} must be an object with 'type' and 'params'.")
    typ = _command_type(fields, c, where)
    params = fields.get(c, "params", where)
    if params is _MISSING:
        raise _bad(f"{where}: the 'params' field is required.")
    if not isinstance(params, list):
        raise _bad(f'{where}: \'params\' must be an array of {{"key": ..., "value": ...}} objects.')
    required, allowed = LR_PARAM_KEYS[typ]
    seen: dict[str, str] = {}
    for j, p in enumerate(params):
        k, v = _param(fields, p, f"{where}.params[{j}]", typ, allowed)
        if k in seen:
            raise _bad(f"{where}.params[{j}]: parameter '{k}' is given twice.")
        seen[k] = v
    for r in sorted(required):
        if r not in seen or not seen[r].strip():
            raise _bad(f"{where}: {typ} requires the parameter '{r}'.")
    if prev_type is not None and _RANK[typ] < _RANK[prev_type]:
        raise _bad(
            f"{where}: commands must be ordered PutFile first, then RunScript, then GetFile; "
            f"'{typ}' cannot follow '{prev_type}'."
        )
    if typ == CommandType.PUT_FILE and seen["FileName"] not in library:
        raise _bad(f"{where}: the file '{seen['FileName']}' was not found in the library.")
    if typ == CommandType.RUN_SCRIPT and seen["ScriptName"] not in library:
        raise _bad(f"{where}: the script '{seen['ScriptName']}' was not found in the library.")
    return typ, seen


def _command_type(fields: _Fields, c: dict[str, Any], where: str) -> CommandType:
    typ = fields.get(c, "type", where)
    if typ is _MISSING:
        raise _bad(f"{where}: the 'type' field is required.")
    if not isinstance(typ, str):
        raise _bad(f"{where}: 'type' must be a string (PutFile, RunScript or GetFile).")
    exact = next((t for t in LR_PARAM_KEYS if t == typ), None)
    if exact is not None:
        return exact
    fixed = next((t for t in LR_PARAM_KEYS if t.lower() == typ.lower()), None)
    if not (fields.lenient and fixed):
        raise _bad(f"{where}: '{typ}' is not a valid command type; use PutFile, RunScript or GetFile (case-sensitive).")
    return fixed


def _param(fields: _Fields, p: Any, where: str, typ: CommandType, allowed: set[str]) -> tuple[str, str]:
    if not isinstance(p, dict):
        raise _bad(f"{where} must be an object with 'key' and 'value'.")
    k = fields.get(p, "key", where)
    v = fields.get(p, "value", where)
    if k is _MISSING or v is _MISSING:
        raise _bad(f"{where} needs both 'key' and 'value'.")
    if not isinstance(k, str) or not isinstance(v, str):
        raise _bad(f"{where}: 'key' and 'value' must be strings.")
    if k not in allowed:
        fixed_k = next((a for a in allowed if a.lower() == k.lower()), None)
        if not (fields.lenient and fixed_k):
            raise _bad(
                f"{where}: '{k}' is not a valid parameter for {typ}; expected {', '.join(sorted(allowed))} (case-sensitive)."
            )
        k = fixed_k
    return k, v
