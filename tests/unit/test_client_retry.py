"""Retry paths: reads retry 5xx and connection errors with backoff, 429 waits Retry-After; writes do not."""

from __future__ import annotations

import random
import time

import httpx
import pytest

from lrtui.api import errors as E
from lrtui.api.retry import RetryPolicy, http_date, parse_retry_after

from .conftest import AID, MID, action, err

MACHINE = {"id": MID, "computerDnsName": "ws1"}


def seq_handler(*responses):
    it = iter(responses)

    def handler(req):
        r = next(it)
        if isinstance(r, Exception):
            raise r
        return r

    return handler


async def test_get_retries_5xx_then_succeeds(h):
    c = h.client(seq_handler(err(500, "InternalServerError"), httpx.Response(503), httpx.Response(200, json=MACHINE)))
    m = await c.machines.get(MID)
    assert m.computer_dns_name == "ws1"
    assert len(h.requests) == 3
    assert h.sleeps == [0.5, 1.0]  # jitter 0: the exact exponential schedule
    assert [(r.status, r.attempt, r.error) for r in h.records] == [
        (500, 1, "InternalServerError"),
        (503, 2, "InternalServerError"),
        (200, 3, None),
    ]
    assert h.gates == 3  # the engine's general budget is charged per attempt


async def test_get_gives_up_at_the_read_deadline(h):
    c = h.client(lambda r: httpx.Response(502), retry=RetryPolicy(jitter=0.0, read_deadline_s=20.0))
    with pytest.raises(E.ServerError) as ei:
        await c.machines.get(MID)
    assert ei.value.status == 502
    # backoff 0.5, 1, 2, 4, 8 (15.5 s); the next 8 s would pass the 20 s read deadline
    assert len(h.requests) == 6 and h.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]


async def test_get_keeps_retrying_past_four_attempts_within_the_deadline(h):
    answers = [httpx.Response(503)] * 9 + [httpx.Response(200, json=MACHINE)]
    c = h.client(seq_handler(*answers), retry=RetryPolicy(jitter=0.0, read_deadline_s=120.0))
    assert (await c.machines.get(MID)).id == MID
    assert len(h.requests) == 10 and sum(h.sleeps) <= 120.0


async def test_get_retries_connection_errors(h):
    c = h.client(
        seq_handler(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.Response(200, json=MACHINE))
    )
    assert (await c.machines.get(MID)).id == MID
    assert [r.error for r in h.records] == ["ConnectError", "ReadTimeout", None]
    assert [r.status for r in h.records] == [None, None, 200]
    assert h.sleeps == [0.5, 1.0]


async def test_get_connection_errors_exhausted(h):
    c = h.client(lambda r: (_ for _ in ()).throw(httpx.ReadError("reset")))
    with pytest.raises(E.TransportError) as ei:
        await c.library.list()
    assert not isinstance(ei.value, E.ConnectionFailed)
    assert ei.value.message.startswith("GET /api/libraryfiles failed: ReadError")
    assert len(h.requests) == 41 and sum(h.sleeps) <= RetryPolicy().read_deadline_s  # 300 s of backoff


@pytest.mark.parametrize(
    "headers, body, expected",
    [
        ({"Retry-After": "7"}, "", 7.0),
        ({"Retry-After": "2.5"}, "", 2.5),
        ({}, "Rate limit is exceeded. You can send requests again in 12 seconds.", 12.0),
        ({}, "", 60.0),
        ({"retry-after-ms": "1500"}, "", 1.5),
    ],
)
async def test_429_waits_retry_after_then_retries_get(h, headers, body, expected):
    first = httpx.Response(429, content=body.encode(), headers=headers)
    c = h.client(seq_handler(first, httpx.Response(200, json=MACHINE)))
    assert (await c.machines.get(MID)).id == MID
    assert h.sleeps == [expected]
    assert [r.status for r in h.records] == [429, 200]
    assert [getattr(r, "retry_after", expected) for r in h.records] == [expected, None]


