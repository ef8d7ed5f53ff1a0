"""The request core under ``MdeClient``: the two httpx clients, one call with retries, the request log, JSON decoding.

One long-lived ``httpx.AsyncClient`` carries the API calls (with the bearer auth); a second, separate client
with no auth and no default headers fetches result links, so the blob host can never receive the token.
Every HTTP attempt is reported to ``on_request`` as a redacted ``RequestRecord``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import httpx
import pydantic

from lrtui import __version__
from lrtui.api import errors as E
from lrtui.api.auth import BearerAuth, TokenProvider
from lrtui.api.clouds import normalize_base_url
from lrtui.api.errors_map import error_from_response
from lrtui.api.redact import redact_text, redact_url
from lrtui.api.retry import RETRYABLE_STATUS, RetryPolicy
from lrtui.engine.jobs import RequestRecord

if TYPE_CHECKING:
    from lrtui.api.client import MdeClient

RetryKind = Literal["read", "connect", "none"]
_RECORD_HAS_RETRY_AFTER = "retry_after" in getattr(RequestRecord, "__dataclass_fields__", {})
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class ApiTransport:
    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
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
        self.auth = auth
        self.retry = retry or RetryPolicy()
        self.on_request = on_request
        self.general_gate = general_gate
        self._sleep = sleep
        user_agent = f"lrtui/{__version__}"
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=auth,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            headers={"Accept": "application/json", "User-Agent": user_agent},
            follow_redirects=False,
        )
        # Result links: no auth, no cookies shared, nothing but what a plain GET needs.
        dl = download_timeout if download_timeout is not None else max(timeout, 120.0)
        self._blob = httpx.AsyncClient(
            transport=blob_transport,
            timeout=httpx.Timeout(dl, connect=min(timeout, 15.0)),
            follow_redirects=False,
        )
        self._blob.headers = httpx.Headers({"User-Agent": user_agent, "Accept-Encoding": "identity"})
        self._base_host = (urlsplit(self.base_url).hostname or "").lower()
        if auth is not None and hasattr(auth, "on_refused") and auth.on_refused is None:
            auth.on_refused = self._auth_refused  # type: ignore[attr-defined]

    def _auth_refused(self, request: httpx.Request, response: httpx.Response, elapsed_ms: float) -> None:
        self._record(request.method, request.url, response.status_code, elapsed_ms, "Unauthorized (token refreshed)", 1)

    # ------------------------------------------------------------------ lifecycle

    async def aclose(self) -> None:
        try:
            await self._http.aclose()
        finally:
            await self._blob.aclose()

    async def __aenter__(self) -> MdeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ core

    def _record(
        self,
        method: str,
        url: Any,
        status: int | None,
        elapsed_ms: float,
        error: str | None,
        attempt: int,
        retry_after: float | None = None,
    ) -> None:
        if self.on_request is None:
            return
        try:
            extra = {"retry_after": retry_after} if retry_after is not None and _RECORD_HAS_RETRY_AFTER else {}
            self.on_request(
                RequestRecord(
                    at=time.time(),
                    method=method,
                    url=redact_url(str(url)),
                    status=status,
                    elapsed_ms=round(elapsed_ms, 1),
                    error=error,
                    attempt=attempt,
                    **extra,
                )
            )
        except Exception:  # a broken log sink must not break a call
            pass

    def _full_url(self, url: str, params: dict | None) -> str:
        try:
            return str(self._http.build_request("GET", url, params=params).url)
        except Exception:
            return url

    async def _send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        files: Any = None,
        data: Any = None,
        retry: RetryKind = "read",
        gate: bool = True,
        ok: tuple[int, ...] | None = None,
    ) -> httpx.Response:
        """One call with the policy's retries; returns the success response or raises a typed error.

        ``ok``: the statuses that count as success (default: any 2xx)."""
        policy = self.retry
        attempt = 0
        fails = 0  # 5xx / transport failures so far
        limited = 0  # 429s so far
        while True:
            attempt += 1
            if gate and self.general_gate is not None:
                await self.general_gate()
            t0 = time.monotonic()
            try:
                kw: dict[str, Any] = {"params": params}
                if json_body is not None:
                    kw["json"] = json_body
                if files is not None:
                    kw["files"] = files
                if data is not None:
                    kw["data"] = data
                resp = await self._http.request(method, url, **kw)
            except httpx.HTTPError as e:
                elapsed = (time.monotonic() - t0) * 1000.0
                full = str(e.request.url) if _has_request(e) else self._full_url(url, params)
                self._record(method, full, None, elapsed, type(e).__name__, attempt)
                not_sent = isinstance(e, _NOT_SENT)
                fails += 1
                can_retry = retry == "read" or (retry == "connect" and not_sent)
                if can_retry and fails < policy.max_attempts:
                    await self._sleep(policy.backoff(fails))
                    continue
                cls = E.ConnectionFailed if not_sent else E.TransportError
                raise cls(
                    f"{method} {_ep(full)} failed: {type(e).__name__}{_detail(e)}.",
                    hint="Check the network or proxy; lrtui retries reads, never a live response submission.",
                ) from e
            elapsed = (time.monotonic() - t0) * 1000.0
            status = resp.status_code
            if (200 <= status < 300) if ok is None else (status in ok):
                self._record(method, resp.request.url, status, elapsed, None, attempt)
                return resp
            err = error_from_response(status, resp.content, resp.headers, method, str(resp.request.url))
            ra = err.retry_after if isinstance(err, E.RateLimited) else None
            self._record(method, resp.request.url, status, elapsed, err.code, attempt, ra)
            if retry == "read":
                if status in RETRYABLE_STATUS:
                    fails += 1
                    if fails < policy.max_attempts:
                        await self._sleep(policy.backoff(fails))
                        continue
                elif status == 429 and isinstance(err, E.RateLimited):
                    limited += 1
                    if limited < policy.max_429_attempts and err.retry_after <= policy.max_retry_after_s:
                        await self._sleep(err.retry_after)
                        continue
            raise err

    @staticmethod
    def _json(resp: httpx.Response) -> Any:
        try:
            return json.loads(resp.content.decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            snippet = redact_text(resp.content[:200].decode("utf-8", "replace"))
            raise E.UnexpectedResponse(
                f"The answer to {resp.request.method} {_ep(str(resp.request.url))} is not JSON: {snippet!r}",
                status=resp.status_code,
                method=resp.request.method,
                url=redact_url(str(resp.request.url)),
            ) from None

    def _parse(self, model: type, item: Any, resp: httpx.Response) -> Any:
        try:
            return model.model_validate(item)
        except pydantic.ValidationError as e:
            raise E.UnexpectedResponse(
                f"The answer to {resp.request.method} {_ep(str(resp.request.url))} is not a valid {model.__name__}: "
                f"{e.error_count()} problem(s), first: {e.errors()[0].get('loc')} {e.errors()[0].get('msg')}",
                status=resp.status_code,
                method=resp.request.method,
                url=redact_url(str(resp.request.url)),
            ) from None


def _has_request(e: httpx.HTTPError) -> bool:
    try:
        e.request  # noqa: B018 - raises RuntimeError when unset
        return True
    except RuntimeError:
        return False


def _ep(url: str) -> str:
    """The path of a URL (no query), for messages."""
    try:
        return urlsplit(url).path or url
    except ValueError:
        return "the API"


def _detail(e: Exception) -> str:
    text = redact_text(str(e)).strip()
    return f" ({text[:200]})" if text else ""
