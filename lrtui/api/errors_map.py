"""Turn a non-success HTTP answer into one typed, readable exception.

Keyed on the service's ``error.code`` (the message text is free-form and may change); an unknown code gets the
class for its HTTP status with the code kept. Bodies that are not the documented JSON (an HTML page from a
proxy, an empty 405, Azure Blob's XML) still give a sentence a person can act on.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from lrtui.api import errors as E
from lrtui.api.jsonsafe import DEFAULT_MAX_DEPTH, loads_bounded
from lrtui.api.redact import redact_text, redact_url
from lrtui.api.retry import parse_retry_after

#: a 429 asking for a longer wait than this is ``RetryAfterTooLong`` (the work pauses; it is not slept on)
RETRY_AFTER_LIMIT_S = 3600.0

#: service error code -> class
CODE_MAP: dict[str, type[E.ApiCallError]] = {
    "BadRequest": E.BadRequest,
    "InvalidInput": E.BadRequest,
    "InvalidRequestBody": E.BadRequest,
    "MissingRequiredParameter": E.BadRequest,
    "InvalidHashValue": E.BadRequest,
    "InvalidDomainName": E.BadRequest,
    "InvalidIpAddress": E.BadRequest,
    "InvalidUrl": E.BadRequest,
    "MaximumBatchSizeExceeded": E.BadRequest,
    "ODataError": E.ODataError,
    "ActiveRequestAlreadyExists": E.ActiveRequestAlreadyExists,
    "OsPlatformNotSupported": E.OsPlatformNotSupported,
    "ClientVersionNotSupported": E.OsPlatformNotSupported,
    "Unauthorized": E.Unauthorized,
    "Forbidden": E.Forbidden,
    "DisabledFeature": E.DisabledFeature,
    "DisallowedOperation": E.DisallowedOperation,
    "NotFound": E.NotFound,
    "ResourceNotFound": E.NotFound,
    "TooManyRequests": E.RateLimited,
    "InternalServerError": E.ServerError,
    "ServiceUnavailable": E.ServerError,
    "MethodNotAllowed": E.MethodNotAllowed,
}


def class_for_status(status: int) -> type[E.ApiCallError]:
    if status == 401:
        return E.Unauthorized
    if status == 403:
        return E.Forbidden
    if status == 404:
        return E.NotFound
    if status == 405:
        return E.MethodNotAllowed
    if status == 429:
        return E.RateLimited
    if status >= 500 or status == 408:
        return E.ServerError
    if 400 <= status < 500:
        return E.BadRequest
    return E.ApiCallError


_STATUS_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def endpoint_name(url: str) -> str:
    """A short name for the endpoint a URL calls (``runliveresponse``, ``GetLiveResponseResultDownloadLink``...)."""
    path = unquote(urlsplit(str(url)).path)
    low = path.lower()
    if "getliveresponseresultdownloadlink" in low:
        return "GetLiveResponseResultDownloadLink"
    if low.rstrip("/").endswith("/runliveresponse"):
        return "runliveresponse"
    if "/machineactions/" in low and low.rstrip("/").endswith("/cancel"):
        return "machineactions cancel"
    if "/libraryfiles" in low:
        return "libraryfiles"
    if "/machineactions" in low:
        return "machineactions"
    if "findbyip" in low:
        return "machines findbyip"
    if "findbytag" in low:
        return "machines findbytag"
    if "/machines" in low:
        return "machines"
    return path or "the API"


def permission_for(method: str, url: str) -> str:
    """The application permission the endpoint needs (mde-api.md section 0)."""
    ep = endpoint_name(url)
    if ep == "GetLiveResponseResultDownloadLink":
        return "Machine.Read.All (or Machine.ReadWrite.All); Machine.LiveResponse alone cannot fetch results"
    if ep == "runliveresponse":
        return "Machine.LiveResponse"
    if ep == "machineactions cancel":
        return "Machine.LiveResponse (or the permission of the action's type)"
    if ep == "libraryfiles":
        return "Library.Manage"
    return "Machine.Read.All (or Machine.ReadWrite.All)"


def forbidden_hint(method: str, url: str) -> str:
    ep = endpoint_name(url)
    return (
        f"The {ep} call needs the {permission_for(method, url)} permission of the WindowsDefenderATP API. Add it to "
        "the app registration and grant admin consent; a signed-in user also needs the matching Defender role "
        "(for live response: 'Live response capabilities')."
    )


def _header(headers: Mapping[str, str] | None, name: str) -> str:
    if not headers:
        return ""
    for k, v in headers.items():
        if k.lower() == name:
            return v
    return ""


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_XML_CODE = re.compile(r"<Code>(.*?)</Code>", re.DOTALL)
_XML_MSG = re.compile(r"<Message>(.*?)</Message>", re.DOTALL)
_WS = re.compile(r"\s+")


def _clean(text: str, limit: int = 300) -> str:
    text = _WS.sub(" ", html.unescape(_TAG.sub(" ", text))).strip()
    # never let control characters from a body reach a terminal
    text = "".join(c if c.isprintable() else " " for c in text)
    return text[:limit] + ("..." if len(text) > limit else "")


def parse_error_body(
    body: bytes, content_type: str = "", max_json_depth: int = DEFAULT_MAX_DEPTH
) -> tuple[str | None, str, str | None, str]:
    """``(code, message, target, kind)`` from an error body; kind is json, html, xml, text or empty."""
    if not body or not body.strip():
        return None, "", None, "empty"
    text = body[:200_000].decode("utf-8", "replace").lstrip("\ufeff")
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        try:
            data = loads_bounded(stripped.encode(), max_json_depth)
        except ValueError:  # not JSON, or nested too deep (JsonTooDeep): read as text
            data = None
        if isinstance(data, dict):
            err = data.get("error", data.get("odata.error"))
            if isinstance(err, dict):
                code = err.get("code")
                msg = err.get("message")
                if isinstance(msg, dict):  # odata v3 shape {"message": {"value": ..}}
                    msg = msg.get("value")
                target = err.get("target")
                return (
                    str(code) if code is not None else None,
                    _clean(str(msg or ""), 2000),
                    str(target) if target is not None else None,
                    "json",
                )
            if isinstance(err, str):
                desc = data.get("error_description") or data.get("message") or ""
                return err, _clean(str(desc), 2000), None, "json"
            msg = data.get("message") or data.get("Message")
            if msg:
                code = data.get("code") or data.get("Code")
                return (str(code) if code else None), _clean(str(msg), 2000), None, "json"
        return None, _clean(stripped, 300), None, "text"
    low = stripped[:2000].lower()
    if "html" in content_type.lower() or low.startswith("<!doctype html") or "<html" in low:
        m = _TITLE.search(text) or _H1.search(text)
        title = _clean(m.group(1), 200) if m else _clean(text, 200)
        return None, title, None, "html"
    if stripped.startswith("<?xml") or "<Error>" in stripped[:500]:
        c, m = _XML_CODE.search(text), _XML_MSG.search(text)
        return (
            _clean(c.group(1), 100) if c else None,
            _clean(m.group(1), 500) if m else _clean(text, 300),
            None,
            "xml",
        )
    return None, _clean(stripped, 300), None, "text"


def error_from_response(
    status: int,
    body: bytes,
    headers: Mapping[str, str] | None,
    method: str,
    url: str,
    *,
    blob: bool = False,
    retry_after_limit_s: float = RETRY_AFTER_LIMIT_S,
    max_json_depth: int = DEFAULT_MAX_DEPTH,
) -> E.ApiCallError:
    """The typed exception for one non-success answer. ``url`` may carry a SAS: it is redacted here.

    A 429 whose wait is past ``retry_after_limit_s`` is ``RetryAfterTooLong`` (not a ``RateLimited``: nothing
    should sleep on it). A JSON body nested deeper than ``max_json_depth`` is read as text."""
    safe_url = redact_url(url)
    ctype = _header(headers, "content-type")
    code, message, target, kind = parse_error_body(body or b"", ctype, max_json_depth)
    message = redact_text(message)
    status_text = _STATUS_TEXT.get(status, "")
    ep = endpoint_name(safe_url)

    if blob:
        cls: type[E.ApiCallError] = E.ResultLinkError
    elif code and code in CODE_MAP:
        cls = CODE_MAP[code]
    else:
        cls = class_for_status(status)

    if kind == "empty":
        allow = _header(headers, "allow")
        message = f"The service answered HTTP {status} {status_text} to {method} {ep} with an empty body."
        if status == 405:
            message = f"The service does not accept {method} on {ep} (HTTP 405 Method Not Allowed"
            message += f"; it allows {allow})." if allow else ")."
    elif kind == "html":
        message = (
            f"HTTP {status} {status_text} from {method} {ep} came as an HTML page, not the API's JSON "
            f"(probably a proxy or gateway): {message!r}"
        )
    elif not message:
        message = f"HTTP {status} {status_text} from {method} {ep}."

    hint: str | None = None
    kw: dict[str, Any] = dict(status=status, code=code or "", target=target, method=method, url=safe_url)
    if cls is E.Forbidden:
        hint = forbidden_hint(method, safe_url)
    if cls is E.BadRequest and "already exists" in message.lower() and ep == "libraryfiles":
        hint = "A library file with this name exists; upload with override to replace it."
    if status == 429 or issubclass(cls, E.RateLimited):  # a 429 under another code is still a rate limit
        return _rate_limited(message, parse_retry_after(headers, body), retry_after_limit_s, ep, kw)
    return cls(message, hint=hint, **kw)


def _rate_limited(message: str, retry_after: float, limit_s: float, ep: str, kw: dict[str, Any]) -> E.ApiCallError:
    """``RateLimited`` (or ``TooManySessions``); ``RetryAfterTooLong`` when the wait is past ``limit_s``."""
    if retry_after > limit_s:
        where = f"{kw['method']} {ep}"
        return E.RetryAfterTooLong(
            f"HTTP 429 on {where}: {message}", retry_after=retry_after, limit_s=limit_s, **{**kw, "code": ""}
        )
    low = message.lower()
    if ep == "runliveresponse" and ("session" in low or "concurrent" in low):
        return E.TooManySessions(message, retry_after=retry_after, **kw)
    return E.RateLimited(message, retry_after=retry_after, **kw)
