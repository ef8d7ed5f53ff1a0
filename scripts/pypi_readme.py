"""Write docs/pypi.md, the package index page: README.md without its screenshots block.

The README shows screenshots through relative links, which break on a package index; the block between the
``<!-- screenshots`` and ``<!-- /screenshots -->`` markers is replaced by one sentence saying where they are.
``tests/cli/test_pypi_readme.py`` fails when docs/pypi.md is not what this script makes from the README.

    python scripts/pypi_readme.py [--check]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PYPI = ROOT / "docs" / "pypi.md"

BLOCK = re.compile(r"<!-- screenshots.*?-->\n.*?<!-- /screenshots -->\n", re.DOTALL)
INSTEAD = (
    "Screenshots of the app (the demo tenant at 120x40 and 80x24, its four themes: dark, light, projector\n"
    "and terminal, and the app served to a browser) are in the `screenshots/` folder of the lrtui repository.\n"
)


def pypi_text(readme: str) -> str:
    """The package index page made from the README's text."""
    text, n = BLOCK.subn(INSTEAD, readme)
    if n != 1:
        raise ValueError("README.md must hold exactly one <!-- screenshots --> ... <!-- /screenshots --> block")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether docs/pypi.md is up to date")
    args = parser.parse_args(argv)
    want = pypi_text(README.read_text(encoding="utf-8"))
    if args.check:
        if PYPI.read_text(encoding="utf-8") != want:
            print("docs/pypi.md is out of date: run `make readme` (python scripts/pypi_readme.py)", file=sys.stderr)
            return 1
        return 0
    PYPI.write_text(want, encoding="utf-8")
    print(f"wrote {PYPI.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
