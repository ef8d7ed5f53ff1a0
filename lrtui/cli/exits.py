"""Exit codes of every command: 0 success, 1 some action did not succeed, 2 bad input (nothing was sent),
3 config/auth problem, 130 interrupted."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_INTERRUPTED = 130
