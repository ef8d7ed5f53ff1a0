"""Identifier checks and URL path segments for the MDE API (no call is made for a bad id)."""

from __future__ import annotations

import re
from urllib.parse import quote as _urlquote

from lrtui.api import errors as E

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_MACHINE_ID = re.compile(r"^[0-9a-fA-F]{40}$")


def segment(value: str) -> str:
    """One path segment, percent-encoded (a name can never add a path segment or a query)."""
    return _urlquote(value, safe="")


def check_action_id(action_id: str) -> str:
    """The action id, or ``BadRequest`` (no call made) when it cannot be one."""
    s = (action_id or "").strip()
    if _GUID.match(s):
        return s
    if _MACHINE_ID.match(s):
        raise E.BadRequest(
            f"{s!r} looks like a machine id, not an action id.",
            hint="Action ids are GUIDs like 7f0c2a9e-1111-4c2b-9d3e-2a6f5b8c9d01.",
        )
    raise E.BadRequest(
        f"{action_id!r} is not an action id.", hint="Action ids are GUIDs like 7f0c2a9e-1111-4c2b-9d3e-2a6f5b8c9d01."
    )


def check_machine_id(machine_id: str) -> str:
    """The machine id (or name) stripped, or ``ValidationError`` when it is empty."""
    s = (machine_id or "").strip()
    if not s:
        raise E.ValidationError("A machine id is required.")
    return s
