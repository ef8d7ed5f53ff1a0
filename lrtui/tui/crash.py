"""What the user sees instead of a traceback: where the details went and that nothing is lost."""

from __future__ import annotations

import sys
import time
import traceback


def write_crash_report() -> str:
    """Write the current exception's traceback to the state folder; return the message to print."""
    exc = sys.exc_info()[1]
    summary = f"{type(exc).__name__}: {exc}" if exc else "an unexpected error"
    try:
        from lrtui import paths

        folder = paths.ensure_dir(paths.state_dir())
        path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}.txt"
        path.write_text(traceback.format_exc(), encoding="utf-8")
        where = f"The details are in {path}."
    except OSError:
        where = "The details could not be saved."
    from lrtui.tui.safe_text import clean_line

    return (
        f"lrtui stopped after an internal error ({clean_line(summary)}). {where} "
        "Sessions already submitted continue on the service and are picked up from the journal next time."
    )
