"""runliveresponse: sent once, 200/201 accepted, reconciled by marker after an uncertain answer; get_action."""

from __future__ import annotations

import httpx
import pytest

from lrtui.api import errors as E
from lrtui.api.retry import RetryPolicy

from .conftest import AID, MID, action, err

MARKER = "lrtui:job-5f1c"
BODY = {
    "Commands": [{"type": "RunScript", "params": [{"key": "ScriptName", "value": "collect.ps1"}]}],
    "Comment": f"analyst a.b case 42 [{MARKER}]",
}
RECONCILE_PARAMS = {
    "$filter": f"machineId eq '{MID}' and type eq 'LiveResponse'",
    "$orderby": "creationDateTimeUtc desc",
    "$top": "20",
}


def posts(h):
    return [r for r in h.requests if r.method == "POST"]


def lists(h):
    return [r for r in h.requests if r.method == "GET" and r.url.path == "/api/machineactions"]


@pytest.mark.parametrize("status", [200, 201])
async def test_post_accepts_200_and_201_and_empty_commands(h, status):
    c = h.client(lambda r: httpx.Response(status, json=action(commands=[])))
    a = await c.live_response.run(MID, BODY, marker=MARKER)
    assert a.id == AID and a.status == "Pending" and a.commands == []
    (req,) = h.requests
    assert req.method == "POST"
    assert str(req.url) == f"https://api.security.microsoft.com/api/machines/{MID}/runliveresponse"
    assert h.bodies() == [BODY]  # exactly the body given, documented casing kept
    assert req.headers["content-type"] == "application/json"


async def test_post_429_is_raised_immediately(h):
    c = h.client(lambda r: err(429, "TooManyRequests", "Rate limit is exceeded.", headers={"Retry-After": "40"}))
    with pytest.raises(E.RateLimited) as ei:
        await c.live_response.run(MID, BODY, marker=MARKER)
    assert ei.value.retry_after == 40.0
    assert len(h.requests) == 1 and h.sleeps == []


@pytest.mark.parametrize("failure", ["500", "503", "timeout", "drop", "html200"])
async def test_uncertain_post_reconciled_by_marker(h, failure):
    found = action(requestorComment=BODY["Comment"], status="Pending", id="11111111-2222-3333-4444-555555555555")
    other = action(requestorComment="someone else", id="99999999-2222-3333-4444-555555555555")

    def handler(req):
        if req.method == "POST":
            if failure == "500":
                return err(500, "InternalServerError")
            if failure == "503":
                return httpx.Response(503, content=b"<html><title>Service Unavailable</title></html>")
            if failure == "timeout":
                raise httpx.ReadTimeout("timed out")
            if failure == "html200":
                return httpx.Response(201, content=b"<html>proxy</html>")
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        assert req.url.path == "/api/machineactions"
        return httpx.Response(200, json={"value": [other, found]})

    c = h.client(handler, retry=RetryPolicy(jitter=0.0, reconcile_delay_s=5.0))
    a = await c.live_response.run(MID, BODY, marker=MARKER)
    assert a.id == "11111111-2222-3333-4444-555555555555"
    assert len(posts(h)) == 1  # never a second POST
    (lst,) = lists(h)
    assert dict(lst.url.params) == RECONCILE_PARAMS
    assert h.sleeps == [5.0]  # waited before looking


async def test_uncertain_post_not_found_raises_submission_uncertain(h):
    def handler(req):
        if req.method == "POST":
            return err(500, "InternalServerError", "boom")
        return httpx.Response(200, json={"value": [action(requestorComment="other job")]})

    c = h.client(handler, retry=RetryPolicy(jitter=0.0, reconcile_attempts=3, reconcile_delay_s=4.0))
    with pytest.raises(E.SubmissionUncertain) as ei:
        await c.live_response.run(MID, BODY, marker=MARKER)
    assert len(posts(h)) == 1
    assert len(lists(h)) == 3
    assert h.sleeps == [4.0, 4.0, 4.0]
    assert "not sent again" in ei.value.hint
    assert isinstance(ei.value.__cause__, E.ServerError)


async def test_reconcile_finds_it_on_a_later_listing(h):
    listings = iter([[], [action(requestorComment=BODY["Comment"])]])

    def handler(req):
        if req.method == "POST":
            raise httpx.ReadTimeout("slow")
        return httpx.Response(200, json={"value": next(listings)})

    c = h.client(handler)
    a = await c.live_response.run(MID, BODY, marker=MARKER)
    assert a.id == AID and len(posts(h)) == 1 and len(lists(h)) == 2


async def test_reconcile_listing_failures_still_uncertain(h):
    def handler(req):
        if req.method == "POST":
            return httpx.Response(502)
        return err(403, "Forbidden")

    c = h.client(handler, retry=RetryPolicy(jitter=0.0, reconcile_attempts=2))
    with pytest.raises(E.SubmissionUncertain) as ei:
        await c.live_response.run(MID, BODY, marker=MARKER)
    assert "Listing the device's actions also failed" in ei.value.message
    assert len(posts(h)) == 1


