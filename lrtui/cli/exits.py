"""Exit codes of every command, and the text that documents them (``--help`` epilog, man page, README).

0 all succeeded, 1 some failed, 2 refused before any call, 3 no tenant or sign-in failed, 4 stopped at the
deadline with work queued or running, 130 interrupted."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_DEADLINE = 4
EXIT_INTERRUPTED = 130

#: (code, meaning) in the order the documentation lists them
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "every action succeeded (or the command did what it was asked)"),
    (EXIT_FAILED, "some action or check failed (each one is named)"),
    (EXIT_USAGE, "refused before any call (bad input, an order the service refuses); nothing was sent"),
    (EXIT_CONFIG, "no usable tenant (say --demo for the demo tenant) or sign-in failed"),
    (EXIT_DEADLINE, "stopped at --deadline with work still queued or running (`lrtui resume` follows it)"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C); submitted actions keep running on the service"),
)


def exit_codes_text(indent: str = "  ") -> str:
    """One line per code: ``  0  every action succeeded ...``."""
    return "\n".join(f"{indent}{code:<3} {meaning}" for code, meaning in EXIT_CODES)
