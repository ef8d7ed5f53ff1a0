"""``lrtui`` / ``lrtui tui``: open the app on the active profile (or the demo tenant)."""

from __future__ import annotations

from lrtui.cli.compose import runtime_factory
from lrtui.cli.prompts import tui_secret_prompt
from lrtui.settings import Settings


def run(settings: Settings) -> int:
    from lrtui.tui.app import make_app

    factory = runtime_factory(settings, demo=settings.demo, secret_prompt=tui_secret_prompt(settings))
    app = make_app(settings, runtime_factory=factory, demo=settings.demo)
    app.run()
    return app.return_code or 0
