"""Device-code sign-in: the URL and the code, large, until the sign-in completes by itself."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from lrtui.api.text import clean, clean_line
from lrtui.tui.safe_text import safe_line


class DeviceCodeScreen(ModalScreen[None]):
    """Shown by ``app.show_device_code(url, code, message)``; the app dismisses it when sign-in is done."""

    DEFAULT_CSS = """
    DeviceCodeScreen { align: center middle; }
    DeviceCodeScreen > Vertical { width: 72; max-width: 98%; height: auto; border: thick $primary;
                                  background: $surface; padding: 1 2; }
    DeviceCodeScreen #device-title { text-style: bold; margin-bottom: 1; }
    DeviceCodeScreen #device-url { text-style: bold underline; color: $accent; margin-bottom: 1; padding-left: 3; }
    DeviceCodeScreen #device-code { text-style: bold; background: $boost; color: $text; content-align: center middle;
                                    height: 3; border: round $accent; margin-bottom: 1; }
    DeviceCodeScreen #device-message { color: $text-muted; }
    DeviceCodeScreen #device-keys { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [
        Binding("c,ctrl+c", "copy_code", "Copy code", id="device-copy-code"),
        Binding("u", "copy_url", "Copy URL", id="device-copy-url"),
        Binding("escape", "hide", "Hide", id="device-hide", tooltip="Hide this; sign-in keeps waiting"),
    ]

    def __init__(self, url: str, code: str, message: str = "") -> None:
        super().__init__()
        self._raw_url, self._raw_code = url, code  # from the identity provider: shown with any removal noted
        self.url = clean_line(url)  # what is copied
        self.code = clean_line(code)
        self.message = clean(message)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Sign in to Microsoft Entra ID", id="device-title", markup=False)
            yield Static(Text("1. Open this page in a browser (on any device):", style="dim"), markup=False)
            yield Static(Text(safe_line(self._raw_url)), id="device-url", markup=False)
            yield Static(Text("2. Enter this code:", style="dim"), markup=False)
            yield Static(Text(safe_line(self._raw_code)), id="device-code", markup=False)
            if self.message:
                yield Static(self.message, id="device-message", markup=False)
            yield Static("lrtui continues by itself once you have signed in.   c copy code · u copy URL · "
                         "escape hide", id="device-keys", markup=False)  # fmt: skip

    def action_copy_code(self) -> None:
        self.app.copy_to_clipboard(self.code)
        self.notify("Code copied (OSC 52).", markup=False)

    def action_copy_url(self) -> None:
        self.app.copy_to_clipboard(self.url)
        self.notify("URL copied (OSC 52).", markup=False)

    def action_hide(self) -> None:
        self.dismiss(None)
