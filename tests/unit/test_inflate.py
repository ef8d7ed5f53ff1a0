"""Gzip with many members decodes in linear work, correctly, in any chunking (issue 14)."""

from __future__ import annotations

import gzip
import os
import zlib

import pytest

from lrtui.api.inflate import WINDOW_MIN, InflateError, Inflater, inflate_all


def members(n: int) -> tuple[bytes, bytes]:
    parts = [b"m%d;" % i for i in range(n)]
    return b"".join(gzip.compress(p, mtime=0) for p in parts), b"".join(parts)


def feed_all(data: bytes, chunk: int, step: int = 1 << 16) -> tuple[bytes, Inflater]:
    inf = Inflater("gzip")
    out = bytearray()
    for i in range(0, len(data), chunk):
        for piece in inf.feed(data[i : i + chunk], step):
            assert len(piece) <= step
            out += piece
    inf.finish()
    return bytes(out), inf


def test_100k_members_correct_and_linear_work():
    data, plain = members(100_000)
    out, inf = feed_all(data, 1 << 20)
    assert out == plain and inf.members == 100_000
    # what zlib was handed (and could copy into unused_data): the input plus at most one small window per
    # member; feeding whole buffers (the old way) hands it the rest of the buffer for every member: quadratic
    assert inf.fed <= 2 * len(data) + WINDOW_MIN * inf.members


@pytest.mark.parametrize("chunk", [1, 7, 300, 65536])
def test_any_chunking_padding_between_members(chunk):
    big = os.urandom(200_000)
    data = gzip.compress(big) + b"\0" * 1000 + gzip.compress(b"tail") + b"\0" * 3
    out, inf = feed_all(data, chunk, step=4096)
    assert out == big + b"tail" and inf.members == 2


def test_large_member_grows_its_window():
    big = os.urandom(3 << 20)
    out, inf = feed_all(gzip.compress(big), 1 << 20)
    assert out == big and inf.fed <= 2 * len(gzip.compress(big)) + WINDOW_MIN


def test_trailing_garbage_truncation_and_bombs():
    with pytest.raises(InflateError, match="not another gzip member"):
        inflate_all(gzip.compress(b"a") + b"junk", "gzip", 100)
    with pytest.raises(InflateError, match="truncated"):
        inflate_all(gzip.compress(b"a" * 1000)[:-10], "gzip", 10_000)
    with pytest.raises(InflateError, match="truncated"):
        inflate_all(b"", "gzip", 10)
    with pytest.raises(OverflowError):
        inflate_all(gzip.compress(b"\0" * (8 << 20)), "gzip", 1 << 20)


def test_deflate_one_stream():
    assert inflate_all(zlib.compress(b"hello" * 100), "deflate", 1000) == b"hello" * 100
    with pytest.raises(InflateError):
        inflate_all(zlib.compress(b"x") + zlib.compress(b"y"), "deflate", 1000)
