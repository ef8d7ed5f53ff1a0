"""``MdeClient``: the async MDE API client (docs/contracts.md).

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
import ipaddress
import json
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Literal
from urllib.parse import quote as _urlquote
from urllib.parse import urlsplit

import httpx
import pydantic

from lrtui import __version__
from lrtui.api import errors as E
from lrtui.api import odata
from lrtui.api.auth import BearerAuth, TokenProvider
from lrtui.api.clouds import is_loopback_host, normalize_base_url
from lrtui.api.download import DownloadResult, download_to_file, fetch_bytes
from lrtui.api.errors_map import error_from_response
from lrtui.api.models import LibraryFile, Machine, MachineAction, ScriptResult
from lrtui.api.redact import redact_text, redact_url
from lrtui.api.retry import RETRYABLE_STATUS, RetryPolicy
from lrtui.engine.jobs import RequestRecord

__all__ = ["MdeClient", "DownloadResult", "RetryPolicy", "LIBRARY_MAX_BYTES", "MAX_PAGE_SIZE"]

#: API upload limit for a library file (DOC: 20 MB; taken as MiB, the service answers if it means less).
LIBRARY_MAX_BYTES = 20 * 1024 * 1024
MAX_PAGE_SIZE = 10_000
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_MACHINE_ID = re.compile(r"^[0-9a-fA-F]{40}$")
_LIBRARY_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
#: hosts a nextLink may point at besides the base URL's own host (the service may answer on its other name)
_TRUSTED_API_SUFFIXES = (
    ".security.microsoft.com",
    ".securitycenter.microsoft.com",
    ".securitycenter.windows.com",
    ".securitycenter.microsoft.us",
)

RetryKind = Literal["read", "connect", "none"]
_RECORD_HAS_RETRY_AFTER = "retry_after" in getattr(RequestRecord, "__dataclass_fields__", {})
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def _seg(value: str) -> str:
    """One path segment, percent-encoded (a name can never add a path segment or a query)."""
    return _urlquote(value, safe="")


def check_action_id(action_id: str) -> str:
    """The action id, or ``BadRequest`` (no call made) when it cannot be one."""
    s = (action_id or "").strip()
    if _GUID.match(s):
        return s
    if _MACHINE_ID.match(s):
        raise E.BadRequest(
            f"{s!r} looks like a machine id, not an action id.",
            hint="Action ids are GUIDs like 7f0c2a9e-1111-4c2b-9d3e-2a6f5b8c9d01.",
        )
    raise E.BadRequest(
        f"{action_id!r} is not an action id.", hint="Action ids are GUIDs like 7f0c2a9e-1111-4c2b-9d3e-2a6f5b8c9d01."
    )


def _check_machine_id(machine_id: str) -> str:
    s = (machine_id or "").strip()
    if not s:
        raise E.ValidationError("A machine id is required.")
    return s


class MdeClient:
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
        if auth is not None and hasattr(auth, "on_refused") and getattr(auth, "on_refused") is None:
            auth.on_refused = self._auth_refused  # type: ignore[attr-defined]

    def _auth_refused(self, request: httpx.Request, response: httpx.Response, elapsed_ms: float) -> None:
        self._record(request.method, request.url, response.status_code, elapsed_ms, "Unauthorized (token refreshed)", 1)

    # ------------------------------------------------------------------ lifecycle

    async def aclose(self) -> None:
        try:
            await self._http.aclose()
        finally:
            await self._blob.aclose()

    async def __aenter__(self) -> "MdeClient":
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

    @staticmethod
    def _values(data: Any, resp: httpx.Response) -> tuple[list[Any], str | None]:
        """``(value, nextLink)`` from a list answer (a bare JSON list is accepted too)."""
        if isinstance(data, list):
            return data, None
        if isinstance(data, dict):
            value = data.get("value")
            if value is None:
                value = []
            if not isinstance(value, list):
                raise E.UnexpectedResponse(
                    f"The answer to {resp.request.method} {_ep(str(resp.request.url))} has no list of values.",
                    status=resp.status_code,
                )
            nl = data.get("@odata.nextLink")
            return value, (nl if isinstance(nl, str) and nl else None)
        raise E.UnexpectedResponse(
            f"The answer to {resp.request.method} {_ep(str(resp.request.url))} is not a list.", status=resp.status_code
        )

    def _check_next_link(self, link: str) -> str:
        """A nextLink is followed opaquely, but only to the API host: the bearer token goes nowhere else."""
        p = urlsplit(link)
        if not p.scheme and not p.netloc:
            return link  # relative: same host
        host = (p.hostname or "").lower()
        same = host == self._base_host
        trusted = p.scheme == "https" and any(host.endswith(s) for s in _TRUSTED_API_SUFFIXES)
        loop = is_loopback_host(host) and is_loopback_host(self._base_host)
        if not (same or trusted or loop) or (p.scheme == "http" and not is_loopback_host(host)):
            raise E.UnexpectedResponse(
                f"The service's next-page link points at {p.scheme}://{host}, not the API host; not following it.",
            )
        return link

    async def _iter_pages(
        self, path: str, params: dict[str, Any], *, top: int | None, page_size: int
    ) -> AsyncIterator[tuple[list[Any], httpx.Response]]:
        page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
        remaining = top
        skip = int(params.pop("$skip", 0) or 0)
        url: str | None = path
        q: dict[str, Any] | None = dict(params)
        seen_first: set[str] = set()
        while url is not None:
            if q is not None:
                want = page_size if remaining is None else min(page_size, remaining)
                q["$top"] = want
                if skip:
                    q["$skip"] = skip
                else:
                    q.pop("$skip", None)
            resp = await self._send("GET", url, params=q)
            items, next_link = self._values(self._json(resp), resp)
            if remaining is not None:
                items = items[:remaining]
                remaining -= len(items)
            if items:
                first = json.dumps(items[0], sort_keys=True, default=str)[:512]
                if first in seen_first:  # the service ignored $skip: stop rather than loop
                    return
                seen_first.add(first)
            yield items, resp
            if remaining is not None and remaining <= 0 or not items:
                return
            if next_link:
                url, q = self._check_next_link(next_link), None
            elif q is not None and len(items) >= q["$top"]:
                skip += len(items)  # client-driven paging when the service gives a full page and no link
            else:
                return

    # ------------------------------------------------------------------ machines

    async def iter_machine_pages(
        self,
        *,
        filter: str | None = None,
        top: int | None = None,
        skip: int | None = None,
        page_size: int = MAX_PAGE_SIZE,
        select: list[str] | None = None,
        orderby: str | None = None,
    ) -> AsyncIterator[list[Machine]]:
        params: dict[str, Any] = {}
        if filter:
            params["$filter"] = filter
        if select:
            params["$select"] = odata.check_select(select)
        if orderby:
            params["$orderby"] = odata.check_orderby(orderby)
        if skip:
            params["$skip"] = int(skip)
        async for items, resp in self._iter_pages("/api/machines", params, top=top, page_size=page_size):
            yield [self._parse(Machine, it, resp) for it in items]

    async def list_machines(self, **kw: Any) -> list[Machine]:
        out: list[Machine] = []
        async for page in self.iter_machine_pages(**kw):
            out.extend(page)
        return out

    async def get_machine(self, id_or_name: str) -> Machine:
        key = _check_machine_id(id_or_name)
        resp = await self._send("GET", f"/api/machines/{_seg(key)}")
        return self._parse(Machine, self._json(resp), resp)

    async def find_machines_by_ip(self, ip: str, timestamp: datetime) -> list[Machine]:
        try:
            addr = str(ipaddress.ip_address(ip.strip()))
        except ValueError:
            raise E.ValidationError(f"{ip!r} is not an IP address.") from None
        ts = odata.format_datetime(timestamp)
        resp = await self._send("GET", f"/api/machines/findbyip(ip='{addr}',timestamp={ts})")
        items, _ = self._values(self._json(resp), resp)
        return [self._parse(Machine, it, resp) for it in items]

    async def find_machines_by_tag(self, tag: str, *, starts_with: bool = False) -> list[Machine]:
        if not tag:
            raise E.ValidationError("A tag is required.")
        params = {"tag": tag, "useStartsWithFilter": "true" if starts_with else "false"}
        resp = await self._send("GET", "/api/machines/findbytag", params=params)
        items, _ = self._values(self._json(resp), resp)
        return [self._parse(Machine, it, resp) for it in items]

    # ------------------------------------------------------------------ live response

    async def run_live_response(self, machine_id: str, body: dict, *, marker: str | None = None) -> MachineAction:
        mid = _check_machine_id(machine_id)
        if marker is not None:
            comment = body.get("Comment", body.get("comment", ""))
            if not marker or marker not in str(comment):
                raise E.ValidationError("The marker must appear in the body's Comment so the submission can be reconciled.")
        path = f"/api/machines/{_seg(mid)}/runliveresponse"
        try:
            resp = await self._send("POST", path, json_body=body, retry="none", gate=False)
            data = self._json(resp)
            return self._parse(MachineAction, data, resp)
        except E.ConnectionFailed:
            raise  # the connection never opened: certainly not submitted
        except (E.ServerError, E.TransportError, E.UnexpectedResponse) as e:
            original = e
        return await self._reconcile(mid, marker, original)

    async def _reconcile(self, machine_id: str, marker: str | None, original: Exception) -> MachineAction:
        what = original.user_message() if isinstance(original, E.LrtuiError) else str(original)
        if not marker:
            raise E.SubmissionUncertain(
                f"The live response submission for {machine_id} may or may not have landed ({what}).",
                hint="Check the device's actions before submitting again.",
            ) from original
        flt = odata.and_(odata.eq("machineId", machine_id), odata.eq("type", "LiveResponse"))
        last_error: Exception | None = None
        for i in range(max(1, self.retry.reconcile_attempts)):
            if i or self.retry.reconcile_delay_s:
                await self._sleep(self.retry.reconcile_delay_s)
            try:
                actions = await self.list_actions(filter=flt, orderby="creationDateTimeUtc desc", top=20)
            except E.LrtuiError as e:
                last_error = e
                continue
            for a in actions:
                if a.requestor_comment and marker in a.requestor_comment:
                    return a
        extra = f" Listing the device's actions also failed: {last_error.user_message()}" if isinstance(last_error, E.LrtuiError) else ""
        raise E.SubmissionUncertain(
            f"The live response submission for {machine_id} got no clear answer ({what}) and no action carrying "
            f"its marker is listed yet.{extra}",
            hint="It was not sent again. Check the device's actions (the marker is in the comment) before retrying.",
        ) from original

    async def get_action(self, action_id: str, *, fresh: bool = False) -> MachineAction:
        aid = check_action_id(action_id)
        path = f"/api/machineactions/{_seg(aid)}"
        start = time.monotonic()
        waited = 0.0
        n = 0
        while True:
            try:
                resp = await self._send("GET", path)
                return self._parse(MachineAction, self._json(resp), resp)
            except E.NotFound:
                if not fresh:
                    raise
                n += 1
                delay = self.retry.fresh_404_delay(n)
                if max(waited, time.monotonic() - start) + delay > self.retry.fresh_404_s:
                    raise
                await self._sleep(delay)
                waited += delay

    async def list_actions(
        self, *, filter: str | None = None, top: int | None = None, orderby: str | None = None
    ) -> list[MachineAction]:
        params: dict[str, Any] = {}
        if filter:
            params["$filter"] = filter
        if orderby:
            params["$orderby"] = odata.check_orderby(orderby)
        out: list[MachineAction] = []
        async for items, resp in self._iter_pages("/api/machineactions", params, top=top, page_size=MAX_PAGE_SIZE):
            out.extend(self._parse(MachineAction, it, resp) for it in items)
        return out

    async def cancel_action(self, action_id: str, comment: str) -> MachineAction:
        aid = check_action_id(action_id)
        if not comment or not comment.strip():
            raise E.ValidationError("Cancelling an action needs a comment.")
        resp = await self._send("POST", f"/api/machineactions/{_seg(aid)}/cancel", json_body={"Comment": comment}, retry="connect")
        return self._parse(MachineAction, self._json(resp), resp)

    async def get_result_link(self, action_id: str, index: int) -> str:
        aid = check_action_id(action_id)
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise E.ValidationError(f"{index!r} is not a command index (0, 1, 2...).")
        resp = await self._send("GET", f"/api/machineactions/{_seg(aid)}/GetLiveResponseResultDownloadLink(index={index})")
        data = self._json(resp)
        link = data.get("value") if isinstance(data, dict) else data if isinstance(data, str) else None
        if not isinstance(link, str) or not link:
            raise E.UnexpectedResponse("The result-link answer carries no link.", status=resp.status_code)
        return link

    async def download_result(
        self,
        url: str,
        dest: Path,
        *,
        max_received: int | None = None,
        max_decompressed: int | None = None,
        chunk: int = 1 << 20,
    ) -> DownloadResult:
        return await download_to_file(
            self._blob,
            url,
            Path(dest),
            max_received=max_received,
            max_decompressed=max_decompressed,
            chunk=chunk,
            record=self._blob_record,
        )

    async def fetch_script_result(self, url: str, *, limit: int = 64 << 20) -> ScriptResult:
        raw, _ = await fetch_bytes(self._blob, url, limit=limit, record=self._blob_record)
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            raise E.UnexpectedResponse(
                f"The script result is not JSON (first bytes: {raw[:60]!r}).", code="UnexpectedResponse"
            ) from None
        if not isinstance(data, dict):
            raise E.UnexpectedResponse("The script result is not a JSON object.")
        try:
            return ScriptResult.model_validate(data)
        except pydantic.ValidationError as e:
            raise E.UnexpectedResponse(f"The script result has unexpected fields: {e.errors()[0].get('loc')}.") from None

    def _blob_record(self, method: str, url: str, status: int | None, elapsed_ms: float, error: str | None) -> None:
        self._record(method, url, status, elapsed_ms, error, 1)

    # ------------------------------------------------------------------ library

    async def list_library(self) -> list[LibraryFile]:
        resp = await self._send("GET", "/api/libraryfiles")
        items, _ = self._values(self._json(resp), resp)
        return [self._parse(LibraryFile, it, resp) for it in items]

    async def upload_library(
        self,
        name: str,
        content: bytes | Path,
        *,
        description: str = "",
        parameters_description: str = "",
        has_parameters: bool = False,
        override: bool = False,
    ) -> LibraryFile:
        if not name or not _LIBRARY_NAME.match(name):
            raise E.ValidationError(
                f"{name!r} is not a usable library file name.", hint="Use only letters, digits, '-', '_' and '.'."
            )
        if isinstance(content, (str, Path)):
            p = Path(content)
            size = p.stat().st_size
            if size > LIBRARY_MAX_BYTES:
                raise E.ValidationError(_too_big(name, size))
            payload = await asyncio.to_thread(p.read_bytes)
        else:
            payload = bytes(content)
        if len(payload) > LIBRARY_MAX_BYTES:
            raise E.ValidationError(_too_big(name, len(payload)))
        form = {
            "Description": description,
            "ParametersDescription": parameters_description,
            "HasParameters": "true" if has_parameters else "false",
            "OverrideIfExists": "true" if override else "false",
        }
        files = {"file": (name, payload, "application/octet-stream")}
        resp = await self._send("POST", "/api/libraryfiles", files=files, data=form, retry="connect")
        data = self._json(resp)
        if isinstance(data, dict) and "fileName" not in data and "file_name" not in data:
            data = {**data, "fileName": name}
        return self._parse(LibraryFile, data, resp)

    async def delete_library(self, name: str) -> None:
        if not name:
            raise E.ValidationError("A library file name is required.")
        await self._send("DELETE", f"/api/libraryfiles/{_seg(name)}", retry="connect")


def _too_big(name: str, size: int) -> str:
    return f"{name} is {size:,} bytes; the API accepts library files up to {LIBRARY_MAX_BYTES:,} bytes (20 MB)."


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
