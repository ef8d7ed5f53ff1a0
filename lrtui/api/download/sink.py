"""The synchronous half of a download: hash, detect the format, inflate gzip in bounded steps, cap and write.

The first bytes decide the format (``1f 8b`` gzip is inflated while streaming, multi-member included; ``50 4b``
zip and anything else are kept as is). Both the received and the stored bytes are hashed; received and stored
sizes are capped. One ``Sink`` per download; it writes to the ``.part`` file it is given.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from lrtui.api import errors as E
from lrtui.api.inflate import InflateError, Inflater

Compression = Literal["gzip", "zip", "none"]
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK"
#: output produced per inflate step: bounds memory whatever the compression ratio
INFLATE_STEP = 1 << 20


class Sink:
    """Synchronous part of the download: hash, detect, inflate, cap and write. One instance per download."""

    def __init__(
        self, part: Path, max_received: int | None, max_decompressed: int | None, *, hash_received: bool = True
    ) -> None:
        self.part = part
        self.hash_received = hash_received  # False: the caller hashes the received bytes in parallel
        self.max_received = max_received
        self.max_decompressed = max_decompressed
        self.h_recv = hashlib.sha256()
        self.h_out = hashlib.sha256()
        self.received = 0
        self.written = 0
        self.compression: Compression | None = None
        self._head = b""
        self._inflater = Inflater("gzip")  # multi-member, zero padding between members allowed
        self.failed = False
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._f = os.fdopen(fd, "wb", buffering=1 << 16)

    # -------------------------------------------------------------- feeding

    def feed(self, data: bytes) -> None:
        for _ in self.feed_steps(data):
            pass

    def feed_steps(self, data: bytes) -> Iterator[None]:
        """``feed`` as bounded steps: yields after each INFLATE_STEP of output, so a caller on the event loop
        can let other tasks run between steps (a 1 MiB gzip chunk may inflate to far more)."""
        if not data or self.failed:
            return
        try:
            yield from self._feed(data)
        except BaseException:
            self.failed = True
            raise

    def _feed(self, data: bytes) -> Iterator[None]:
        self.received += len(data)
        if self.max_received is not None and self.received > self.max_received:
            raise E.DownloadTooLarge(
                f"The result is larger than the {self.max_received:,}-byte download cap; stopped and removed it."
            )
        if self.hash_received:
            self.h_recv.update(data)
        if self.compression is None:
            self._head += data
            if len(self._head) < 2:
                return
            data, self._head = self._head, b""
            self.compression = "gzip" if data[:2] == GZIP_MAGIC else "zip" if data[:2] == ZIP_MAGIC else "none"
        if self.compression == "gzip":
            yield from self._inflate(data)
        else:
            self._out(data)

    def _out(self, data: bytes) -> None:
        if not data:
            return
        if self.max_decompressed is not None and self.written + len(data) > self.max_decompressed:
            raise E.DecompressionLimit(
                f"The result expands past the {self.max_decompressed:,}-byte cap (a gzip bomb, or a file larger "
                "than allowed); stopped and removed the partial file.",
                hint="Raise the decompression cap in the profile if the file is expected to be that large.",
            )
        self.written += len(data)
        if self.compression == "gzip":  # otherwise stored == received: one hash serves both
            self.h_out.update(data)
        self._f.write(data)

    def _inflate(self, data: bytes) -> Iterator[None]:
        """Inflate in linear time (``lrtui.api.inflate``), yielding after each INFLATE_STEP of output."""
        since = 0
        try:
            for out in self._inflater.feed(data, INFLATE_STEP):
                self._out(out)
                since += len(out)
                if since >= INFLATE_STEP:  # many tiny members: one pause per step of output, not per member
                    since = 0
                    yield
        except InflateError as e:
            raise E.CorruptDownload(f"The gzip result is corrupt ({e}).") from None

    # -------------------------------------------------------------- ending

    def finish(self) -> None:
        if self.compression is None:  # fewer than 2 bytes in total
            data, self._head = self._head, b""
            self.compression = "none"
            self._out(data)
        if self.compression == "gzip":
            try:
                self._inflater.finish()
            except InflateError:
                raise E.CorruptDownload("The gzip result ended before its end marker (truncated download).") from None
        self._f.flush()
        self._f.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self._f.close()
        try:
            self.part.unlink()
        except FileNotFoundError:
            pass
