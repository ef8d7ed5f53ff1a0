"""The engine's background tasks (reconciliations, collections, look-ups, cancels): kept, logged, cancelled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("lrtui.engine.engine")


class TaskSet:
    """Tasks spawned for single jobs. A failure is logged (never lost); ``cancel_all`` ends them on stop."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("engine task %s failed", task.get_name(), exc_info=task.exception())

    async def cancel_all(self, *others: asyncio.Task[None]) -> None:
        """Cancel every spawned task (and ``others``) and wait until they are all over."""
        tasks = [*self._tasks, *others]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
