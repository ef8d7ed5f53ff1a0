"""Typed errors: one class per service error code that matters, each with a message a person can act on.

``error_from_response(status, body, headers)`` (in ``lrtui.api.errors_map``) builds these; the classes
themselves only carry data and a ``hint``. ``error_text(e)`` is the one plain-text description of any error
(every widget, the engine and the CLI use it) and ``error_code(e)`` its short code.
"""

from __future__ import annotations

import contextlib
from typing import Any

from lrtui.api.text import clean


class LrtuiError(Exception):
    """Base of every error lrtui raises on purpose. ``str(e)`` is a complete sentence for the user."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint

    def user_message(self) -> str:
        """What went wrong and what to do, as plain text (never markup)."""
        return f"{self.message} {self.hint}".strip()


class ConfigError(LrtuiError):
    """A config or profile problem; names the file and line when known."""


class ValidationError(LrtuiError):
    """Bad input caught before any call (sequence rules, paths, arguments)."""


class AuthError(LrtuiError):
    """Cannot obtain a token (authority unreachable, bad secret, device code expired...)."""


class ApiCallError(LrtuiError):
    """An HTTP answer from the service that is not success."""

    status: int = 0
    code: str = ""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: str = "",
        target: str | None = None,
        method: str = "",
        url: str = "",
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code or type(self).code
        self.target = target
        self.method = method
        self.url = url

    def user_message(self) -> str:
        head = f"{self.code or 'Error'} (HTTP {self.status})" if self.status else (self.code or "Error")
        return f"{head}: {self.message} {self.hint}".strip()


class BadRequest(ApiCallError):
    code = "BadRequest"


class ODataError(BadRequest):
    code = "ODataError"
    hint = "Check the filter expression."


class ActiveRequestAlreadyExists(BadRequest):
    code = "ActiveRequestAlreadyExists"
    hint = (
        "Another live response action is active on this device. Wait for it, or cancel it. If no listed action "
        "explains it, a live response session opened from the portal's device page is holding the device."
    )


class OsPlatformNotSupported(BadRequest):
    code = "OsPlatformNotSupported"
    hint = "This device's OS or agent version cannot run live response through the API."


class Unauthorized(ApiCallError):
    code = "Unauthorized"
    hint = "The token is missing, invalid or expired: sign in again (lrtui login)."


class Forbidden(ApiCallError):
    code = "Forbidden"
    hint = (
        "The token lacks a permission. Live response needs Machine.LiveResponse; reading results needs "
        "Machine.Read.All (or Machine.ReadWrite.All); the library needs Library.Manage. Grant admin consent after "
        "changing permissions."
    )


class DisallowedOperation(Forbidden):
    code = "DisallowedOperation"
    hint = (
        "The device's group has no automation (remediation) level. In Settings > Endpoints > Device groups, give "
        "the group a remediation level, then retry."
    )


class DisabledFeature(Forbidden):
    code = "DisabledFeature"
    hint = "Live response is turned off for this tenant (Settings > Endpoints > Advanced features)."


class NotFound(ApiCallError):
    code = "NotFound"


class RateLimited(ApiCallError):
    code = "TooManyRequests"

    def __init__(self, message: str, *, retry_after: float = 60.0, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after
        if not self.hint:
            self.hint = f"The service asked to wait {retry_after:.0f} s before the next call."


class TooManySessions(RateLimited):
    """429 because 25 live response sessions are already active on the tenant."""

    code = "TooManyRequests"
    hint = "The tenant already has the maximum number of concurrent live response sessions."


class ServerError(ApiCallError):
    code = "InternalServerError"
    hint = "The service failed; lrtui retries reads, and never repeats a submission blindly."


class TransportError(LrtuiError):
    """The network failed (connection refused, reset, timeout) before an HTTP answer arrived."""


class SubmissionUncertain(LrtuiError):
    """A runliveresponse POST timed out or got a 5xx and reconciliation could not tell whether it landed."""


class UnsafeDownload(LrtuiError):
    """A download link that would leak a credential or is not https (outside loopback)."""


class DecompressionLimit(LrtuiError):
    """A result expanded past the decompression cap (a gzip bomb, or a file larger than allowed)."""


# ---------------------------------------------------------------- added by the API layer (issue 2)


class MethodNotAllowed(ApiCallError):
    """405: the service does not accept this HTTP method on this path (body is empty, ``Allow:`` says more)."""

    code = "MethodNotAllowed"
    hint = "lrtui called an endpoint with the wrong method; this is a bug in lrtui or a changed API."


class UnexpectedResponse(ApiCallError):
    """A success status whose body is not what the API documents (not JSON, missing fields)."""

    code = "UnexpectedResponse"
    hint = "A proxy or gateway may be answering instead of the service; check the API URL."


class ResultLinkError(ApiCallError):
    """The result host (blob storage) refused or failed a download link."""

    code = "ResultLinkError"
    hint = "Result links last 30 minutes; ask for a new link (lrtui does) and download again."


class ConnectionFailed(TransportError):
    """The connection could not be opened: the request was certainly not sent."""


class DownloadTooLarge(LrtuiError):
    """A download sent more bytes than the cap on received bytes allows."""


class CorruptDownload(LrtuiError):
    """A download ended early (fewer bytes than announced) or its gzip stream is truncated or invalid."""


# ---------------------------------------------------------------- bounded work on any answer (issue 14)


class ResponseTooLarge(UnexpectedResponse):
    """An API answer larger than ``RetryPolicy.max_body_bytes`` (on the wire or once gzip/deflate-decoded)."""

    code = "ResponseTooLarge"
    hint = (
        "API answers are small JSON documents; a larger one suggests a proxy or a hostile endpoint. Check the API "
        "URL, or raise the cap (max_body_bytes) if a page of results is legitimately that large."
    )


class ResponseTooDeep(UnexpectedResponse):
    """A JSON answer nested deeper than ``RetryPolicy.max_json_depth``: refused before decoding."""

    code = "ResponseTooDeep"


class UnsafeNextLink(UnexpectedResponse):
    """An ``@odata.nextLink`` to another scheme, host or port than the API's: not followed (the token stays)."""

    code = "UnsafeNextLink"
    hint = "The bearer token is sent only to the API's own scheme, host and port; check the API URL and any proxy."


