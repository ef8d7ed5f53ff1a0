""":func:`build_api_app`: the route groups, each given the parts of the tenant it needs, behind one gate."""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..action_book import ActionBook
from ..budgets import Budgets
from ..clock import SimClock
from ..config import SimConfig
from ..ids import RequestIds
from ..links import BlobLinks
from ..state import TenantState
from .actions import ActionRoutes, action_schema
from .app import ApiApp
from .gate import Gate
from .library import LibraryRoutes
from .live_response import LiveResponseRoutes
from .machines import MachineRoutes, machine_schema
from .replies import Replies

__all__ = ["build_api_app"]


def build_api_app(
    *,
    config: SimConfig,
    state: TenantState,
    lock: threading.RLock,
    clock: SimClock,
    book: ActionBook,
    budgets: Budgets,
    links: BlobLinks,
    request_ids: RequestIds,
    advance: Callable[[], float],
) -> ApiApp:
    replies = Replies(config, request_ids)
    strict = config.strict_filter_fields
    groups = [
        MachineRoutes(state, replies, machine_schema(strict)).routes(),
        LiveResponseRoutes(config, state, book, clock, replies).routes(),
        ActionRoutes(config, state, links, replies, action_schema(strict)).routes(),
        LibraryRoutes(config, state, lock, replies).routes(),
    ]
    gate = Gate(config, state, lock, clock, budgets, replies.retry_headers)
    routes = [route for group in groups for route in group]
    return ApiApp(routes, gate=gate, replies=replies, state=state, lock=lock, clock=clock, advance=advance)
