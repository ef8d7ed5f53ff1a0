"""Size rules for lrtui's own code: no function longer than 60 lines, no module longer than 400.

Run as ``python -m lint.sizes [PATH ...]`` (default: ``lrtui``). Lines are counted from a function's ``def``
(decorators excluded) to its last line, docstring included; a module counts every line. Exit 1 names each
offender as ``path:line: what``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 400


def offenders(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    found: list[str] = []
    n_lines = len(text.splitlines())
    if n_lines > MAX_MODULE_LINES:
        found.append(f"{path}:1: module has {n_lines} lines (max {MAX_MODULE_LINES})")
    for node in ast.walk(ast.parse(text, filename=str(path))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{path}:{node.lineno}: {node.name}() has {length} lines (max {MAX_FUNCTION_LINES})")
    return found


def main(argv: list[str]) -> int:
    roots = [Path(a) for a in argv] or [Path("lrtui")]
    files = sorted(p for r in roots for p in ([r] if r.is_file() else r.rglob("*.py")))
    found = [line for f in files for line in offenders(f)]
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} size rule(s) broken", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
