"""What a session runs on: the typed ``Runtime`` (client, engine, inventory, journal) and the factory type.

``lrtui.cli.compose`` builds it; the app receives a ``RuntimeFactory`` and imports nothing heavy before its
first frame (every import below is for type checking only). No Textual, no simulator, no environment here.
"""

from __future__ import annotations

import collections
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from lrtui.api.client import MdeClient
    from lrtui.api.records import RequestRecord
    from lrtui.engine.engine import Engine
    from lrtui.engine.inventory import Inventory
    from lrtui.engine.journal import Journal
    from lrtui.settings import Settings

#: How many request records the request log keeps (newest last).
REQUEST_LOG_SIZE = 2000

#: Shows a device-code sign-in to the user: ``(verification_url, user_code, message)``.
DeviceCodePrompt: TypeAlias = Callable[[str, str, str], None]


def _request_log() -> collections.deque[RequestRecord]:
    return collections.deque(maxlen=REQUEST_LOG_SIZE)


@dataclass
class Runtime:
    """One session: the active profile's client, engine, inventory and journal (or the demo tenant's)."""

    settings: Settings
    profile_name: str
    tenant_label: str
    demo: bool
    client: MdeClient
    engine: Engine
    inventory: Inventory
    journal: Journal
    data_dir: Path
    request_log: collections.deque[RequestRecord] = field(default_factory=_request_log)
    #: awaited by ``aclose()`` after the engine, the client and the journal (the demo's temporary folder)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _started: bool = field(default=False, init=False)

    async def start(self) -> None:
        """Start the engine (once): dispatcher and poller, unfinished journal jobs picked up."""
        if not self._started:
            await self.engine.start()
            self._started = True

    async def aclose(self) -> None:
        """Stop the engine (service-side actions keep running), close the client and the journal, then run
        ``closers`` in order. Every step runs even when one before it fails."""
        try:
            if self._started:
                await self.engine.stop()
        finally:
            try:
                await self.client.aclose()
            finally:
                self.journal.close()
                await _run_all(self.closers)


#: Builds the runtime (the app calls it in a worker after its first frame, with its device-code prompt).
RuntimeFactory: TypeAlias = Callable[[DeviceCodePrompt | None], Awaitable[Runtime]]


async def _run_all(closers: list[Callable[[], Awaitable[None]]]) -> None:
    if not closers:
        return
    first, *rest = closers
    try:
        await first()
    finally:
        await _run_all(rest)
