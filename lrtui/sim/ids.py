"""Identifiers the service hands out: GUIDs (from a seeded generator) and request ids."""

from __future__ import annotations

import random

__all__ = ["RequestIds", "random_guid"]


def random_guid(rng: random.Random) -> str:
    """A version-4-looking GUID from 128 bits of ``rng``."""
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


class RequestIds:
    """Request ids (``|xxxxxxxx-xxxxxxxxxxxxxxxx.``) for error targets and headers, seeded per tenant."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed * 1_000_033 + 9)

    def __call__(self) -> str:
        return f"|{self._rng.getrandbits(32):08x}-{self._rng.getrandbits(64):016x}."
