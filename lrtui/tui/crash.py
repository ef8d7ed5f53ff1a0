"""What the user sees instead of a traceback: where the details went and that nothing is lost."""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

from lrtui.api.text import clean_line
from lrtui.settings import write_private_text


def write_crash_report(folder: Path) -> str:
    """Write the current exception's traceback into ``folder`` (the state folder); return the message to print."""
    exc = sys.exc_info()[1]
    summary = f"{type(exc).__name__}: {exc}" if exc else "an unexpected error"
    try:
        path = write_private_text(folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}.txt", traceback.format_exc())
        where = f"The details are in {path}."
    except OSError:
        where = "The details could not be saved."
    return (
        f"lrtui stopped after an internal error ({clean_line(summary)}). {where} "
        "Sessions already submitted continue on the service and are picked up from the journal next time."
    )
