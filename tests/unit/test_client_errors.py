"""Every service error becomes the right typed exception, with code, message, target and a usable hint."""

from __future__ import annotations

import httpx
import pytest

from lrtui.api import errors as E
from lrtui.api.errors_map import error_from_response, parse_error_body
from lrtui.api.retry import RetryPolicy

from .conftest import AID, MID, err

NO_RETRY = RetryPolicy(max_attempts=1, max_429_attempts=1, jitter=0.0)


@pytest.mark.parametrize(
    "status, code, cls",
    [
        (400, "BadRequest", E.BadRequest),
        (400, "ODataError", E.ODataError),
        (400, "InvalidInput", E.BadRequest),
        (400, "InvalidRequestBody", E.BadRequest),
        (400, "MissingRequiredParameter", E.BadRequest),
        (400, "MaximumBatchSizeExceeded", E.BadRequest),
        (400, "ActiveRequestAlreadyExists", E.ActiveRequestAlreadyExists),
        (400, "OsPlatformNotSupported", E.OsPlatformNotSupported),
        (400, "ClientVersionNotSupported", E.OsPlatformNotSupported),
        (401, "Unauthorized", E.Unauthorized),
        (403, "Forbidden", E.Forbidden),
        (403, "DisabledFeature", E.DisabledFeature),
        (403, "DisallowedOperation", E.DisallowedOperation),
        (404, "NotFound", E.NotFound),
        (404, "ResourceNotFound", E.NotFound),
        (429, "TooManyRequests", E.RateLimited),
        (500, "InternalServerError", E.ServerError),
        (409, "SomethingBrandNew", E.BadRequest),  # unknown code: class of the status, code kept
        (503, "NewOutageCode", E.ServerError),
        (401, "NewAuthCode", E.Unauthorized),
        (403, "NewDenyCode", E.Forbidden),
        (404, "NewMissingCode", E.NotFound),
    ],
)
async def test_error_mapping_by_code(h, status, code, cls):
    c = h.client(lambda r: err(status, code, "The service said no.", "|abc-123."), retry=NO_RETRY)
    with pytest.raises(E.ApiCallError) as ei:
        await c.machines.get(MID)
    e = ei.value
    assert type(e) is cls
    assert e.status == status
    assert e.code == code
    assert e.message == "The service said no."
    assert e.target == "|abc-123."
    assert e.method == "GET"
    assert e.url == f"https://api.security.microsoft.com/api/machines/{MID}"
    assert e.user_message().startswith(f"{code} (HTTP {status}): The service said no.")


@pytest.mark.parametrize(
    "call, needle",
    [
        ("link", "Machine.Read.All"),
        ("run", "Machine.LiveResponse"),
        ("library", "Library.Manage"),
        ("machines", "Machine.Read.All (or Machine.ReadWrite.All)"),
        ("cancel", "Machine.LiveResponse"),
    ],
)
async def test_forbidden_names_the_missing_permission(h, call, needle):
    c = h.client(lambda r: err(403, "Forbidden", "Missing application roles."), retry=NO_RETRY)
    with pytest.raises(E.Forbidden) as ei:
        if call == "link":
            await c.results.get_link(AID, 0)
        elif call == "run":
            await c.live_response.run(MID, {"Commands": [], "Comment": "x"})
        elif call == "library":
            await c.library.list()
        elif call == "cancel":
            await c.actions.cancel(AID, "stop")
        else:
            await c.machines.list()
    assert type(ei.value) is E.Forbidden
    assert needle in ei.value.hint
    assert "admin consent" in ei.value.hint
    if call == "link":
        assert ei.value.hint.startswith(
            "The GetLiveResponseResultDownloadLink call needs the Machine.Read.All (or Machine.ReadWrite.All); "
            "Machine.LiveResponse alone cannot fetch results permission"
        )
    if call == "run":
        assert "The runliveresponse call needs the Machine.LiveResponse permission" in ei.value.hint


async def test_disallowed_operation_has_remediation_advice(h):
    c = h.client(
        lambda r: err(403, "DisallowedOperation", "This device has no automation level assigned to it."), retry=NO_RETRY
    )
    with pytest.raises(E.DisallowedOperation) as ei:
        await c.live_response.run(MID, {"Commands": [], "Comment": "x"})
    assert "remediation level" in ei.value.hint
    assert ei.value.message == "This device has no automation level assigned to it."


async def test_active_request_hint_mentions_portal_session(h):
    c = h.client(lambda r: err(400, "ActiveRequestAlreadyExists", "Action is already in progress"), retry=NO_RETRY)
    with pytest.raises(E.ActiveRequestAlreadyExists) as ei:
        await c.live_response.run(MID, {"Commands": [], "Comment": "x"})
    assert "portal" in ei.value.hint
    assert ei.value.message == "Action is already in progress"


