"""The demo live-response library, what each script "does" on a device, and device file contents.

Script behaviour is split in two: :func:`plan_script` decides cheaply (at the moment the command runs)
the duration, exit code, whether it hangs or fails, and which files it creates; the output text is
rendered lazily (:meth:`ScriptPlan.render`) when the result is downloaded, from the same seed, so a
multi-megabyte output costs nothing until someone fetches it.

Uploaded scripts may steer the simulator with directive lines anywhere in the file, e.g.::

    # sim: exit_code=3 duration=30 stderr="boom" output_bytes=200000 creates=C:\\Temp\\x.zip
    # sim: hang            (runs until the RunScript timeout)
    # sim: fail="Script crashed"   (the command itself fails)

The GetFile rule (which paths exist on a device) is documented in :mod:`lrtui.sim.files`.

The code lives in :mod:`.scripts` (the catalogue), :mod:`.script_plan` (behaviour),
:mod:`.script_output` (output text) and :mod:`.files` (device files, bench streams); this module
re-exports their public names.
"""

from __future__ import annotations

from .files import (
    BENCH_BLOCK,
    DOWNLOADS_DIR_POSIX,
    DOWNLOADS_DIR_WIN,
    FileRecipe,
    bench_stream,
    file_bytes,
    gzip_stream,
    resolve_file,
)
from .script_output import ESC, TRANSCRIPT_DIR
from .script_plan import ScriptPlan, plan_script, script_platform
from .scripts import LibraryItem, demo_library

__all__ = [
    "LibraryItem",
    "demo_library",
    "ScriptPlan",
    "plan_script",
    "FileRecipe",
    "resolve_file",
    "file_bytes",
    "gzip_stream",
    "TRANSCRIPT_DIR",
    # also re-exported (imported from here by lifecycle, blob and tests)
    "DOWNLOADS_DIR_WIN",
    "DOWNLOADS_DIR_POSIX",
    "bench_stream",
    "BENCH_BLOCK",
    "script_platform",
    "ESC",
]
