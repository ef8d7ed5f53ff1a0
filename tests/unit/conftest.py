"""Fakes for the MDE service used by the client tests: ``httpx.MockTransport`` handlers (the external system)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from lrtui.api.client import MdeClient
from lrtui.api.records import RequestRecord
from lrtui.api.retry import RetryPolicy

BASE = "https://api.security.microsoft.com"
MID = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
AID = "7f0c2a9e-1111-4c2b-9d3e-2a6f5b8c9d01"


def err(
    status: int, code: str, message: str = "msg", target: str = "|b1838e63-40a6640ddd2719ac.", headers=None
) -> httpx.Response:
    return httpx.Response(
        status,
        json={"error": {"code": code, "message": message, "target": target}},
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )


def action(**kw: Any) -> dict:
    base = {
        "id": AID,
        "type": "LiveResponse",
        "status": "Pending",
        "machineId": MID,
        "requestorComment": "c",
        "commands": [],
    }
    base.update(kw)
    return base


class Chunks(httpx.AsyncByteStream):
    """A streamed body (not preloaded), as a real socket delivers it."""

    def __init__(self, chunks, on_chunk: Callable[[int], None] | None = None) -> None:
        self._chunks = chunks
        self._on_chunk = on_chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for i, c in enumerate(self._chunks):
            if self._on_chunk:
                self._on_chunk(i)
            yield c


@dataclass
class Harness:
    requests: list[httpx.Request] = field(default_factory=list)
    blob_requests: list[httpx.Request] = field(default_factory=list)
    records: list = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    gates: int = 0
    gate_keys: list[str] = field(default_factory=list)
    clients: list[MdeClient] = field(default_factory=list)

    def client(
        self,
        handler: Callable[[httpx.Request], httpx.Response],
        blob: Callable[[httpx.Request], httpx.Response] | None = None,
        *,
        retry: RetryPolicy | None = None,
        auth: httpx.Auth | None = None,
        base: str = BASE,
        on_request: Callable[[RequestRecord], None] | None = None,
    ) -> MdeClient:
        def api(req: httpx.Request) -> httpx.Response:
            self.requests.append(req)
            return handler(req)

        def blob_h(req: httpx.Request) -> httpx.Response:
            self.blob_requests.append(req)
            if blob is None:
                return httpx.Response(404)
            return blob(req)

        async def sleep(s: float) -> None:
            self.sleeps.append(s)

        async def gate(key: str) -> None:
            self.gates += 1
            self.gate_keys.append(key)

        c = MdeClient(
            base,
            auth=auth,
            transport=httpx.MockTransport(api),
            blob_transport=httpx.MockTransport(blob_h),
            retry=retry or RetryPolicy(jitter=0.0),
            on_request=on_request or self.records.append,
            general_gate=gate,
            sleep=sleep,
        )
        self.clients.append(c)
        return c

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]


@pytest.fixture
async def h():
    harness = Harness()
    yield harness
    for c in harness.clients:
        await c.aclose()
