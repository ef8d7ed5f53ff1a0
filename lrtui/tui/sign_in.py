"""Device-code sign-in on screen: msal asks from a worker thread; the modal shows until the tenant loads."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App

    from lrtui.tui.screens.device_code import DeviceCodeScreen


class DeviceCodePrompt:
    """Shows and closes the device-code modal for ``app``; ``show`` is safe to call from any thread."""

    def __init__(self, app: App[None]) -> None:
        self._app = app
        self._loop_thread: int | None = None
        self._screen: DeviceCodeScreen | None = None

    def attach(self) -> None:
        """Remember the event loop's thread (call once the app is running)."""
        self._loop_thread = threading.get_ident()

    def show(self, url: str, code: str, message: str = "") -> None:
        if self._loop_thread is not None and threading.get_ident() != self._loop_thread:
            self._app.call_from_thread(self._push, url, code, message)
        else:
            self._push(url, code, message)

    def _push(self, url: str, code: str, message: str) -> None:
        from lrtui.tui.screens.device_code import DeviceCodeScreen

        self.close()
        self._screen = DeviceCodeScreen(url, code, message)
        self._app.push_screen(self._screen)

    def close(self) -> None:
        screen, self._screen = self._screen, None
        if screen is not None and screen.is_attached and screen in self._app.screen_stack:
            screen.dismiss(None)
