"""Result bytes as served: gzip of a file, and the streamed bench files (never all in memory)."""

from __future__ import annotations

import gzip
import hashlib
import random
from collections.abc import Callable, Iterator

from .files import FileRecipe

__all__ = ["BENCH_BLOCK", "bench_stream", "gzip_stream"]

BENCH_BLOCK = 1024 * 1024
_BENCH_CACHE: dict[str, bytes] = {}


def _bench_member(machine_id: str) -> bytes:
    member = _BENCH_CACHE.get(machine_id)
    if member is None:
        raw = random.Random(hashlib.sha256(f"bench|{machine_id}".encode()).digest()).randbytes(BENCH_BLOCK)
        member = gzip.compress(raw, compresslevel=1, mtime=0)
        if len(_BENCH_CACHE) > 16:
            _BENCH_CACHE.clear()
        _BENCH_CACHE[machine_id] = member
    return member


def bench_stream(r: FileRecipe) -> tuple[int, Callable[[], Iterator[bytes]]]:
    """(compressed length, chunk iterator factory) for a bench file: concatenated gzip members, each the
    same 1 MiB of random data (the last one shorter), never all in memory."""
    full, rest = divmod(r.size, BENCH_BLOCK)
    member = _bench_member(r.machine_id)
    tail = b""
    if rest:
        raw = random.Random(hashlib.sha256(f"bench|{r.machine_id}".encode()).digest()).randbytes(BENCH_BLOCK)[:rest]
        tail = gzip.compress(raw, compresslevel=1, mtime=0)
    if r.size == 0:
        tail = gzip.compress(b"", mtime=0)
    length = full * len(member) + len(tail)

    def chunks() -> Iterator[bytes]:
        for _ in range(full):
            yield member
        if tail:
            yield tail

    return length, chunks


def gzip_stream(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)
