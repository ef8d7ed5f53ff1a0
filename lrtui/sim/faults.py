"""Fault injection (``--faults``): latency, spurious 429s, 5xx and dropped connections, seeded.

5xx and drops happen either *before* the request reaches the API (nothing happened) or *after* it was
processed (it happened, the answer is lost) -- ``FaultSpec.phase_after`` is the share of the latter.
A drop over a real socket closes the connection without an answer; in-process (ASGI transport, no
socket) it raises ``httpx.RemoteProtocolError`` into the client, like a real disconnect would.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading

from .asgi import ASGIApp, Message, Receive, Scope, Send
from .config import FaultSpec
from .ids import RequestIds
from .state import TenantState

__all__ = ["FaultMiddleware"]


class FaultMiddleware:
    """Wraps one origin's ASGI app; draws from its own generator, seeded by the tenant seed and the origin."""

    def __init__(
        self,
        app: ASGIApp,
        spec: FaultSpec,
        *,
        seed: int,
        origin: str,
        state: TenantState,
        lock: threading.RLock,
        request_ids: RequestIds,
    ) -> None:
        self.app = app
        self.spec = spec
        self.origin = origin
        self._state = state
        self._lock = lock
        self._request_ids = request_ids
        self.rng = random.Random(f"faults|{seed}|{origin}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        spec = self.spec
        with self._lock:
            lo, hi = spec.latency_s
            latency = lo + (hi - lo) * self.rng.random()
            roll = self.rng.random()
            after = self.rng.random() < spec.phase_after
            pick = self.rng.random()
        if latency > 0:
            await asyncio.sleep(latency)
        fault = None
        if roll < spec.throttle_429:
            fault = "429"
        elif roll < spec.throttle_429 + spec.error_5xx:
            fault = "5xx"
        elif roll < spec.throttle_429 + spec.error_5xx + spec.drop:
            fault = "drop"
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault == "429":
            after = False
        st = self._state
        with self._lock:
            st.faults_injected[f"{fault}_{'after' if after else 'before'}"] += 1
        if after:

            async def swallow(message: Message) -> None:
                return None

            await self.app(scope, receive, swallow)
        if fault == "drop":
            await self._drop(send)
            return
        if fault == "429":
            with self._lock:
                st.throttled_count += 1
                st.throttled_by_reason["injected"] += 1
                st.status_counts[429] += 1
            wait = 1 + int(pick * 3)
            await self._json(
                send,
                429,
                "TooManyRequests",
                f"Rate limit is exceeded. You can send requests again in {wait} seconds.",
                [(b"retry-after", str(wait).encode())],
            )
            return
        status = [500, 502, 503][int(pick * 3)]
        code = {500: "InternalServerError", 502: "BadGateway", 503: "ServiceUnavailable"}[status]
        with self._lock:
            st.status_counts[status] += 1
        await self._json(send, status, code, "An unexpected error occurred (simulated). Retry the request.", [])

    async def _json(self, send: Send, status: int, code: str, message: str, extra: list[tuple[bytes, bytes]]) -> None:
        with self._lock:
            rid = self._request_ids()
        body = json.dumps({"error": {"code": code, "message": message, "target": rid}}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ]
                + extra,
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _drop(self, send: Send) -> None:
        # Over a socket, uvicorn's ``send`` is a bound method of its per-request cycle, which holds the asyncio
        # transport: closing it is the only way to drop a connection without an answer. In-process (no cycle,
        # no transport) the client sees the exception a real disconnect gives.
        cycle = getattr(send, "__self__", None)
        transport = getattr(cycle, "transport", None)
        if transport is not None:
            transport.close()
            # let uvicorn notice the disconnect before the app returns (no "returned without response" log)
            for _ in range(3):
                await asyncio.sleep(0)
            return
        import httpx  # only when a drop happens in-process (httpx is what the in-process client runs on)

        raise httpx.RemoteProtocolError("Server disconnected without sending a response (simulated drop).")
