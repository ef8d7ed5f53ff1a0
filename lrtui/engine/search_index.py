"""The inventory's search index: bitmaps instead of scans, so a first keystroke costs about a millisecond.

A set of machines is a *bitmap*: a Python int whose bit ``i`` is machine ``i`` (12.5 KB for 100,000 machines;
AND, OR and NOT over it take microseconds). The index holds:

- for each few-valued column (tags, OS, group, health, risk, exposure, device value, onboarding): one bitmap
  per distinct key, so a term on it is the OR of the bitmaps of the keys it matches (exact, no scan);
- for names and IPs: the machines containing each 1-, 2- and 3-character string. Common strings are kept as
  bitmaps, rare ones (under 1/32 of the tenant) as an ``array('I')`` of indices (4 bytes an entry). A term of up
  to three characters is one lookup; a longer one intersects the postings of its 3-grams and verifies the few
  candidates with the substring test (or, when every 3-gram is common, scans that one column in C).

A search result is then a :class:`Selection`: a read-only sequence over the bitmap that decodes indices in
blocks of 1,024 machines as they are read (the list shows 40 rows; a dense result is never expanded).
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
from array import array
from collections.abc import Iterator, Sequence
from functools import reduce
from typing import overload

_BLOCK = 1024  #: machines per lazily decoded block of a Selection (128 bytes of bitmap)
_BLOCK_BYTES = _BLOCK // 8
_BIT = tuple(1 << k for k in range(8))
_POSITIONS = tuple(tuple(k for k in range(8) if v >> k & 1) for v in range(256))
_NONZERO = re.compile(rb"[^\x00]")
#: Candidates verified one by one up to this many; past it one C-level scan of the column is cheaper.
VERIFY_MAX = 40_000
#: Columns indexed by distinct key. ``FREE_VALUE_COLUMNS`` are those free text also searches.
VALUE_COLUMNS = ("tags", "os", "group", "health", "risk", "exposure", "value", "onboarding")
FREE_VALUE_COLUMNS = ("tags", "os", "health", "risk", "exposure", "group")


def decode(packed: bytes, base: int = 0) -> array[int]:
    """Indices of the set bits of ``packed`` (little-endian), plus ``base``; cost grows with the non-zero bytes."""
    out = array("I")
    positions = _POSITIONS
    for m in _NONZERO.finditer(packed):
        j = m.start()
        start = base + (j << 3)
        out.extend([start + k for k in positions[packed[j]]])
    return out


def pack(indices: Sequence[int] | Iterator[int], n: int) -> int:
    """The bitmap of ``indices`` (each < ``n``)."""
    ba = bytearray((n + 7) >> 3)
    bit = _BIT
    for i in indices:
        ba[i >> 3] |= bit[i & 7]
    return int.from_bytes(ba, "little")


class _Packer:
    """Turns a byte-per-machine selector (``bytes(map(test, keys))``) into a bitmap with a few big-int ops."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.words = (n + 7) >> 3
        size = self.words * 8
        self.m1 = int.from_bytes(b"\x03\x00" * (size // 2), "little")
        self.m2 = int.from_bytes(b"\x0f\x00\x00\x00" * (size // 4), "little")
        self.m3 = int.from_bytes((b"\xff" + b"\x00" * 7) * self.words, "little")

    def __call__(self, selector: bytes) -> int:
        x = int.from_bytes(selector, "little")  # bit 8i = machine i
        x = (x | x >> 7) & self.m1
        x = (x | x >> 14) & self.m2
        x = (x | x >> 28) & self.m3  # byte 8j holds machines 8j..8j+7
        return int.from_bytes(x.to_bytes(self.words * 8, "little")[::8], "little")


def _postings(texts: Sequence[str], n: int) -> dict[str, int | array[int]]:
    """1-, 2- and 3-character substrings of ``texts`` -> the machines containing them.

    Only 3-character windows are collected (over the text padded with two newlines, so that each 1- and
    2-character substring starts some window); the shorter ones are ORs of the windows they start. A value
    searched through the index never contains a newline, so windows with one are not kept."""
    nbytes = (n + 7) >> 3
    maps: dict[str, bytearray] = {}
    get = maps.get
    for i, s in enumerate(texts):
        byte, bit = i >> 3, _BIT[i & 7]
        s += "\n\n"
        for j in range(len(s) - 2):
            g = s[j : j + 3]
            ba = get(g)
            if ba is None:
                ba = maps[g] = bytearray(nbytes)
            ba[byte] |= bit
    shorter: dict[str, int] = {}
    out: dict[str, int | array[int]] = {}
    while maps:
        g, ba = maps.popitem()
        bits = int.from_bytes(ba, "little")
        del ba
        for head in (g[:1], g[:2]):
            shorter[head] = shorter.get(head, 0) | bits
        if "\n" not in g:
            out[g] = _compact(bits, n)
    for head, bits in shorter.items():
        if "\n" not in head:
            out[head] = _compact(bits, n)
    return out


def _compact(bits: int, n: int) -> int | array[int]:
    """A bitmap when at least 1/32 of the machines are in it, else their indices (4 bytes each)."""
    return bits if bits.bit_count() * 32 >= n else decode(bits.to_bytes((n + 7) >> 3, "little"))


def _value_bitmaps(keys: Sequence[str], n: int) -> dict[str, int]:
    where: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        where.setdefault(k, []).append(i)
    return {k: pack(ix, n) for k, ix in where.items()}


class SearchIndex:
    """Built once per store (``build``: pure, safe in a thread); answers terms as bitmaps."""

    __slots__ = ("all_bits", "ip_keys", "ips", "n", "name_keys", "names", "packer", "values")

    def __init__(self, keys: dict[str, list[str]], n: int) -> None:
        self.n = n
        self.all_bits = (1 << n) - 1
        self.values = {col: _value_bitmaps(keys[col], n) for col in VALUE_COLUMNS}
        self.name_keys, self.ip_keys = keys["name"], keys["ip"]
        self.names = _postings(self.name_keys, n)
        self.ips = _postings(self.ip_keys, n)
        self.packer = _Packer(n)

    def value_bits(self, column: str, value: str, prefix: bool) -> int:
        """Machines whose ``column`` key contains (or starts with) ``value``."""
        bitmaps = self.values[column]
        if prefix:
            found = [b for k, b in bitmaps.items() if k.startswith(value)]
        else:
            found = [b for k, b in bitmaps.items() if value in k]
        return reduce(operator.or_, found, 0)

    def text_bits(self, ips: bool, value: str) -> int:
        """Machines whose name (or, with ``ips``, IP key) contains ``value`` (no newline in ``value``)."""
        postings, keys = (self.ips, self.ip_keys) if ips else (self.names, self.name_keys)
        if len(value) <= 3:
            got = postings.get(value)
            return 0 if got is None else got if isinstance(got, int) else pack(got, self.n)
        found: list[int | array[int]] = []
        for j in range(len(value) - 2):
            p = postings.get(value[j : j + 3])
            if p is None:
                return 0
            found.append(p)
        rare = [p for p in found if not isinstance(p, int)]
        if rare:
            return pack([i for i in min(rare, key=len) if value in keys[i]], self.n)
        candidates = reduce(operator.and_, [p for p in found if isinstance(p, int)])
        sure = 0 if ips else self._name_prefix_bits(value)  # names starting with it: contiguous, all match
        rest = candidates ^ sure  # ``sure`` is a subset of ``candidates``
        if rest.bit_count() <= VERIFY_MAX:  # most candidates match: clear the few that do not
            packed = rest.to_bytes((self.n + 7) >> 3, "little")
            return candidates ^ pack([i for i in decode(packed) if value not in keys[i]], self.n)
        return candidates & self.packer(bytes(map(operator.contains, keys, itertools.repeat(value))))

    def _name_prefix_bits(self, value: str) -> int:
        """Machines whose name starts with ``value``: a range, as the store is in name order."""
        last = ord(value[-1])
        if last >= 0x10FFFF:
            return 0
        keys = self.name_keys
        lo = bisect.bisect_left(keys, value)
        hi = bisect.bisect_left(keys, value[:-1] + chr(last + 1), lo)
        return ((1 << hi) - 1) ^ ((1 << lo) - 1)


class Selection(Sequence[int]):
    """Ascending machine indices: the set bits of a bitmap, decoded by blocks on first read (read-only)."""

    __slots__ = ("_blocks", "_len", "_n", "_packed", "_starts")

    def __init__(self, bits: int, n: int) -> None:
        packed = bits.to_bytes((n + 7) >> 3, "little")
        self._packed, self._n = packed, n
        step = _BLOCK_BYTES
        counts = [int.from_bytes(packed[a : a + step], "little").bit_count() for a in range(0, len(packed), step)]
        self._starts = list(itertools.accumulate(counts, initial=0))  #: rank of each block's first machine
        self._len = self._starts[-1]
        self._blocks: dict[int, array[int]] = {}

    def __len__(self) -> int:
        return self._len

    def _block(self, b: int) -> array[int]:
        got = self._blocks.get(b)
        if got is None:
            a = b * _BLOCK_BYTES
            got = self._blocks[b] = decode(self._packed[a : a + _BLOCK_BYTES], b * _BLOCK)
        return got

    @overload
    def __getitem__(self, k: int) -> int: ...

    @overload
    def __getitem__(self, k: slice) -> list[int]: ...

    def __getitem__(self, k: int | slice) -> int | list[int]:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(self._len))]
        if k < 0:
            k += self._len
        if not 0 <= k < self._len:
            raise IndexError("Selection index out of range")
        b = bisect.bisect_right(self._starts, k) - 1
        return self._block(b)[k - self._starts[b]]

    def __iter__(self) -> Iterator[int]:
        for b in range(len(self._starts) - 1):
            if self._starts[b + 1] != self._starts[b]:
                yield from self._block(b)

    def __contains__(self, x: object) -> bool:
        return isinstance(x, int) and 0 <= x < self._n and bool(self._packed[x >> 3] >> (x & 7) & 1)

    def rank(self, x: int) -> int:
        """How many listed indices are below ``x`` (``bisect_left``)."""
        if x <= 0:
            return 0
        if x >= self._n:
            return self._len
        b = x // _BLOCK
        whole = int.from_bytes(self._packed[b * _BLOCK_BYTES : x >> 3], "little").bit_count()
        partial = (self._packed[x >> 3] & ((1 << (x & 7)) - 1)).bit_count()
        return self._starts[b] + whole + partial

    def index(self, x: object, start: int = 0, stop: int | None = None) -> int:
        if not isinstance(x, int) or x not in self:
            raise ValueError(f"{x} is not listed")
        return self.rank(x)

    def __repr__(self) -> str:
        return f"Selection({len(self)} of {self._n})"
