"""Who may call, and how often: the bearer token, then the live response or the general call budget."""

from __future__ import annotations

import threading
from collections.abc import Callable

from starlette.requests import Request

from ..budgets import QUOTA_KEY, Budgets, retry_after_header
from ..clock import SimClock
from ..config import SimConfig
from ..state import TenantState
from .replies import HttpError

__all__ = ["Gate"]

LIVE_RESPONSE_ENDPOINT = "runliveresponse"
_INVALID = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
_EXPIRED = {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="The token is expired"'}


class Gate:
    def __init__(
        self,
        config: SimConfig,
        state: TenantState,
        lock: threading.RLock,
        clock: SimClock,
        budgets: Budgets,
        retry_headers: Callable[[float, float], dict[str, str]],
    ) -> None:
        self._config = config
        self._state = state
        self._lock = lock
        self._clock = clock
        self._budgets = budgets
        self._retry_headers = retry_headers

    def authenticate(self, request: Request) -> None:
        """Any non-empty bearer token, unless ``require_token``; with ``token_ttl_s`` a token expires that long
        after its first use."""
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise HttpError(
                401, "Unauthorized", "Authorization has been denied for this request: no bearer token.", _INVALID
            )
        if self._config.require_token is not None and token != self._config.require_token:
            raise HttpError(
                401, "Unauthorized", "Authorization has been denied for this request: the token is invalid.", _INVALID
            )
        ttl = self._config.token_ttl_s
        if ttl is not None:
            with self._lock:
                now = self._clock.now()
                first = self._state.tokens_seen.setdefault(token, now)
            if now - first >= ttl:
                raise HttpError(
                    401,
                    "Unauthorized",
                    "Authorization has been denied for this request: the token has expired.",
                    _EXPIRED,
                )

    def admit(self, endpoint: str, now: float) -> None:
        """Count one call to ``endpoint`` against its budget, or raise the 429 (nothing is counted then)."""
        if endpoint == LIVE_RESPONSE_ENDPOINT:
            self._admit_live_response(now)
        else:
            self._admit_general(endpoint, now)

    def _admit_live_response(self, now: float) -> None:
        self._state.lr_post_count += 1
        window = self._budgets.lr_window
        wait = window.retry_after(now)
        if wait is not None:
            self._state.throttled_by_reason["lr_rate"] += 1
            raise HttpError(
                429,
                "TooManyRequests",
                f"Rate limit is exceeded: at most {self._config.rate_calls} live response requests per "
                f"{window.window_s:g} seconds for the key {QUOTA_KEY}. "
                f"You can send requests again in {retry_after_header(wait)} seconds.",
                self._retry_headers(wait, now),
            )
        window.record(now)

    def _admit_general(self, endpoint: str, now: float) -> None:
        wm, wh = self._budgets.general_windows(endpoint)
        wait_m, wait_h = wm.retry_after(now), wh.retry_after(now)
        if wait_m is not None or wait_h is not None:
            wait = max(w for w in (wait_m, wait_h) if w is not None)
            self._state.throttled_by_reason["general_hour" if wait_h is not None else "general_minute"] += 1
            w = wh if wait_h is not None else wm
            raise HttpError(
                429,
                "TooManyRequests",
                f"Rate limit is exceeded: {w.limit} calls per {w.window_s:g} seconds to this API for the key "
                f"{QUOTA_KEY}. You can send requests again in {retry_after_header(wait)} seconds.",
                self._retry_headers(wait, now),
            )
        wm.record(now)
        wh.record(now)
