"""Gzip with many members: linear decoding (``lrtui.api.inflate``) against the old whole-buffer loop.

The baseline is the loop lrtui used before (each member fed the rest of the buffer, whose remainder zlib copies
into ``unused_data``: quadratic), measured in the same run. Prints seconds and the ratio old/new at each size,
and new-time per member, which stays flat when the decoding is linear.

    python bench/inflate.py [--sizes 25000,50000,100000]
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lrtui.api.inflate import inflate_all


def old_gunzip(raw: bytes) -> bytes:
    """The loop lrtui used before (in_memory._gunzip / Sink._inflate): quadratic in the number of members."""
    out = bytearray()
    data = raw
    while data:
        d = zlib.decompressobj(wbits=31)
        out += d.decompress(data)
        data = d.unused_data.lstrip(b"\0")
    return bytes(out)


def timed(fn, *args) -> tuple[float, bytes]:
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="25000,50000,100000")
    sizes = [int(x) for x in ap.parse_args().sizes.split(",")]
    print(f"{'members':>9} {'bytes':>10} {'old s':>8} {'new s':>8} {'old/new':>8} {'new us/member':>14}")
    for n in sizes:
        data = b"".join(gzip.compress(b"m%d;" % i, mtime=0) for i in range(n))
        t_old, a = timed(old_gunzip, data)
        t_new, b = timed(inflate_all, data, "gzip", 1 << 30)
        assert a == b
        print(f"{n:>9} {len(data):>10} {t_old:>8.3f} {t_new:>8.3f} {t_old / t_new:>8.1f} {t_new / n * 1e6:>14.2f}")


if __name__ == "__main__":
    main()
