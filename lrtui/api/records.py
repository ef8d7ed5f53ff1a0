"""What the client emits about its calls: ``RequestRecord`` (one HTTP attempt) and ``RequestHub`` (its fan-out)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One API call, for the request log. ``url`` is already redacted (no SAS signature)."""

    at: float
    method: str
    url: str
    status: int | None
    elapsed_ms: float
    error: str | None = None  #: error code or transport failure
    attempt: int = 1
    retry_after: float | None = None  #: seconds the service asked to wait (429), when the client knows it
    #: the API budget the call counts against (``lrtui.api.endpoints.endpoint_key``; "" for a result-link GET
    #: on the blob host, "runliveresponse" for the POST)
    endpoint: str = ""


@dataclass(frozen=True, slots=True)
class MalformedItem:
    """One item of a list answer that is not a valid entity: kept raw and reported; it never fails the page.

    ``raw`` is the item exactly as received (untrusted: clean it before showing); ``error`` is lrtui's
    description of the first problem (already cleaned); ``endpoint`` the path it came from."""

    raw: dict[str, Any]
    error: str
    endpoint: str = ""


#: receives each malformed list item (``ApiTransport(on_malformed=...)`` or a per-call override)
MalformedFn = Callable[[MalformedItem], None]


class RequestHub:
    """Passes every ``RequestRecord`` to its subscribers (the client's ``on_request``; the engine subscribes).

    One subscriber's exception is logged and does not stop the others.
    """

    def __init__(self) -> None:
        self._subscribers: list[Callable[[RequestRecord], None]] = []

    def add(self, cb: Callable[[RequestRecord], None]) -> Callable[[], None]:
        """Subscribe ``cb``; returns the function that unsubscribes it."""
        self._subscribers.append(cb)

        def remove() -> None:
            try:
                self._subscribers.remove(cb)
            except ValueError:
                pass

        return remove

    def __call__(self, rec: RequestRecord) -> None:
        for cb in list(self._subscribers):
            try:
                cb(rec)
            except Exception:
                log.exception("request log subscriber %r failed", cb)
