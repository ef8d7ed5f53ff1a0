"""``lrtui sim``: serve the MDE simulator on loopback (its own options: ``lrtui sim --help``)."""

from __future__ import annotations

from lrtui.sim.cli import sim_main


def run(argv: list[str]) -> int:
    return sim_main(argv)
