"""Bounded work on any API answer (issue 14): size cap on the wire and decoded, deep JSON, deadlines,
Retry-After clamped."""

from __future__ import annotations

import asyncio
import gzip
import json
import time
import zlib

import httpx
import pytest

from lrtui.api import errors as E
from lrtui.api.retry import RetryPolicy

from .conftest import MID, Chunks

MACHINE = {"id": MID, "computerDnsName": "ws1"}


def streamed(chunks: list[bytes], headers: dict[str, str] | None = None, status: int = 200) -> httpx.Response:
    return httpx.Response(status, stream=Chunks(chunks), headers=headers or {})


def policy(**kw) -> RetryPolicy:
    base: dict = dict(jitter=0.0, read_deadline_s=0.0)
    base.update(kw)
    return RetryPolicy(**base)


async def test_gzip_answer_decoded_under_the_cap(h):
    body = gzip.compress(json.dumps(MACHINE).encode())
    c = h.client(lambda r: streamed([body], {"content-encoding": "gzip", "content-type": "application/json"}))
    assert (await c.machines.get(MID)).computer_dns_name == "ws1"
    assert h.requests[0].headers["accept-encoding"] == "gzip, deflate"


async def test_deflate_answer_decoded(h):
    body = zlib.compress(json.dumps(MACHINE).encode())
    c = h.client(lambda r: streamed([body[:5], body[5:]], {"content-encoding": "deflate"}))
    assert (await c.machines.get(MID)).id == MID


async def test_gzip_bomb_answer_refused_at_the_cap(h):
    bomb = gzip.compress(b" " * (64 << 20))  # 64 MiB of spaces in about 64 KiB
    c = h.client(lambda r: streamed([bomb], {"content-encoding": "gzip"}), retry=policy(max_body_bytes=1 << 20))
    with pytest.raises(E.ResponseTooLarge, match="larger than 1,048,576 bytes once decompressed"):
        await c.machines.get(MID)
    assert len(h.requests) == 1  # never retried
    assert h.records[-1].error == "ResponseTooLarge"


async def test_huge_body_refused_on_the_wire_without_reading_it_all(h):
    sent: list[int] = []
    chunk = b" " * (1 << 16)

    class Endless(httpx.AsyncByteStream):
        async def __aiter__(self):
            while True:
                sent.append(1)
                yield chunk

    c = h.client(lambda r: httpx.Response(200, stream=Endless()), retry=policy(max_body_bytes=1 << 20))
    with pytest.raises(E.ResponseTooLarge, match="on the wire"):
        await c.machines.get(MID)
    assert len(sent) <= 20  # stopped just past 1 MiB


async def test_announced_length_over_the_cap_refused_before_reading(h):
    c = h.client(lambda r: streamed([b"{}"], {"content-length": str(64 << 20)}), retry=policy(max_body_bytes=1 << 20))
    with pytest.raises(E.ResponseTooLarge, match="announced"):
        await c.machines.get(MID)


async def test_unrequested_content_encoding_refused(h):
    c = h.client(lambda r: streamed([b"xx"], {"content-encoding": "br"}))
    with pytest.raises(E.UnexpectedResponse, match="encoded as 'br'"):
        await c.machines.get(MID)


async def test_corrupt_gzip_answer_is_a_clear_error(h):
    c = h.client(lambda r: streamed([b"\x1f\x8b\x08\x00garbage"], {"content-encoding": "gzip"}))
    with pytest.raises(E.UnexpectedResponse, match="corrupt gzip encoding"):
        await c.machines.get(MID)


@pytest.mark.parametrize("depth", [65, 100_000])
async def test_deep_json_is_a_clear_typed_error(h, depth):
    body = b"[" * depth + b"]" * depth
    c = h.client(lambda r: httpx.Response(200, content=body))
    with pytest.raises(E.ResponseTooDeep, match="nested deeper than 64 levels"):
        await c.machines.list()


async def test_json_at_the_depth_limit_decodes(h):
    nested: object = MID
    for _ in range(60):
        nested = {"k": nested}
    c = h.client(lambda r: httpx.Response(200, json={**MACHINE, "vmMetadata": nested}))
    assert (await c.machines.get(MID)).id == MID


