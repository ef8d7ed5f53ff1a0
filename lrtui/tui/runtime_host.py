"""The app's runtime: built once by the factory (in the app's worker, after the first frame), closed once.

Binding it to the panes is ``PaneLayout.bind``; the app posts ``RuntimeReady`` in between.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lrtui.engine.jobs import Job
    from lrtui.runtime import DeviceCodePrompt, Runtime, RuntimeFactory

log = logging.getLogger(__name__)


class RuntimeHost:
    """Holds the runtime the factory builds; ``runtime`` is None before it is built and after it is closed."""

    def __init__(self, factory: RuntimeFactory) -> None:
        self._factory = factory
        self.runtime: Runtime | None = None

    async def build(self, prompt: DeviceCodePrompt) -> Runtime:
        """Build the runtime; ``prompt`` shows a device-code sign-in (msal may call it from a thread)."""
        self.runtime = await self._factory(prompt)
        return self.runtime

    def unfinished_jobs(self) -> list[Job]:
        return [j for j in self.runtime.engine.jobs if not j.is_final] if self.runtime else []

    async def close(self) -> None:
        """Close the runtime (once). A failure is logged: closing must never turn a clean quit into a traceback."""
        runtime, self.runtime = self.runtime, None
        if runtime is None:
            return
        try:
            await runtime.aclose()
        except Exception:
            log.exception("closing the runtime failed")
