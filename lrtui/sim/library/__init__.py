"""What runs on a simulated device: the live-response library, what each script does, and device files.

Modules: ``catalogue`` (:class:`LibraryItem`, the demo library), ``behaviours`` (:func:`plan_script`, one
function per demo script, ``# sim:`` directives for uploaded ones), ``plan`` (:class:`ScriptPlan`), ``args``,
``output`` (the text the demo scripts print, with hostile strings in it), ``files`` (the GetFile rule,
:func:`resolve_file`), ``contents`` (:func:`file_bytes`) and ``bench`` (gzip and streamed bench files).
"""

from __future__ import annotations

from .behaviours import plan_script
from .bench import bench_stream, gzip_stream
from .catalogue import LibraryItem, demo_library
from .contents import file_bytes
from .files import DOWNLOADS_DIR_POSIX, DOWNLOADS_DIR_WIN, FileRecipe, resolve_file
from .plan import ScriptPlan

__all__ = [
    "DOWNLOADS_DIR_POSIX",
    "DOWNLOADS_DIR_WIN",
    "FileRecipe",
    "LibraryItem",
    "ScriptPlan",
    "bench_stream",
    "demo_library",
    "file_bytes",
    "gzip_stream",
    "plan_script",
    "resolve_file",
]