async def test_429_retry_after_http_date(h):
    when = http_date(time.time() + 30)
    c = h.client(seq_handler(httpx.Response(429, headers={"Retry-After": when}), httpx.Response(200, json=MACHINE)))
    await c.machines.get(MID)
    assert len(h.sleeps) == 1 and 27.0 <= h.sleeps[0] <= 30.0


async def test_429_gives_up_after_max_tries(h):
    c = h.client(lambda r: err(429, "TooManyRequests", headers={"Retry-After": "3"}))
    with pytest.raises(E.RateLimited) as ei:
        await c.library.list()
    assert ei.value.retry_after == 3.0
    assert len(h.requests) == 3 and h.sleeps == [3.0, 3.0]


async def test_429_too_long_is_raised_not_waited(h):
    c = h.client(lambda r: err(429, "TooManyRequests", headers={"Retry-After": "3600"}))
    with pytest.raises(E.RateLimited) as ei:
        await c.library.list()
    assert ei.value.retry_after == 3600.0
    assert len(h.requests) == 1 and h.sleeps == []


async def test_4xx_is_not_retried(h):
    c = h.client(lambda r: err(400, "BadRequest"))
    with pytest.raises(E.BadRequest):
        await c.machines.get(MID)
    assert len(h.requests) == 1 and h.sleeps == []


async def test_cancel_retries_only_connection_errors_before_send(h):
    c = h.client(seq_handler(httpx.ConnectError("refused"), httpx.Response(200, json=action(status="Cancelled"))))
    a = await c.actions.cancel(AID, "analyst: wrong host")
    assert a.status == "Cancelled"
    assert len(h.requests) == 2 and h.bodies() == [{"Comment": "analyst: wrong host"}] * 2

    h.requests.clear()
    c2 = h.client(lambda r: httpx.Response(500))
    with pytest.raises(E.ServerError):
        await c2.actions.cancel(AID, "x")
    assert len(h.requests) == 1

    h.requests.clear()
    c3 = h.client(lambda r: (_ for _ in ()).throw(httpx.ReadTimeout("slow")))
    with pytest.raises(E.TransportError):
        await c3.actions.cancel(AID, "x")
    assert len(h.requests) == 1  # the request may have been processed: not repeated


async def test_runliveresponse_is_not_gated_by_the_general_budget(h):
    c = h.client(lambda r: httpx.Response(201, json=action()))
    await c.live_response.run(MID, {"Commands": [], "Comment": "x"})
    assert h.gates == 0
    await c.actions.get(AID)
    assert h.gates == 1


def test_backoff_is_capped_and_jittered():
    p = RetryPolicy(base_delay_s=0.5, max_delay_s=8.0, jitter=1.0, rng=random.Random(7))
    for attempt in range(1, 12):
        ceiling = min(8.0, 0.5 * 2 ** (attempt - 1))
        draws = [p.backoff(attempt) for _ in range(50)]
        assert all(0.0 <= d <= ceiling for d in draws)
        assert len(set(draws)) > 40  # jittered, not constant
    p0 = RetryPolicy(jitter=0.0)
    assert [p0.backoff(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_parse_retry_after_edge_cases():
    now = 1_700_000_000.0
    assert parse_retry_after({"Retry-After": http_date(now + 90)}, now=now) == 90.0
    assert parse_retry_after({"Retry-After": http_date(now - 90)}, now=now) == 0.0
    assert parse_retry_after({"Retry-After": "-5"}) == 60.0  # negative: as if missing
    assert parse_retry_after({"Retry-After": "NaN"}) == 60.0
    assert parse_retry_after({"Retry-After": "inf"}, default=5.0) == 5.0
    assert parse_retry_after({"Retry-After-Ms": "nan", "Retry-After": "3"}) == 3.0
    assert parse_retry_after({"Retry-After": "soon"}, b"try again in 4 seconds") == 4.0
    assert parse_retry_after({}, b'{"error":{"message":"Retry after 9 seconds"}}') == 9.0
    assert parse_retry_after(None, None) == 60.0
    assert parse_retry_after({}, None, default=5.0) == 5.0
