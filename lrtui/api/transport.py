"""The request core under ``MdeClient``: the two httpx clients, one call with retries, the request log, JSON decoding.

One long-lived ``httpx.AsyncClient`` carries the API calls (with the bearer auth); a second, separate client
with no auth and no default headers fetches result links, so the blob host can never receive the token.
Every HTTP attempt is reported to ``on_request`` as a redacted ``RequestRecord``.

Retries: reads retry 5xx/408 and connection errors with capped jittered backoff, and wait ``Retry-After`` on a
429. ``retry="connect"`` retries only failures where the request was certainly not sent; ``retry="none"`` sends
once (the runliveresponse POST).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import httpx
import pydantic

from lrtui import __version__
from lrtui.api import errors as E
from lrtui.api.auth import BearerAuth
from lrtui.api.clouds import normalize_base_url
from lrtui.api.errors_map import error_from_response
from lrtui.api.providers import TokenProvider
from lrtui.api.records import RequestRecord
from lrtui.api.redact import redact_text, redact_url
from lrtui.api.retry import RETRYABLE_STATUS, RetryPolicy

RetryKind = Literal["read", "connect", "none"]
#: failures where the request certainly never left this machine
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
#: a multipart upload's files: field -> (file name, content, content type)
UploadFiles = Mapping[str, tuple[str, bytes, str]]

ModelT = TypeVar("ModelT", bound=pydantic.BaseModel)


@dataclass
class _Tally:
    """Failures of one call so far: 5xx / transport failures, and 429s."""

    fails: int = 0
    limited: int = 0


class ApiTransport:
    """The API and result-link httpx clients, one call with the policy's retries, and the request log."""

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
        general_gate: Callable[[], Awaitable[None]] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        download_timeout: float | None = None,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        if isinstance(auth, TokenProvider):  # a bare provider (e.g. StaticToken) gets the standard bearer flow
            auth = BearerAuth(auth)
        if isinstance(auth, BearerAuth) and auth.on_refused is None:
            auth.on_refused = self._auth_refused  # the request log sees a refused token too
        self.auth = auth
        self.retry = retry or RetryPolicy()
        self.on_request = on_request
        self.general_gate = general_gate
        self.sleep = sleep
        user_agent = f"lrtui/{__version__}"
        #: the API client: carries the bearer auth
        self.http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=auth,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            headers={"Accept": "application/json", "User-Agent": user_agent},
            follow_redirects=False,
        )
        # Result links: no auth, no cookies shared, nothing but what a plain GET needs.
        dl = download_timeout if download_timeout is not None else max(timeout, 120.0)
        #: the result-link client: no auth, never the API client's headers
        self.blob = httpx.AsyncClient(
            transport=blob_transport,
            timeout=httpx.Timeout(dl, connect=min(timeout, 15.0)),
            follow_redirects=False,
        )
        self.blob.headers = httpx.Headers({"User-Agent": user_agent, "Accept-Encoding": "identity"})
        self.base_host = (urlsplit(self.base_url).hostname or "").lower()

    def _auth_refused(self, request: httpx.Request, response: httpx.Response, elapsed_ms: float) -> None:
        self.record(request.method, request.url, response.status_code, elapsed_ms, "Unauthorized (token refreshed)", 1)

    async def aclose(self) -> None:
        try:
            await self.http.aclose()
        finally:
            await self.blob.aclose()

    # ------------------------------------------------------------------ the request log

    def record(
        self,
        method: str,
        url: str | httpx.URL,
        status: int | None,
        elapsed_ms: float,
        error: str | None,
        attempt: int,
        retry_after: float | None = None,
    ) -> None:
        """Report one attempt (its URL redacted) to ``on_request``; a broken sink never breaks a call."""
        if self.on_request is None:
            return
        try:
            self.on_request(
                RequestRecord(
                    at=time.time(),
                    method=method,
                    url=redact_url(str(url)),
                    status=status,
                    elapsed_ms=round(elapsed_ms, 1),
                    error=error,
                    attempt=attempt,
                    retry_after=retry_after,
                )
            )
        except Exception:  # noqa: S110 - a broken log sink must not break a call
            pass

    def blob_record(self, method: str, url: str, status: int | None, elapsed_ms: float, error: str | None) -> None:
        """``record`` for a result-link GET (one attempt)."""
        self.record(method, url, status, elapsed_ms, error, 1)

    def _full_url(self, url: str, params: Mapping[str, Any] | None) -> str:
        try:
            return str(self.http.build_request("GET", url, params=params).url)
        except Exception:
            return url

    # ------------------------------------------------------------------ one call

    async def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        files: UploadFiles | None = None,
        data: Mapping[str, str] | None = None,
        retry: RetryKind = "read",
        gate: bool = True,
        ok: tuple[int, ...] | None = None,
    ) -> httpx.Response:
        """One call with the policy's retries; returns the success response or raises a typed error.

        ``ok``: the statuses that count as success (default: any 2xx)."""
        tally = _Tally()
        attempt = 0
        while True:
            attempt += 1
            if gate and self.general_gate is not None:
                await self.general_gate()
            t0 = time.monotonic()
            try:
                resp = await self.http.request(method, url, params=params, json=json_body, files=files, data=data)
            except httpx.HTTPError as e:
                elapsed = (time.monotonic() - t0) * 1000.0
                full = str(e.request.url) if _has_request(e) else self._full_url(url, params)
                self.record(method, full, None, elapsed, type(e).__name__, attempt)
                await self.sleep(self._after_failure(e, method, full, retry, tally))
                continue
            elapsed = (time.monotonic() - t0) * 1000.0
            status = resp.status_code
            if (200 <= status < 300) if ok is None else (status in ok):
                self.record(method, resp.request.url, status, elapsed, None, attempt)
                return resp
            err = error_from_response(status, resp.content, resp.headers, method, str(resp.request.url))
            ra = err.retry_after if isinstance(err, E.RateLimited) else None
            self.record(method, resp.request.url, status, elapsed, err.code, attempt, ra)
            await self.sleep(self._after_error_answer(err, status, retry, tally))

    def _after_failure(self, e: httpx.HTTPError, method: str, full: str, retry: RetryKind, tally: _Tally) -> float:
        """The delay before retrying after a transport failure, or the typed error raised."""
        not_sent = isinstance(e, NOT_SENT)
        tally.fails += 1
        can_retry = retry == "read" or (retry == "connect" and not_sent)
        if can_retry and tally.fails < self.retry.max_attempts:
            return self.retry.backoff(tally.fails)
        cls = E.ConnectionFailed if not_sent else E.TransportError
        raise cls(
            f"{method} {endpoint_path(full)} failed: {type(e).__name__}{_detail(e)}.",
            hint="Check the network or proxy; lrtui retries reads, never a live response submission.",
        ) from e

    def _after_error_answer(self, err: E.ApiCallError, status: int, retry: RetryKind, tally: _Tally) -> float:
        """The delay before retrying an error answer (reads only: 5xx/408 with backoff, 429 as asked), or raise it."""
        policy = self.retry
        if retry == "read":
            if status in RETRYABLE_STATUS:
                tally.fails += 1
                if tally.fails < policy.max_attempts:
                    return policy.backoff(tally.fails)
            elif status == 429 and isinstance(err, E.RateLimited):
                tally.limited += 1
                if tally.limited < policy.max_429_attempts and err.retry_after <= policy.max_retry_after_s:
                    return err.retry_after
        raise err

    # ------------------------------------------------------------------ decoding answers

    @staticmethod
    def decode_json(resp: httpx.Response) -> Any:
        """The answer's JSON (a BOM is accepted), or ``UnexpectedResponse`` naming the endpoint."""
        try:
            return json.loads(resp.content.decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            snippet = redact_text(resp.content[:200].decode("utf-8", "replace"))
            raise E.UnexpectedResponse(
                f"The answer to {resp.request.method} {endpoint_path(str(resp.request.url))} is not JSON: {snippet!r}",
                status=resp.status_code,
                method=resp.request.method,
                url=redact_url(str(resp.request.url)),
            ) from None

    @staticmethod
    def parse(model: type[ModelT], item: Any, resp: httpx.Response) -> ModelT:
        """``item`` validated as ``model``, or ``UnexpectedResponse`` naming the endpoint and the first problem."""
        try:
            return model.model_validate(item)
        except pydantic.ValidationError as e:
            first = e.errors()[0]
            raise E.UnexpectedResponse(
                f"The answer to {resp.request.method} {endpoint_path(str(resp.request.url))} is not a valid "
                f"{model.__name__}: {e.error_count()} problem(s), first: {first.get('loc')} {first.get('msg')}",
                status=resp.status_code,
                method=resp.request.method,
                url=redact_url(str(resp.request.url)),
            ) from None


def endpoint_path(url: str) -> str:
    """The path of a URL (no query), for messages."""
    try:
        return urlsplit(url).path or url
    except ValueError:
        return "the API"


def _has_request(e: httpx.HTTPError) -> bool:
    try:
        e.request  # noqa: B018 - raises RuntimeError when unset
        return True
    except RuntimeError:
        return False


def _detail(e: Exception) -> str:
    text = redact_text(str(e)).strip()
    return f" ({text[:200]})" if text else ""