async def test_deep_json_error_body_is_read_as_text(h):
    body = b'{"error":' * 5000 + b"1" + b"}" * 5000
    c = h.client(lambda r: httpx.Response(400, content=body))
    with pytest.raises(E.BadRequest):
        await c.machines.get(MID)


async def test_slow_drip_hits_the_request_deadline(h):
    class Drip(httpx.AsyncByteStream):
        async def __aiter__(self):
            for b in b'{"id":':
                await asyncio.sleep(0.1)
                yield bytes([b])

    c = h.client(lambda r: httpx.Response(200, stream=Drip()), retry=policy(request_deadline_s=0.25))
    t0 = time.monotonic()
    with pytest.raises(E.RequestDeadlineExceeded, match=r"did not complete within 0\.25 s"):
        await c.machines.get(MID)
    assert time.monotonic() - t0 < 2.0
    assert h.records[-1].error == "RequestDeadlineExceeded"


async def test_missed_deadline_on_a_read_is_retried_within_the_read_deadline(h):
    calls: list[int] = []

    class Drip(httpx.AsyncByteStream):
        async def __aiter__(self):
            await asyncio.sleep(0.5)
            yield b"{}"

    def api(r):
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(200, stream=Drip())
        return httpx.Response(200, json=MACHINE)

    c = h.client(api, retry=policy(request_deadline_s=0.1, read_deadline_s=60.0))
    assert (await c.machines.get(MID)).id == MID
    assert [r.error for r in h.records] == ["RequestDeadlineExceeded", None]


@pytest.mark.parametrize("value", ["1000000000", "7200"])
async def test_retry_after_past_the_limit_raises_instead_of_sleeping(h, value):
    c = h.client(
        lambda r: httpx.Response(
            429, json={"error": {"code": "TooManyRequests", "message": "slow down"}}, headers={"Retry-After": value}
        )
    )
    with pytest.raises(E.RetryAfterTooLong) as ei:
        await c.machines.get(MID)
    assert h.sleeps == [] and len(h.requests) == 1
    assert ei.value.retry_after == float(value) and ei.value.limit_s == 3600.0
    assert "lrtui resume" in ei.value.user_message()
    assert not isinstance(ei.value, E.RateLimited)
    assert h.records[-1].error == "RetryAfterTooLong" and h.records[-1].retry_after == float(value)


@pytest.mark.parametrize("value", ["NaN", "inf", "-inf", "-30"])
async def test_retry_after_not_finite_or_negative_counts_as_missing(h, value):
    answers = iter(
        [
            httpx.Response(
                429, json={"error": {"code": "TooManyRequests", "message": "x"}}, headers={"Retry-After": value}
            ),
            httpx.Response(200, json=MACHINE),
        ]
    )
    c = h.client(lambda r: next(answers))
    assert (await c.machines.get(MID)).id == MID
    assert h.sleeps == [60.0]  # the documented fallback, not NaN, inf or a negative wait


async def test_post_runliveresponse_deadline_is_uncertain_and_never_repeated(h):
    posts: list[int] = []

    class Drip(httpx.AsyncByteStream):
        async def __aiter__(self):
            await asyncio.sleep(1.0)
            yield b"{}"

    def api(r):
        if r.method == "POST":
            posts.append(1)
            return httpx.Response(201, stream=Drip())
        return httpx.Response(200, json={"value": []})

    c = h.client(api, retry=policy(request_deadline_s=0.1, reconcile_attempts=1, reconcile_delay_s=0.0))
    with pytest.raises(E.SubmissionUncertain):
        await c.live_response.run(MID, {"Commands": [], "Comment": "m-1"}, marker="m-1")
    assert posts == [1]


async def test_ssl_context_reaches_both_clients():
    import ssl

    from lrtui.api.client import MdeClient

    ctx = ssl.create_default_context()
    async with MdeClient("https://api.security.microsoft.com", ssl_context=ctx) as c:
        for client in (c.transport.http, c.transport.blob):
            pool = client._transport._pool  # httpx keeps the context it verifies with on its connection pool
            assert pool._ssl_context is ctx
