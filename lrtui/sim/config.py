"""Simulator configuration: :class:`SimConfig` and the ``--faults`` spec (:class:`FaultSpec`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["FaultSpec", "SimConfig", "parse_duration", "parse_faults"]

_DUR = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$", re.I)


def parse_duration(text: str, default_unit: str = "ms") -> float:
    """``200ms`` / ``0.2s`` / ``1m`` / ``200`` (default unit) -> seconds."""
    m = _DUR.match(str(text))
    if not m:
        raise ValueError(f"not a duration: {text!r} (use e.g. 200ms, 1.5s, 2m)")
    value = float(m.group(1))
    unit = (m.group(2) or default_unit).lower()
    return value * {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[unit]


@dataclass(frozen=True)
class FaultSpec:
    """Injected faults, each a probability per request (latency is added to every request).

    ``latency_s`` may be a range (``latency=100-300ms``): each request draws uniformly from it.
    ``phase_after`` is the share of 5xx/drop faults injected *after* the request was processed (the
    action exists, the answer is lost) rather than before it.
    """

    error_5xx: float = 0.0
    drop: float = 0.0
    throttle_429: float = 0.0
    latency_s: tuple[float, float] = (0.0, 0.0)
    phase_after: float = 0.5
    blob: bool = False  # also apply to the blob origin

    @property
    def any(self) -> bool:
        return bool(self.error_5xx or self.drop or self.throttle_429 or self.latency_s[1])

    def __str__(self) -> str:
        parts = []
        if self.error_5xx:
            parts.append(f"5xx={self.error_5xx:g}")
        if self.drop:
            parts.append(f"drop={self.drop:g}")
        if self.throttle_429:
            parts.append(f"429={self.throttle_429:g}")
        lo, hi = self.latency_s
        if hi:
            parts.append(f"latency={lo * 1000:g}ms" if lo == hi else f"latency={lo * 1000:g}-{hi * 1000:g}ms")
        if self.phase_after != 0.5:
            parts.append(f"after={self.phase_after:g}")
        if self.blob:
            parts.append("blob=1")
        return ",".join(parts)


def _prob(key: str, value: str) -> float:
    try:
        p = float(value.rstrip("%")) / (100.0 if value.endswith("%") else 1.0)
    except ValueError:
        raise ValueError(f"--faults: {key}={value!r} is not a probability (use 0.05 or 5%)") from None
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"--faults: {key}={value!r} must be between 0 and 1")
    return p


def parse_faults(spec: str | FaultSpec | None) -> FaultSpec | None:
    """Parse ``5xx=0.1,drop=0.05,latency=200ms,429=0.05`` (also ``latency=100-300ms``, ``after=0.5``,
    ``blob=1``). Empty or None -> None. Raises ValueError naming the bad part."""
    if spec is None or isinstance(spec, FaultSpec):
        return spec
    spec = spec.strip()
    if not spec:
        return None
    kw: dict[str, Any] = {}
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise ValueError(f"--faults: {part!r} is not key=value (keys: 5xx, drop, 429, latency, after, blob)")
        key, value = (s.strip() for s in part.split("=", 1))
        k = key.lower()
        if k in ("5xx", "500", "error", "errors"):
            kw["error_5xx"] = _prob(key, value)
        elif k in ("drop", "drops", "reset"):
            kw["drop"] = _prob(key, value)
        elif k in ("429", "throttle"):
            kw["throttle_429"] = _prob(key, value)
        elif k == "latency":
            m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*-\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$", value, re.I)
            if m:
                unit = m.group(4) or m.group(2) or "ms"
                lo = parse_duration(m.group(1) + (m.group(2) or unit))
                hi = parse_duration(m.group(3) + unit)
                if hi < lo:
                    lo, hi = hi, lo
                kw["latency_s"] = (lo, hi)
            else:
                try:
                    d = parse_duration(value)
                except ValueError as e:
                    raise ValueError(f"--faults: latency={value!r}: {e}") from None
                kw["latency_s"] = (d, d)
        elif k in ("after", "phase_after"):
            kw["phase_after"] = _prob(key, value)
        elif k == "blob":
            kw["blob"] = value.lower() in ("1", "true", "yes", "on")
        else:
            raise ValueError(f"--faults: unknown key {key!r} (keys: 5xx, drop, 429, latency, after, blob)")
    return FaultSpec(**kw)


@dataclass
class SimConfig:
    """Everything that shapes one simulated tenant. Durations are *service* seconds; the simulator
    multiplies script run times, timeouts, the offline queue, pick-up delays and link expiry by
    ``time_scale``. Rate windows are scaled only with ``scale_rate_window``. ``token_ttl_s`` and
    ``quirk_fresh_404_s`` are plain (unscaled) seconds on the simulator clock."""

    seed: int = 1
    machines: int = 500
    time_scale: float = 1.0
    # live response budget (POST runliveresponse)
    rate_calls: int = 10
    rate_window_s: float = 60.0
    scale_rate_window: bool = False
    max_sessions: int = 25
    sessions_count_pending: bool = True  # UNCONFIRMED: do queued (Pending) actions hold a session slot?
    # general budget (every other /api endpoint): each API has its own windows ("per API", as the error page and
    # each API page say); general_per_endpoint=False shares one pair of windows among them all (the old model)
    general_per_minute: int = 100
    general_per_hour: int = 1500
    general_per_endpoint: bool = True
    faults: FaultSpec | str | None = None
    require_token: str | None = None
    token_ttl_s: float | None = None
    # quirks
    quirk_empty_commands: bool = False
    # the POST reply seen in real captures: machineId and computerDnsName null, commands empty, requestor the
    # app's id (the documented reply, the default, fills them)
    quirk_captured_post_reply: bool = False
    quirk_fresh_404_s: float = 0.0
    quirk_portal_session: list[str] = field(default_factory=list)
    retry_after_style: str = "seconds"  # "seconds" | "http-date" | "missing" (the 429 body always says "in N seconds")
    quirk_cancel_reads_failed: bool = False  # OBS: "Cancelled, or sometimes Failed"
    lenient_case: bool = False  # UNCONFIRMED: accept lower-case body keys (PSMDE sends them)
    strict_filter_fields: bool = True  # 400 for $filter on fields not documented as filterable
    # the workshop machine (see tenant.pick_workshop_machine) comes online this long after start (service seconds,
    # scaled: 50 min is one minute in the demo's time scale of 0.02); None leaves it offline for good
    workshop_online_after_s: float | None = 3000.0
    # limits and timings (service seconds)
    link_ttl_s: float = 1800.0
    link_min_ttl_s: float = 2.0  # floor for the scaled link lifetime (real seconds), so tiny time scales stay usable
    queue_ttl_s: float = 3 * 24 * 3600.0
    script_timeout_s: float = 600.0
    pickup_delay_s: tuple[float, float] = (3.0, 9.0)
    page_size: int = 10_000
    max_top: int = 10_000
    library_max_bytes: int = 20 * 1024 * 1024
    live_response_servers: bool = True  # False: servers answer 403 DisabledFeature
    # False: action ids come from each simulator's own random source (demo sessions never repeat one); True: they
    # derive from the seed (reproducible ids for tests and screenshots). Timings and outputs follow the seed either way.
    seeded_action_ids: bool = False
    # identity
    app_name: str = "lrtui-demo-app"
    app_id: str = "3f1b6c2e-8d4a-4e7b-9c5d-1a2b3c4d5e6f"  # the app registration's client id
    tenant_id: str = "7d3c1e7a-5b2f-4c1d-9e8a-0f6b2a4c9e11"
    blob_base_url: str = "http://blob.localhost"
    clock: Callable[[], float | datetime] | None = None  # returns epoch seconds (float) or an aware datetime
    start_time: float | None = None  # epoch seconds of "now" at creation (default: clock())

    @property
    def fault_spec(self) -> FaultSpec | None:
        """``faults`` as parsed (a string given to the constructor is parsed there)."""
        return self.faults if isinstance(self.faults, FaultSpec) else parse_faults(self.faults)

    def __post_init__(self) -> None:
        self.faults = parse_faults(self.faults)
        if self.time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        if self.machines < 0:
            raise ValueError("machines must be >= 0")
        if self.retry_after_style not in ("seconds", "http-date", "missing"):
            raise ValueError("retry_after_style must be 'seconds', 'http-date' or 'missing'")
        if isinstance(self.quirk_portal_session, str):
            self.quirk_portal_session = [self.quirk_portal_session]
        self.quirk_portal_session = list(self.quirk_portal_session)
