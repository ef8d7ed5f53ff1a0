"""lrtui's command line: ``main`` (the ``lrtui`` script and ``python -m lrtui``) and its ``build_parser``.

Cheap to import: argparse only; each command imports what it needs when it runs.
"""

from lrtui.cli.entry import main
from lrtui.cli.parser import build_parser

__all__ = ["build_parser", "main"]
