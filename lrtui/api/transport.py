"""The request core under ``MdeClient``: the two httpx clients, one call with retries, the request log, JSON decoding.

One long-lived ``httpx.AsyncClient`` carries the API calls (with the bearer auth); a second, separate client
with no auth and no default headers fetches result links, so the blob host can never receive the token.
Every HTTP attempt is reported to ``on_request`` as a redacted ``RequestRecord``.

Retries: reads retry 5xx/408, connection errors and missed deadlines with capped jittered backoff until
``RetryPolicy.read_deadline_s`` after their first attempt, and wait ``Retry-After`` on a 429 (one past
``retry_after_limit_s`` is ``RetryAfterTooLong``, never slept on). ``retry="connect"`` retries only failures
where the request was certainly not sent; ``retry="none"`` sends once (the runliveresponse POST).

Bounds on every answer: each attempt has a whole-request deadline (``request_deadline_s``: send, wait and read
the body), the body is capped on the wire and once decoded (``max_body_bytes``; ``lrtui.api.body``), and JSON
nested deeper than ``max_json_depth`` is refused before decoding (``lrtui.api.jsonsafe``).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import httpx
import pydantic

from lrtui import __version__
from lrtui.api import errors as E
from lrtui.api.auth import BearerAuth
from lrtui.api.body import ACCEPT_ENCODING, read_body
from lrtui.api.clouds import normalize_base_url
from lrtui.api.endpoints import endpoint_key
from lrtui.api.errors_map import error_from_response
from lrtui.api.jsonsafe import JsonTooDeep, loads_bounded
from lrtui.api.providers import TokenProvider
from lrtui.api.records import MalformedFn, MalformedItem, RequestRecord
from lrtui.api.redact import redact_text, redact_url
from lrtui.api.retry import RETRYABLE_STATUS, RetryPolicy
from lrtui.api.text import clean
from lrtui.api.tls import is_verify_failure, tls_hint

RetryKind = Literal["read", "connect", "none"]
#: failures where the request certainly never left this machine
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
#: a multipart upload's files: field -> (file name, content, content type)
UploadFiles = Mapping[str, tuple[str, bytes, str]]

ModelT = TypeVar("ModelT", bound=pydantic.BaseModel)
#: awaited with the endpoint key before each general call (the engine's per-endpoint budget)
GeneralGate = Callable[[str], Awaitable[None]]
log = logging.getLogger(__name__)


@dataclass
class _Tally:
    """One call so far: 5xx / transport failures, 429s, and the time since its first attempt."""

    fails: int = 0
    limited: int = 0
    slept: float = 0.0  #: what the call asked ``sleep`` for (an injected sleep may not pass real time)
    started: float = field(default_factory=time.monotonic)

    def elapsed(self) -> float:
        return max(self.slept, time.monotonic() - self.started)


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
        general_gate: GeneralGate | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        download_timeout: float | None = None,
        ssl_context: ssl.SSLContext | None = None,
        on_malformed: MalformedFn | None = None,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        if isinstance(auth, TokenProvider):  # a bare provider (e.g. StaticToken) gets the standard bearer flow
            auth = BearerAuth(auth)
        if isinstance(auth, BearerAuth) and auth.on_refused is None:
            auth.on_refused = self._auth_refused  # the request log sees a refused token too
        self.auth = auth
        self.retry = retry or RetryPolicy()
        self.on_request = on_request
        #: awaited with the endpoint key (``endpoint_key``) before every call but the runliveresponse POST
        self.general_gate = general_gate
        #: receives each list item that is not a valid entity (default: a warning in the log)
        self.on_malformed = on_malformed
        verify: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        self.sleep = sleep
        user_agent = f"lrtui/{__version__}"
        #: the API client: carries the bearer auth
        self.http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=auth,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            headers={"Accept": "application/json", "User-Agent": user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            follow_redirects=False,
            verify=verify,
        )
        # Result links: no auth, no cookies shared, nothing but what a plain GET needs.
        dl = download_timeout if download_timeout is not None else max(timeout, 120.0)
        #: the result-link client: no auth, never the API client's headers
        self.blob = httpx.AsyncClient(
            transport=blob_transport,
            timeout=httpx.Timeout(dl, connect=min(timeout, 15.0)),
            follow_redirects=False,
            verify=verify,
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
        *,
        endpoint: str = "",
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
                    endpoint=endpoint,
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
        """One call with the policy's retries; returns the success response (its body read, capped and decoded)
        or raises a typed error. ``ok``: the statuses that count as success (default: any 2xx)."""
        key = endpoint_key(method, url)
        tally = _Tally()
        attempt = 0
        while True:
            attempt += 1
            if gate and self.general_gate is not None:
                await self.general_gate(key)
            t0 = time.monotonic()
            try:
                resp = await self._attempt(method, url, params, json_body, files, data)
            except httpx.InvalidURL as e:  # nothing was sent: a URL httpx refuses is refused the same way each time
                raise E.ConfigError(
                    f"{method} {endpoint_path(url)} was not sent: the request URL is not valid ({clean(str(e))[:200]}).",
                    hint="Check the profile's api_url (lrtui config show).",
                ) from None
            except (httpx.HTTPError, TimeoutError) as e:
                elapsed = (time.monotonic() - t0) * 1000.0
                full = _request_url(e) or self._full_url(url, params)
                name = "RequestDeadlineExceeded" if isinstance(e, TimeoutError) else type(e).__name__
                self.record(method, full, None, elapsed, name, attempt, endpoint=key)
                await self._pause(self._after_failure(e, method, full, retry, tally), tally)
                continue
            except E.UnexpectedResponse as e:  # too large, or a corrupt encoding: never retried
                self.record(method, e.url or self._full_url(url, params), e.status, 0.0, e.code, attempt, endpoint=key)
                raise
            elapsed = (time.monotonic() - t0) * 1000.0
            status = resp.status_code
            if (200 <= status < 300) if ok is None else (status in ok):
                self.record(method, resp.request.url, status, elapsed, None, attempt, endpoint=key)
                return resp
            err = self._error(resp)
            ra = err.retry_after if isinstance(err, (E.RateLimited, E.RetryAfterTooLong)) else None
            self.record(method, resp.request.url, status, elapsed, err.code, attempt, ra, endpoint=key)
            await self._pause(self._after_error_answer(err, status, retry, tally), tally)

    async def _attempt(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        files: UploadFiles | None,
        data: Mapping[str, str] | None,
    ) -> httpx.Response:
        """One HTTP exchange under the whole-request deadline; the body read with the cap, decoded, preloaded."""
        request = self.http.build_request(method, url, params=params, json=json_body, files=files, data=data)
        async with asyncio.timeout(self.retry.request_deadline_s):
            resp = await self.http.send(request, stream=True)
            try:
                body = await read_body(resp, self.retry.max_body_bytes)
            finally:
                await resp.aclose()
        skip = {"content-encoding", "content-length", "transfer-encoding"}
        headers = [(k, v) for k, v in resp.headers.multi_items() if k.lower() not in skip]
        return httpx.Response(resp.status_code, headers=headers, content=body, request=resp.request)

    def _error(self, resp: httpx.Response) -> E.ApiCallError:
        return error_from_response(
            resp.status_code,
            resp.content,
            resp.headers,
            resp.request.method,
            str(resp.request.url),
            retry_after_limit_s=self.retry.retry_after_limit_s,
            max_json_depth=self.retry.max_json_depth,
        )

    async def _pause(self, delay: float, tally: _Tally) -> None:
        tally.slept += delay
        await self.sleep(delay)

    def _after_failure(
        self, e: httpx.HTTPError | TimeoutError, method: str, full: str, retry: RetryKind, tally: _Tally
    ) -> float:
        """The delay before retrying after a transport failure or a missed deadline, or the typed error raised."""
        not_sent = isinstance(e, NOT_SENT)
        tally.fails += 1
        # a certificate that fails verification now fails on every retry: say what fixes it at once
        if retry == "read" and not is_verify_failure(e):
            delay = self.retry.backoff(tally.fails)
            if tally.elapsed() + delay <= self.retry.read_deadline_s:
                return delay
        elif retry == "connect" and not_sent and tally.fails < self.retry.max_attempts and not is_verify_failure(e):
            return self.retry.backoff(tally.fails)
        if isinstance(e, TimeoutError):
            raise E.RequestDeadlineExceeded(
                f"{method} {endpoint_path(full)} did not complete within {self.retry.request_deadline_s:g} s "
                "(the answer was too slow or stalled).",
                hint="Check the network or proxy; lrtui retries reads, never a live response submission.",
            ) from None
        cls = E.ConnectionFailed if not_sent else E.TransportError
        raise cls(
            f"{method} {endpoint_path(full)} failed: {type(e).__name__}{_detail(e)}.",
            hint=tls_hint(e) or "Check the network or proxy; lrtui retries reads, never a live response submission.",
        ) from e

    def _after_error_answer(self, err: E.ApiCallError, status: int, retry: RetryKind, tally: _Tally) -> float:
        """The delay before retrying an error answer (reads only: 5xx/408 with backoff until the read deadline,
        429 as asked), or raise it."""
        policy = self.retry
        if retry == "read":
            if status in RETRYABLE_STATUS:
                tally.fails += 1
                delay = policy.backoff(tally.fails)
                if tally.elapsed() + delay <= policy.read_deadline_s:
                    return delay
            elif status == 429 and isinstance(err, E.RateLimited):
                tally.limited += 1
                if tally.limited < policy.max_429_attempts and err.retry_after <= policy.max_retry_after_s:
                    return err.retry_after
        raise err

    # ------------------------------------------------------------------ decoding answers

    def decode_json(self, resp: httpx.Response) -> Any:
        """The answer's JSON (a BOM is accepted), or ``UnexpectedResponse`` naming the endpoint (not JSON, or
        nested deeper than ``retry.max_json_depth``: ``ResponseTooDeep``)."""
        where = f"{resp.request.method} {endpoint_path(str(resp.request.url))}"
        kw: dict[str, Any] = dict(
            status=resp.status_code, method=resp.request.method, url=redact_url(str(resp.request.url))
        )
        try:
            return loads_bounded(resp.content, self.retry.max_json_depth)
        except JsonTooDeep as e:
            raise E.ResponseTooDeep(
                f"The answer to {where} is JSON nested deeper than {e.limit} levels; not decoding it.", **kw
            ) from None
        except ValueError:
            snippet = redact_text(resp.content[:200].decode("utf-8", "replace"))
            raise E.UnexpectedResponse(f"The answer to {where} is not JSON: {snippet!r}", **kw) from None

    @staticmethod
    def parse(model: type[ModelT], item: Any, resp: httpx.Response) -> ModelT:
        """``item`` validated as ``model``, or ``UnexpectedResponse`` naming the endpoint and the first problem."""
        try:
            return model.model_validate(item)
        except pydantic.ValidationError as e:
            raise E.UnexpectedResponse(
                f"The answer to {resp.request.method} {endpoint_path(str(resp.request.url))} is not a valid "
                f"{model.__name__}: {_problem(e)}",
                status=resp.status_code,
                method=resp.request.method,
                url=redact_url(str(resp.request.url)),
            ) from None

    def parse_items(
        self, model: type[ModelT], items: list[Any], resp: httpx.Response, on_malformed: MalformedFn | None = None
    ) -> list[ModelT]:
        """The valid items of a list answer; each invalid one is reported as a ``MalformedItem`` (to
        ``on_malformed``, else the transport's, else the log) and skipped: one bad item never fails the page."""
        good: list[ModelT] = []
        where = endpoint_path(str(resp.request.url))
        for item in items:
            try:
                good.append(model.model_validate(item))
            except pydantic.ValidationError as e:
                raw = item if isinstance(item, dict) else {"value": item}
                bad = MalformedItem(
                    raw=raw, error=clean(f"not a valid {model.__name__}: {_problem(e)}"), endpoint=where
                )
                self._report_malformed(bad, on_malformed)
        return good

    def _report_malformed(self, bad: MalformedItem, on_malformed: MalformedFn | None) -> None:
        sink = on_malformed or self.on_malformed
        if sink is None:
            log.warning("skipped a malformed item from %s: %s", bad.endpoint, bad.error)
            return
        try:
            sink(bad)
        except Exception:
            log.exception("the malformed-item sink failed")


def _problem(e: pydantic.ValidationError) -> str:
    first = e.errors()[0]
    return f"{e.error_count()} problem(s), first: {first.get('loc')} {first.get('msg')}"


def endpoint_path(url: str) -> str:
    """The path of a URL (no query), for messages."""
    try:
        return urlsplit(url).path or url
    except ValueError:
        return "the API"


def _request_url(e: BaseException) -> str | None:
    """The URL of the request a transport failure belongs to, when httpx knows it."""
    if not isinstance(e, httpx.HTTPError):
        return None
    try:
        return str(e.request.url)
    except RuntimeError:  # unset
        return None


def _detail(e: Exception) -> str:
    text = redact_text(str(e)).strip()
    return f" ({text[:200]})" if text else ""
