"""The body formats a POST may use (the ``Content-Type`` rule), and reading a body in its format.

The run and cancel pages mark ``Content-Type: application/json`` as required. The simulator follows an ASP.NET
Web API service: JSON (``application/json``, ``text/json``, ``*+json``) is read; a flat body (cancel's
``Comment``) may also come form-encoded, as Web API's form formatter binds it; any other type is a 415
UnsupportedMediaType that says what to send. A POST without a ``Content-Type`` is read as JSON (UNCONFIRMED)."""

from __future__ import annotations

import json
from typing import Any, Literal
from urllib.parse import parse_qsl

from starlette.requests import Request

from .replies import HttpError

__all__ = ["BodyFormat", "body_format", "read_body"]

BodyFormat = Literal["json", "form"]
_FORM = "application/x-www-form-urlencoded"


def body_format(request: Request, *, form_ok: bool) -> BodyFormat:
    """How to read this request's body, or a 415 naming the type that was sent and the one to send."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media in ("", "application/json", "text/json") or media.endswith("+json"):
        return "json"
    if media == _FORM and form_ok:
        return "form"
    shown = media[:80]
    raise HttpError(
        415,
        "UnsupportedMediaType",
        f"The request's Content-Type '{shown}' is not supported: send the body as JSON with "
        "'Content-Type: application/json'.",
    )


def read_body(raw: bytes, fmt: BodyFormat) -> Any:
    """The body as JSON (None when empty), or a form body as a dict of its fields (the last value of a repeated
    field); 400 InvalidRequestBody when it cannot be read."""
    if fmt == "form":
        try:
            return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw.strip())))
        except (UnicodeDecodeError, ValueError):
            raise HttpError(400, "InvalidRequestBody", "The form-encoded request body is malformed.") from None
    try:
        return json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        raise HttpError(400, "InvalidRequestBody", "The request body is not valid JSON.") from None