class RequestDeadlineExceeded(TransportError):
    """One attempt (send, wait, read the whole body) outlasted its total deadline (a slow drip, a stalled proxy)."""


class RetryAfterTooLong(ApiCallError):
    """A 429 asked to wait longer than ``RetryPolicy.retry_after_limit_s``: the work is paused, not slept on."""

    code = "RetryAfterTooLong"

    def __init__(self, message: str, *, retry_after: float, limit_s: float, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after
        self.limit_s = limit_s
        if not self.hint:
            self.hint = (
                f"The service asked to wait {retry_after:,.0f} s, more than lrtui waits ({limit_s:,.0f} s). The "
                "affected work stopped here; run `lrtui resume` later to pick it up where it stopped."
            )


# ---------------------------------------------------------------- describing any error


def error_text(error: BaseException | str) -> str:
    """A one-paragraph plain-text description: ``user_message()`` for our errors, else type and text (cleaned)."""
    if isinstance(error, str):
        return clean(error)
    if isinstance(error, LrtuiError):
        with contextlib.suppress(Exception):  # a broken user_message must not hide the error itself
            return clean(error.user_message())
    text = str(error).strip()
    name = type(error).__name__
    if isinstance(error, (OSError, TimeoutError)) and not text:
        text = "the operation failed or timed out"
    if isinstance(error, ImportError):
        return clean(f"A part of lrtui is missing ({text}). Reinstall lrtui.")
    return clean(f"{name}: {text}" if text else name)


def error_code(exc: BaseException) -> str:
    """The service's error code for an HTTP error (``HTTP<status>`` when it gave none), else the type name."""
    if isinstance(exc, ApiCallError):
        return exc.code or f"HTTP{exc.status}"
    return type(exc).__name__
