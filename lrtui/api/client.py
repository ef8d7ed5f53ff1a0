"""``MdeClient``: the async MDE API client (docs/contracts.md), composed of resources over one transport.

``client.transport`` (``ApiTransport``) holds the two httpx clients, one call with retries and the request log;
the endpoint groups share it: ``client.machines``, ``client.actions``, ``client.live_response`` (POST +
reconcile), ``client.results`` and ``client.library`` (``lrtui.api.resources``).

One long-lived ``httpx.AsyncClient`` carries the API calls (with the bearer auth); a second, separate client
with no auth and no default headers fetches result links, so the blob host can never receive the token.
Every HTTP attempt is reported to ``on_request`` as a redacted ``RequestRecord``.

Retries: reads retry 5xx/408 and connection errors with capped jittered backoff, and wait ``Retry-After`` on a
429. A runliveresponse POST is sent once: a 429 is raised at once (the engine's budget decides), and after a
timeout, a dropped connection or a 5xx the client reconciles by listing the machine's recent LiveResponse
actions for the caller's marker; found -> that action, else ``SubmissionUncertain``. Never a second POST.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from typing import Self

import httpx

from lrtui.api.providers import TokenProvider
from lrtui.api.records import MalformedFn, RequestRecord
from lrtui.api.resources import (
    ActionsResource,
    LibraryResource,
    LiveResponseResource,
    MachinesResource,
    ResultsResource,
)
from lrtui.api.retry import RetryPolicy
from lrtui.api.transport import ApiTransport, GeneralGate


class MdeClient:
    """The MDE API: machines, live response (with reconciliation), actions, results and the library."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | TokenProvider | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        blob_transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        on_request: Callable[[RequestRecord], None] | None = None,
        general_gate: GeneralGate | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        download_timeout: float | None = None,
        ssl_context: ssl.SSLContext | None = None,
        on_malformed: MalformedFn | None = None,
    ) -> None:
        """``general_gate(key)`` is awaited before every call but the runliveresponse POST, with the call's
        endpoint key (``lrtui.api.endpoints.endpoint_key``); ``ssl_context`` verifies both the API and the
        result-link connections (default: the system's trust store); ``on_malformed`` receives each list item
        that is not a valid entity."""
        self.transport = ApiTransport(
            base_url,
            auth=auth,
            transport=transport,
            blob_transport=blob_transport,
            timeout=timeout,
            retry=retry,
            on_request=on_request,
            general_gate=general_gate,
            sleep=sleep,
            download_timeout=download_timeout,
            ssl_context=ssl_context,
            on_malformed=on_malformed,
        )
        self.machines = MachinesResource(self.transport)
        self.actions = ActionsResource(self.transport)
        self.live_response = LiveResponseResource(self.transport, self.actions)
        self.results = ResultsResource(self.transport)
        self.library = LibraryResource(self.transport)

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
