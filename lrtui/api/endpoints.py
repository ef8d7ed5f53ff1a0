"""Which API budget a call counts against: one key per API page of the documentation.

Each MDE API page states its own "100 calls per minute and 1500 calls per hour" (mde-api.md 11), so the
engine budgets each endpoint separately. ``endpoint_key(method, path)`` names the budget of a call:

==================  ==========================================================================
``machines``        ``GET /api/machines`` (list, one machine, ``findbyip``, ``findbytag``)
``machineactions``  ``GET /api/machineactions`` (the list)
``machineaction``   ``GET /api/machineactions/{id}`` (one action)
``resultlink``      ``GET /api/machineactions/{id}/GetLiveResponseResultDownloadLink(index=n)``
``library``         ``/api/libraryfiles`` (list, upload, delete)
``cancel``          ``POST /api/machineactions/{id}/cancel``
``runliveresponse`` ``POST /api/machines/{id}/runliveresponse``: its own rate budget; never general-gated
``other``           anything else (a path lrtui does not call today)
==================  ==========================================================================
"""

from __future__ import annotations

from typing import Final
from urllib.parse import unquote, urlsplit

MACHINES: Final = "machines"
MACHINE_ACTIONS: Final = "machineactions"
MACHINE_ACTION: Final = "machineaction"
RESULT_LINK: Final = "resultlink"
LIBRARY: Final = "library"
CANCEL: Final = "cancel"
RUN_LIVE_RESPONSE: Final = "runliveresponse"
OTHER: Final = "other"

#: the keys the general gate is called with (every endpoint but runliveresponse)
GENERAL_KEYS: Final = (MACHINES, MACHINE_ACTIONS, MACHINE_ACTION, RESULT_LINK, LIBRARY, CANCEL, OTHER)


def endpoint_key(method: str, path: str) -> str:
    """The budget key of a call to ``path`` (a path or a full URL; case-insensitive; query ignored)."""
    try:
        raw = urlsplit(path).path
    except ValueError:
        return OTHER
    parts = [p for p in unquote(raw).lower().split("/") if p]
    if parts and parts[0] == "api":
        parts = parts[1:]
    if not parts:
        return OTHER
    head, rest = parts[0], parts[1:]
    if head == "machines":
        if method.upper() == "POST" and rest and rest[-1] == "runliveresponse":
            return RUN_LIVE_RESPONSE
        return MACHINES
    if head == "libraryfiles":
        return LIBRARY
    if head == "machineactions":
        return _action_key(method, rest)
    return OTHER


def _action_key(method: str, rest: list[str]) -> str:
    if not rest:
        return MACHINE_ACTIONS
    if len(rest) >= 2 and rest[1].startswith("getliveresponseresultdownloadlink"):
        return RESULT_LINK
    if len(rest) >= 2 and rest[1] == "cancel" and method.upper() == "POST":
        return CANCEL
    return MACHINE_ACTION
