"""Waiting with a time limit that never swallows a cancellation.

On Python 3.11 ``asyncio.wait_for`` returns the result when what it awaits finished just as the waiting task was
cancelled, and the cancellation is lost (gh-86296, fixed in 3.12). A loop built on it then survives ``cancel()``:
``Engine.stop()`` waited for ever on the team coordinator's loop, whose wake-up event was set in the same turn
as the stop. ``asyncio.timeout`` keeps the cancellation; every timed wait of the engine goes through here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def wait_event(event: asyncio.Event, timeout: float | None) -> bool:
    """True once ``event`` is set, False when ``timeout`` seconds pass first (None: no limit)."""
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        return False
    return True


async def within(aw: Awaitable[T], timeout: float | None) -> T:
    """``await aw``, or ``TimeoutError`` after ``timeout`` seconds (None: no limit), as ``asyncio.wait_for``
    promises but with a cancellation always kept."""
    async with asyncio.timeout(timeout):
        return await aw


async def finished_within(aw: Awaitable[object], timeout: float | None) -> bool:
    """True when ``aw`` finished within ``timeout`` seconds, False when the time ran out (``aw`` is cancelled)."""
    try:
        await within(aw, timeout)
    except TimeoutError:
        return False
    return True