async def test_405_empty_body_is_readable(h):
    c = h.client(lambda r: httpx.Response(405, headers={"Allow": "POST"}), retry=NO_RETRY)
    with pytest.raises(E.MethodNotAllowed) as ei:
        await c.machines.get(MID)
    assert (
        ei.value.message == "The service does not accept GET on machines (HTTP 405 Method Not Allowed; it allows POST)."
    )
    assert ei.value.status == 405 and ei.value.code == "MethodNotAllowed"


async def test_html_proxy_page_is_readable(h):
    page = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1>\x1b[31m</body></html>"
    c = h.client(lambda r: httpx.Response(502, content=page, headers={"Content-Type": "text/html"}), retry=NO_RETRY)
    with pytest.raises(E.ServerError) as ei:
        await c.machines.list()
    assert ei.value.message == (
        "HTTP 502 Bad Gateway from GET machines came as an HTML page, not the API's JSON (probably a proxy or "
        "gateway): '502 Bad Gateway'"
    )
    assert ei.value.code == "InternalServerError"


async def test_html_error_with_200_is_unexpected_response(h):
    c = h.client(
        lambda r: httpx.Response(
            200, content=b"<html><title>Sign in</title></html>", headers={"Content-Type": "text/html"}
        )
    )
    with pytest.raises(E.UnexpectedResponse) as ei:
        await c.machines.get(MID)
    assert "is not JSON" in ei.value.message


async def test_plain_text_and_broken_json_bodies(h):
    c = h.client(lambda r: httpx.Response(400, content=b"{not json"), retry=NO_RETRY)
    with pytest.raises(E.BadRequest) as ei:
        await c.machines.get(MID)
    assert ei.value.message == "{not json"
    assert ei.value.code == "BadRequest"


async def test_too_many_sessions_vs_rate_limited(h):
    bodies = iter(
        [
            err(429, "TooManyRequests", "Too many concurrent live response sessions.", headers={"Retry-After": "30"}),
            err(429, "TooManyRequests", "Rate limit is exceeded.", headers={"Retry-After": "7"}),
        ]
    )
    c = h.client(lambda r: next(bodies))
    with pytest.raises(E.TooManySessions) as ei:
        await c.live_response.run(MID, {"Commands": [], "Comment": "x"})
    assert ei.value.retry_after == 30.0
    with pytest.raises(E.RateLimited) as ei2:
        await c.live_response.run(MID, {"Commands": [], "Comment": "x"})
    assert type(ei2.value) is E.RateLimited and ei2.value.retry_after == 7.0
    assert len(h.requests) == 2 and h.sleeps == []  # never retried by the client


def test_error_from_response_direct():
    e = error_from_response(
        429, b"Rate limit is exceeded. Try again in 17 seconds.", {"Content-Type": "text/plain"}, "GET",
        "https://api.security.microsoft.com/api/machines",
    )  # fmt: skip
    assert type(e) is E.RateLimited and e.retry_after == 17.0
    e = error_from_response(403, b'{"error":{"code":"Forbidden","message":"m"}}', {}, "GET",
                            "https://h/api/libraryfiles")  # fmt: skip
    assert "Library.Manage" in e.hint and e.target is None
    e = error_from_response(
        400,
        b'{"error":{"code":"BadRequest","message":"A file named a.ps1 already exists"}}',
        {},
        "POST",
        "https://h/api/libraryfiles",
    )
    assert e.hint == "A library file with this name exists; upload with override to replace it."


def test_blob_xml_error_and_sas_redaction():
    body = b'<?xml version="1.0"?><Error><Code>AuthenticationFailed</Code><Message>Signature not valid sig=abc</Message></Error>'
    e = error_from_response(
        403, body, {}, "GET", "https://x.blob.core.windows.net/c/b?sv=1&sig=SECRETSIG&se=2", blob=True
    )
    assert type(e) is E.ResultLinkError
    assert e.code == "AuthenticationFailed"
    assert "SECRETSIG" not in e.url and "sig=REDACTED" in e.url
    assert "sig=abc" not in e.message
    assert "30 minutes" in e.hint


def test_parse_error_body_shapes():
    assert parse_error_body(b"") == (None, "", None, "empty")
    assert parse_error_body(b'{"error":"invalid_client","error_description":"bad"}') == (
        "invalid_client",
        "bad",
        None,
        "json",
    )
    assert parse_error_body(b'{"odata.error":{"code":"X","message":{"value":"v"}}}') == ("X", "v", None, "json")
    assert parse_error_body(b'{"message":"gateway said"}') == (None, "gateway said", None, "json")
    assert parse_error_body(b'\xef\xbb\xbf{"error":{"code":"C","message":"M","target":"T"}}') == ("C", "M", "T", "json")
