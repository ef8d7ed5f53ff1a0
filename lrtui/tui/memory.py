"""After the inventory (re)loads: give freed page buffers back to the OS and keep the collector off it."""

from __future__ import annotations

import gc


def settle_memory() -> None:
    """Collect, trim the C heap (glibc only; elsewhere a no-op) and freeze what survives (long-lived)."""
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to trim
    gc.freeze()  # the inventory is long-lived: the collector need not rescan it on every pause
