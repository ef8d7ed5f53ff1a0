"""Machines (paging, nextLink, lookups), library calls and request records."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from lrtui.api import errors as E
from lrtui.api import odata
from lrtui.api.client import MdeClient
from lrtui.api.resources import LIBRARY_MAX_BYTES

from .conftest import MID


def m(i: int) -> dict:
    return {"id": f"{i:040x}", "computerDnsName": f"ws{i}", "healthStatus": "Active"}


async def test_next_link_followed_opaquely(h):
    nl = "https://api.security.microsoft.com/api/machines?$skiptoken=eyJvcGFxdWUiOnRydWV9%3D%3D&x=1"

    def handler(req):
        if "skiptoken" in str(req.url):
            return httpx.Response(200, json={"value": [m(3)]})
        return httpx.Response(200, json={"value": [m(1), m(2)], "@odata.nextLink": nl})

    c = h.client(handler)
    pages = [p async for p in c.machines.iter_pages(filter=odata.eq("healthStatus", "Active"))]
    assert [[x.computer_dns_name for x in p] for p in pages] == [["ws1", "ws2"], ["ws3"]]
    assert dict(h.requests[0].url.params) == {"$filter": "healthStatus eq 'Active'", "$top": "10000"}
    assert str(h.requests[1].url) == nl  # byte for byte, nothing added
    assert [r.attempt for r in h.records] == [1, 1]


async def test_next_link_to_foreign_host_refused(h):
    c = h.client(lambda r: httpx.Response(200, json={"value": [m(1)], "@odata.nextLink": "https://evil.example/steal"}))
    with pytest.raises(E.UnsafeNextLink, match=r"points at https://evil\.example"):
        await c.machines.list()
    assert len(h.requests) == 1


@pytest.mark.parametrize(
    "link",
    [
        "https://api.securitycenter.microsoft.com/api/machines?$skip=1",  # another MDE name: another host
        "https://api.security.microsoft.com:8443/api/machines?$skip=1",  # same host, another port
        "http://api.security.microsoft.com/api/machines?$skip=1",  # same host, plain http
        "https://user@api.security.microsoft.com/api/machines",  # user info
        "//evil.example/api/machines",  # scheme-relative: another host
    ],
)
async def test_next_link_must_keep_scheme_host_and_port(h, link):
    c = h.client(lambda r: httpx.Response(200, json={"value": [m(1)], "@odata.nextLink": link}))
    with pytest.raises(E.UnsafeNextLink):
        await c.machines.list()
    assert len(h.requests) == 1


async def test_next_link_same_origin_followed(h):
    def handler(req):
        if req.url.params.get("$skiptoken") == "2":
            return httpx.Response(200, json={"value": [m(2)]})
        nl = "https://api.security.microsoft.com:443/api/machines?$skiptoken=2"  # the default port, spelled out
        return httpx.Response(200, json={"value": [m(1)], "@odata.nextLink": nl})

    c = h.client(handler)
    assert [x.id for x in await c.machines.list()] == [m(1)["id"], m(2)["id"]]


async def test_top_skip_select_orderby_and_client_paging(h):
    data = [m(i) for i in range(5)]

    def handler(req):
        top = int(req.url.params["$top"])
        skip = int(req.url.params.get("$skip", 0))
        return httpx.Response(200, json={"value": data[skip : skip + top]})

    c = h.client(handler)
    got = await c.machines.list(
        top=3, page_size=2, skip=1, select=["id", "computerDnsName"], orderby="computerDnsName asc"
    )
    assert [x.computer_dns_name for x in got] == ["ws1", "ws2", "ws3"]
    assert [dict(r.url.params) for r in h.requests] == [
        {"$select": "id,computerDnsName", "$orderby": "computerDnsName asc", "$skip": "1", "$top": "2"},
        {"$select": "id,computerDnsName", "$orderby": "computerDnsName asc", "$skip": "3", "$top": "1"},
    ]


async def test_paging_stops_when_skip_is_ignored(h):
    c = h.client(lambda r: httpx.Response(200, json={"value": [m(1), m(2)]}))
    got = await c.machines.list(page_size=2)
    assert len(got) == 2 and len(h.requests) == 2


async def test_empty_list_and_bad_select(h):
    c = h.client(lambda r: httpx.Response(200, json={"value": []}))
    assert await c.machines.list() == []
    with pytest.raises(odata.ODataBuildError):
        await c.machines.list(select=["id; drop"])


async def test_get_machine_by_name_is_one_quoted_segment(h):
    c = h.client(lambda r: httpx.Response(200, json=m(1)))
    await c.machines.get("ws1.corp.example")
    await c.machines.get("a/b?c#d")
    assert h.requests[0].url.raw_path == b"/api/machines/ws1.corp.example"
    assert h.requests[1].url.raw_path == b"/api/machines/a%2Fb%3Fc%23d"


async def test_get_machine_not_found(h):
    c = h.client(
        lambda r: httpx.Response(
            404, json={"error": {"code": "ResourceNotFound", "message": "Machine x was not found"}}
        )
    )
    with pytest.raises(E.NotFound) as ei:
        await c.machines.get("x")
    assert ei.value.code == "ResourceNotFound" and ei.value.message == "Machine x was not found"


async def test_find_by_ip_and_tag(h):
    def handler(req):
        if "findbyip" in req.url.path:
            return httpx.Response(200, json={"value": [m(1)]})
        return httpx.Response(200, json=[m(2)])  # bare list tolerated

    c = h.client(handler)
    got = await c.machines.find_by_ip("10.1.2.3", datetime(2024, 6, 1, 8, 0, tzinfo=UTC))
    assert got[0].id == m(1)["id"]
    assert h.requests[0].url.path == "/api/machines/findbyip(ip='10.1.2.3',timestamp=2024-06-01T08:00:00Z)"
    got = await c.machines.find_by_tag("VIP's", starts_with=True)
    assert got[0].id == m(2)["id"]
    assert dict(h.requests[1].url.params) == {"tag": "VIP's", "useStartsWithFilter": "true"}
    with pytest.raises(E.ValidationError):
        await c.machines.find_by_ip("10.1.2.3') or (1", datetime.now(UTC))


async def test_library_list_upload_delete(h, tmp_path):
    def handler(req):
        if req.method == "GET":
            return httpx.Response(
                200,
                json={
                    "value": [{"fileName": "a.ps1", "hasParameters": False, "lastUpdatedTime": "2024-01-01T00:00:00Z"}]
                },
            )
        if req.method == "POST":
            return httpx.Response(200, json={"fileName": "collect.ps1", "sha256": "ab", "hasParameters": True})
        return httpx.Response(204)

    c = h.client(handler)
    (f,) = await c.library.list()
    assert f.file_name == "a.ps1"
    script = tmp_path / "collect.ps1"
    script.write_bytes(b"Write-Output 'hi'")
    up = await c.library.upload(
        "collect.ps1",
        script,
        description="collects",
        parameters_description="-Target",
        has_parameters=True,
        override=True,
    )
    assert up.file_name == "collect.ps1" and up.has_parameters
    post = h.requests[1]
    assert post.headers["content-type"].startswith("multipart/form-data; boundary=")
    body = post.content.decode()
    for field, value in (
        ("Description", "collects"),
        ("ParametersDescription", "-Target"),
        ("HasParameters", "true"),
        ("OverrideIfExists", "true"),
    ):
        assert f'name="{field}"\r\n\r\n{value}\r\n' in body
    assert 'name="file"; filename="collect.ps1"' in body and "Write-Output 'hi'" in body
    await c.library.delete("collect.ps1")
    assert (h.requests[2].method, h.requests[2].url.path) == ("DELETE", "/api/libraryfiles/collect.ps1")


async def test_library_upload_checked_before_the_call(h, tmp_path):
    c = h.client(lambda r: httpx.Response(200, json={}))
    with pytest.raises(E.ValidationError, match="up to 20,971,520 bytes"):
        await c.library.upload("big.ps1", b"x" * (LIBRARY_MAX_BYTES + 1))
    big = tmp_path / "big.ps1"
    with big.open("wb") as fh:
        fh.truncate(LIBRARY_MAX_BYTES + 1)
    with pytest.raises(E.ValidationError):
        await c.library.upload("big.ps1", big)
    with pytest.raises(E.ValidationError, match="usable library file name"):
        await c.library.upload("bad name;.ps1", b"x")
    assert h.requests == []


async def test_library_already_exists_hint(h):
    c = h.client(
        lambda r: httpx.Response(400, json={"error": {"code": "BadRequest", "message": "File a.ps1 already exists."}})
    )
    with pytest.raises(E.BadRequest) as ei:
        await c.library.upload("a.ps1", b"x")
    assert "override" in ei.value.hint


async def test_base_url_rules():
    with pytest.raises(E.ConfigError, match="plain http"):
        MdeClient("http://api.security.microsoft.com")
    c = MdeClient("https://api.security.microsoft.com/api/")
    assert c.transport.base_url == "https://api.security.microsoft.com"
    await c.aclose()
    c = MdeClient("http://127.0.0.1:8765")
    assert c.transport.base_url == "http://127.0.0.1:8765"
    await c.aclose()


async def test_on_request_failure_does_not_break_calls(h):
    def boom(rec):
        raise RuntimeError("log sink broken")

    c = h.client(lambda r: httpx.Response(200, json=m(1)), on_request=boom)
    assert (await c.machines.get(MID)).id == m(1)["id"]
