"""Retry policy and ``Retry-After`` parsing for the MDE client.

The client owns the loop; this module only decides *how long* to wait. Reads (GET) retry 5xx, 408 and
connection errors with capped exponential backoff and full jitter, and wait ``Retry-After`` on 429. A
runliveresponse POST is never retried here (see ``MdeClient.run_live_response``).
"""

from __future__ import annotations

import math
import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

#: When a 429 carries no usable hint, wait this long (what MDEAutomator does).
DEFAULT_RETRY_AFTER_S = 60.0

_BODY_AGAIN_IN = re.compile(r"again\s+in\s+(\d+(?:\.\d+)?)\s*(?:seconds?|secs?|s)\b", re.IGNORECASE)
_BODY_RETRY_AFTER = re.compile(r"retry\s+after\s+(\d+(?:\.\d+)?)\s*(?:seconds?|secs?|s)\b", re.IGNORECASE)

#: Statuses a read retries with backoff.
RETRYABLE_STATUS = frozenset({408, 500, 502, 503, 504})


@dataclass
class RetryPolicy:
    #: attempts of a call retried only when certainly not sent (``retry="connect"``: cancel, library upload)
    max_attempts: int = 4
    #: reads (GET) retry 5xx / 408 / transport failures with backoff until this long after their first attempt
    read_deadline_s: float = 300.0
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    #: 0..1; the delay is drawn from [delay*(1-jitter), delay]
    jitter: float = 1.0
    #: total attempts of a read that keeps getting 429 (each waits Retry-After)
    max_429_attempts: int = 3
    #: a Retry-After longer than this is not waited for by the client: RateLimited is raised instead
    max_retry_after_s: float = 300.0
    #: a Retry-After longer than this is refused: ``RetryAfterTooLong`` (pause the work, resume later)
    retry_after_limit_s: float = 3600.0
    #: the whole of one attempt (send, wait, read the body), whatever the read timeouts allow
    request_deadline_s: float = 120.0
    #: an API answer's body is refused past this many bytes, on the wire and once gzip/deflate-decoded
    max_body_bytes: int = 32 << 20
    #: JSON nested deeper than this is refused (``UnexpectedResponse``) before it is decoded
    max_json_depth: int = 64
    #: result-link downloads: the deadline is this grace plus the bytes so far at the minimum throughput
    download_grace_s: float = 60.0
    download_min_bytes_per_s: float = 32 << 10
    #: how long ``get_action(fresh=True)`` tolerates 404 (eventual consistency after a POST)
    fresh_404_s: float = 120.0
    fresh_404_first_delay_s: float = 2.0
    fresh_404_max_delay_s: float = 10.0
    #: after an uncertain POST: how many listings look for the marker, and the wait before each
    reconcile_attempts: int = 3
    reconcile_delay_s: float = 5.0
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def backoff(self, attempt: int) -> float:
        """Delay before retry number ``attempt`` (1 = the first retry): capped exponential, jittered."""
        attempt = max(1, attempt)
        ceiling = min(self.max_delay_s, self.base_delay_s * (2.0 ** (attempt - 1)))
        j = min(max(self.jitter, 0.0), 1.0)
        return ceiling * (1.0 - j * self.rng.random())

    def fresh_404_delay(self, attempt: int) -> float:
        return min(self.fresh_404_max_delay_s, self.fresh_404_first_delay_s * (1.5 ** max(0, attempt - 1)))


def parse_retry_after(
    headers: Mapping[str, str] | None,
    body: bytes | str | None = None,
    *,
    now: float | None = None,
    default: float = DEFAULT_RETRY_AFTER_S,
) -> float:
    """Seconds to wait after a 429.

    Order: ``retry-after-ms``; ``Retry-After`` as (decimal) seconds; ``Retry-After`` as an HTTP date
    (relative to ``now``, epoch seconds); the body's "... again in N seconds"; else ``default``.
    Never negative, NaN or infinite: such values count as missing. Not clamped: the caller compares the
    result with ``RetryPolicy.retry_after_limit_s``.
    """
    h = {k.lower(): v for k, v in (headers or {}).items()}
    ms = h.get("retry-after-ms")
    if ms:
        try:
            v = float(ms.strip()) / 1000.0
            if _usable(v):
                return v
        except ValueError:
            pass
    ra = (h.get("retry-after") or "").strip()
    if ra:
        try:
            v = float(ra)
            if _usable(v):
                return v
        except ValueError:
            try:
                when = parsedate_to_datetime(ra)
            except (TypeError, ValueError, IndexError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                ref = time.time() if now is None else now
                return max(0.0, when.timestamp() - ref)
    if body:
        text = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else str(body)
        text = text[:65536]
        m = _BODY_AGAIN_IN.search(text) or _BODY_RETRY_AFTER.search(text)
        if m and _usable(float(m.group(1))):
            return float(m.group(1))
    return default


def _usable(v: float) -> bool:
    """A wait the service may ask for: finite and not negative (NaN, inf and negatives count as missing)."""
    return math.isfinite(v) and v >= 0.0


def http_date(ts: float) -> str:
    """An IMF-fixdate for ``ts`` (tests, the simulator)."""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
