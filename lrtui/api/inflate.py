"""Streaming gzip (multi-member) and deflate decoding in linear time and bounded steps.

``zlib.decompressobj`` copies everything after a member's end into ``unused_data``; feeding it a whole buffer
of many small members therefore costs the square of the buffer (3 s at 100k members). ``Inflater`` feeds
it a window that starts small for each member and doubles while the member goes on, and tracks its position
in the caller's buffer instead of re-slicing copies: each member costs its own size plus a small constant.
Output comes in pieces of at most ``step`` bytes, so the caller can cap it (a gzip bomb stops at the cap).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from typing import Literal

Encoding = Literal["gzip", "deflate"]

#: first window fed per member, and the largest window
WINDOW_MIN = 256
WINDOW_MAX = 1 << 20
_NONZERO = re.compile(rb"[^\x00]")
_GZIP_ID1 = 0x1F


class InflateError(ValueError):
    """The compressed stream is corrupt, truncated, or followed by data that is not another gzip member."""


class Inflater:
    """One compressed stream, fed in chunks. ``gzip``: members may follow each other, with zero padding
    between them; ``deflate``: one zlib stream (the HTTP meaning of ``Content-Encoding: deflate``)."""

    def __init__(self, encoding: Encoding) -> None:
        self.encoding = encoding
        self._wbits = 31 if encoding == "gzip" else 15
        self._d: zlib._Decompress | None = None
        self._window = WINDOW_MIN
        self._pending = False  # zlib may hold output that did not fit the last step
        self._between = False  # a member ended: only zero padding or another member may follow
        self.members = 0  #: complete members (or streams) so far
        self.fed = 0  #: bytes handed to zlib so far (linear in the input: at most a window per member more)

    def feed(self, data: bytes, step: int) -> Iterator[bytes]:
        """The output ``data`` decodes to, in pieces of at most ``step`` bytes (raises ``InflateError``)."""
        view = memoryview(data)
        pos, end = 0, len(data)
        while True:
            if self._between:
                found = _NONZERO.search(data, pos)
                if found is None:
                    return  # only padding so far
                pos = found.start()
                if self.encoding != "gzip" or data[pos] != _GZIP_ID1:
                    raise InflateError("trailing data that is not another gzip member")
                self._between = False
            if pos >= end and not self._pending:
                return
            if self._d is None:
                self._d = zlib.decompressobj(wbits=self._wbits)
                self._window = WINDOW_MIN
            d = self._d
            window = view[pos : pos + self._window]
            self.fed += len(window)
            try:
                out = d.decompress(window, step)
            except zlib.error as e:
                raise InflateError(str(e)) from None
            taken = len(window) - len(d.unconsumed_tail) - len(d.unused_data)
            pos += taken
            self._pending = len(out) == step and not d.eof
            if out:
                yield out
            if d.eof:
                self._d = None
                self.members += 1
                self._between = True
            elif taken == len(window) == self._window:
                self._window = min(self._window * 2, WINDOW_MAX)

    def finish(self) -> None:
        """Raise ``InflateError`` when the stream stopped inside a member (or held no member at all)."""
        if self._d is not None or self.members == 0:
            raise InflateError("the stream ended before its end marker (truncated)")


def inflate_all(data: bytes, encoding: Encoding, limit: int) -> bytes:
    """``data`` decoded whole; raises ``InflateError``, or ``OverflowError`` past ``limit`` bytes."""
    inflater = Inflater(encoding)
    out = bytearray()
    for piece in inflater.feed(data, min(limit + 1, WINDOW_MAX)):
        out += piece
        if len(out) > limit:
            raise OverflowError(limit)
    inflater.finish()
    return bytes(out)