async def test_uncertain_without_marker_is_uncertain_without_listing(h):
    c = h.client(lambda r: err(500, "InternalServerError"))
    with pytest.raises(E.SubmissionUncertain):
        await c.live_response.run(MID, BODY)
    assert len(h.requests) == 1


async def test_connect_error_means_not_sent(h):
    c = h.client(lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused")))
    with pytest.raises(E.ConnectionFailed):
        await c.live_response.run(MID, BODY, marker=MARKER)
    assert len(h.requests) == 1 and lists(h) == []


async def test_marker_must_be_in_comment(h):
    c = h.client(lambda r: httpx.Response(201, json=action()))
    with pytest.raises(E.ValidationError, match="marker must appear"):
        await c.live_response.run(MID, BODY, marker="not-there")
    assert h.requests == []


async def test_service_errors_on_post_are_not_reconciled(h):
    c = h.client(lambda r: err(400, "ActiveRequestAlreadyExists", "Action is already in progress"))
    with pytest.raises(E.ActiveRequestAlreadyExists):
        await c.live_response.run(MID, BODY, marker=MARKER)
    assert len(h.requests) == 1


# ------------------------------------------------------------------ get_action


async def test_fresh_404_is_tolerated(h):
    it = iter(
        [
            err(404, "NotFound"),
            err(404, "NotFound"),
            err(404, "ResourceNotFound"),
            httpx.Response(200, json=action(status="InProgress")),
        ]
    )
    c = h.client(lambda r: next(it), retry=RetryPolicy(jitter=0.0, fresh_404_first_delay_s=2.0))
    a = await c.actions.get(AID, fresh=True)
    assert a.status == "InProgress"
    assert h.sleeps == [2.0, 3.0, 4.5]
    assert [r.status for r in h.records] == [404, 404, 404, 200]


async def test_fresh_404_gives_up_after_window(h):
    c = h.client(lambda r: err(404, "NotFound"), retry=RetryPolicy(jitter=0.0, fresh_404_s=120.0))
    with pytest.raises(E.NotFound):
        await c.actions.get(AID, fresh=True)
    assert sum(h.sleeps) <= 120.0
    assert sum(h.sleeps) > 100.0
    assert len(h.requests) == len(h.sleeps) + 1


async def test_not_fresh_404_raises_at_once(h):
    c = h.client(lambda r: err(404, "NotFound", "Action was not found"))
    with pytest.raises(E.NotFound) as ei:
        await c.actions.get(AID)
    assert ei.value.message == "Action was not found"
    assert len(h.requests) == 1 and h.sleeps == []


async def test_non_guid_action_id_checked_locally(h):
    c = h.client(lambda r: httpx.Response(200, json=action()))
    with pytest.raises(E.BadRequest) as ei:
        await c.actions.get(MID)
    assert ei.value.message == f"{MID!r} looks like a machine id, not an action id."
    with pytest.raises(E.BadRequest, match="is not an action id"):
        await c.actions.get("../machines")
    with pytest.raises(E.BadRequest):
        await c.results.get_link("x", 0)
    assert h.requests == []


async def test_list_actions_params_and_paging(h):
    def handler(req):
        if "skiptoken" in str(req.url):
            return httpx.Response(200, json={"value": [action(id="22222222-2222-3333-4444-555555555555")]})
        return httpx.Response(
            200,
            json={
                "value": [action()],
                "@odata.nextLink": f"{req.url.scheme}://{req.url.host}/api/machineactions?$skiptoken=Zz%3D",
            },
        )

    c = h.client(handler)
    acts = await c.actions.list(filter="status eq 'Pending'", orderby="creationDateTimeUtc desc")
    assert [a.id for a in acts] == [AID, "22222222-2222-3333-4444-555555555555"]
    assert dict(h.requests[0].url.params) == {
        "$filter": "status eq 'Pending'",
        "$orderby": "creationDateTimeUtc desc",
        "$top": "10000",
    }
    assert str(h.requests[1].url) == "https://api.security.microsoft.com/api/machineactions?$skiptoken=Zz%3D"


async def test_result_link(h):
    link = "https://blob.example.net/investigation-actions-data/x/CustomPlaybookCommandOutput/h?sv=1&sr=b&sp=r&se=2&sig=SeCrEt%3D"
    c = h.client(lambda r: httpx.Response(200, json={"@odata.context": "x", "value": link}))
    assert await c.results.get_link(AID, 2) == link
    assert h.requests[0].url.path == f"/api/machineactions/{AID}/GetLiveResponseResultDownloadLink(index=2)"
    with pytest.raises(E.ValidationError):
        await c.results.get_link(AID, -1)
    with pytest.raises(E.ValidationError):
        await c.results.get_link(AID, True)  # type: ignore[arg-type]
