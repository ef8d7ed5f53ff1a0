"""One routed API call (:class:`Call`) and what a route table is made of (:data:`Route`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["Call", "Handler", "Route"]


@dataclass(frozen=True)
class Call:
    """What a handler gets: the request, the simulator time it is handled at, its body and the path's groups."""

    request: Request
    now: float
    body: bytes
    args: tuple[str, ...] = ()


Handler = Callable[[Call], Response]
Route = tuple[str, re.Pattern[str], dict[str, Handler]]  # (endpoint name, path pattern, method -> handler)
