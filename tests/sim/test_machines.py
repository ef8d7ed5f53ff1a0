"""GET /api/machines (OData), single machine, findbyip, findbytag, headers, auth, 405."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest

from lrtui.api.models import Machine

from .conftest import DC, T0, WIN, assert_error

ISO7 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$")


def iso(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def test_list_headers_shape_and_entity_fields(srv):
    r = srv.client.get("/api/machines")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8"
    assert r.headers["odata-version"] == "4.0"
    body = r.json()
    assert body["@odata.context"] == f"{srv.api}/api/$metadata#Machines"
    assert "@odata.nextLink" not in body
    assert len(body["value"]) == 40
    m = body["value"][0]
    for f in [
        "id",
        "computerDnsName",
        "firstSeen",
        "lastSeen",
        "osPlatform",
        "osVersion",
        "osProcessor",
        "osArchitecture",
        "version",
        "osBuild",
        "agentVersion",
        "lastIpAddress",
        "lastExternalIpAddress",
        "ipAddresses",
        "healthStatus",
        "onboardingStatus",
        "riskScore",
        "exposureLevel",
        "deviceValue",
        "rbacGroupId",
        "rbacGroupName",
        "aadDeviceId",
        "isAadJoined",
        "machineTags",
        "defenderAvStatus",
        "managedBy",
        "managedByStatus",
        "mergedIntoMachineId",
        "isPotentialDuplication",
        "isExcluded",
        "exclusionReason",
        "vmMetadata",
    ]:
        assert f in m, f
    assert re.fullmatch(r"[0-9a-f]{40}", m["id"])
    assert ISO7.match(m["lastSeen"]) and ISO7.match(m["firstSeen"])
    assert {"ipAddress", "macAddress", "type", "operationalStatus"} <= set(m["ipAddresses"][0])
    for w in body["value"]:
        Machine.model_validate(w)


def test_demo_tenant_variety(make_server):
    s = make_server(machines=600)
    ms = s.client.get("/api/machines").json()["value"]
    assert len(ms) == 600
    plats = {m["osPlatform"] for m in ms}
    assert {
        "Windows10",
        "Windows11",
        "WindowsServer2016",
        "WindowsServer2019",
        "WindowsServer2022",
        "macOS",
        "Linux",
    } <= plats
    assert {m["healthStatus"] for m in ms} >= {"Active", "Inactive"}
    assert len({m["computerDnsName"] for m in ms}) == 600
    assert any(m["rbacGroupName"] is None and m["rbacGroupId"] == 0 for m in ms)
    assert any(m["rbacGroupName"] == "Kiosks - No Automation" for m in ms)
    assert any(m["machineTags"] for m in ms)
    assert {m["riskScore"] for m in ms} >= {"Low", "Medium", "High"}
    assert any(re.fullmatch(r"fin-ws-\d{4}\.corp\.contoso\.example", m["computerDnsName"]) for m in ms)


def test_auth_required(srv):
    r = httpx.get(f"{srv.api}/api/machines")
    assert_error(r, 401, "Unauthorized")
    assert "odata" not in r.headers["content-type"]
    assert_error(httpx.get(f"{srv.api}/api/machines", headers={"Authorization": "Basic abc"}), 401, "Unauthorized")
    assert_error(httpx.get(f"{srv.api}/api/machines", headers={"Authorization": "Bearer"}), 401, "Unauthorized")
    assert srv.client.get("/api/machines").status_code == 200  # any bearer by default


def test_require_token(make_server):
    s = make_server(require_token="s3cret")
    assert_error(s.client.get("/api/libraryfiles"), 401, "Unauthorized")
    assert httpx.get(f"{s.api}/api/libraryfiles", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_token_ttl(make_server):
    s = make_server(token_ttl_s=100)
    assert s.client.get("/api/libraryfiles").status_code == 200
    s.tick(60)
    assert s.client.get("/api/libraryfiles").status_code == 200
    s.tick(41)
    assert_error(s.client.get("/api/libraryfiles"), 401, "Unauthorized", "expired")
    # a new token is fresh
    assert httpx.get(f"{s.api}/api/libraryfiles", headers={"Authorization": "Bearer new"}).status_code == 200


def test_wrong_method_405_with_allow(srv):
    r = srv.client.delete("/api/machines")
    assert r.status_code == 405 and r.content == b"" and r.headers["allow"] == "GET"
    r = srv.client.get(f"/api/machines/{srv.mid(WIN)}/runliveresponse")
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    r = srv.client.put("/api/libraryfiles")
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"


def test_unknown_path_404(srv):
    assert_error(srv.client.get("/api/nothing"), 404, "ResourceNotFound")


def test_paging_nextlink(make_server):
    s = make_server(machines=95, page_size=20)
    url = "/api/machines"
    seen, pages = [], 0
    while url:
        r = s.client.get(url)
        assert r.status_code == 200
        body = r.json()
        seen += [m["id"] for m in body["value"]]
        url = body.get("@odata.nextLink")
        pages += 1
        if url:
            assert url.startswith(f"{s.api}/api/machines?") and "$skiptoken=" in url
    assert pages == 5 and len(seen) == 95 == len(set(seen))
    # the link keeps the filter
    r = s.client.get("/api/machines", params={"$filter": "healthStatus eq 'Active'"})
    body = r.json()
    active = [m.wire["id"] for m in s.sim.state.machines if m.wire["healthStatus"] == "Active"]
    got = [m["id"] for m in body["value"]]
    while "@odata.nextLink" in body:
        body = s.client.get(body["@odata.nextLink"]).json()
        got += [m["id"] for m in body["value"]]
    assert got == active


def test_top_skip_orderby_select(srv):
    allm = srv.client.get("/api/machines").json()["value"]
    r = srv.client.get("/api/machines", params={"$top": "5", "$skip": "3"})
    assert [m["id"] for m in r.json()["value"]] == [m["id"] for m in allm[3:8]]
    r = srv.client.get("/api/machines", params={"$orderby": "computerDnsName desc", "$top": "10"})
    names = [m["computerDnsName"] for m in r.json()["value"]]
    assert names == sorted((m["computerDnsName"] for m in allm), reverse=True)[:10]
    r = srv.client.get("/api/machines", params={"$orderby": "lastSeen asc"})
    seen = [m["lastSeen"] for m in r.json()["value"]]
    assert seen == sorted(seen)
    r = srv.client.get("/api/machines", params={"$select": "id,computerDnsName", "$top": "2"})
    assert all(set(m) == {"id", "computerDnsName"} for m in r.json()["value"])
    assert srv.client.get("/api/machines", params={"$top": "10000"}).status_code == 200


@pytest.mark.parametrize(
    "params, needle",
    [
        ({"$top": "10001"}, "10000"),
        ({"$top": "abc"}, "$top"),
        ({"$skip": "-1"}, "$skip"),
        ({"$select": "nope"}, "nope"),
        ({"$orderby": "nope desc"}, "nope"),
        ({"$expand": "x"}, "expand"),
        ({"$filter": "rbacGroupName eq 'x'"}, "rbacGroupName"),
        ({"$filter": "firstSeen gt 2024-01-01Z"}, "firstSeen"),
        ({"$filter": "bogus eq 1"}, "bogus"),
        ({"$filter": "computerDnsName eq"}, "expected a value"),
        ({"$filter": "computerDnsName eq 'x"}, "unterminated"),
        ({"$filter": "(healthStatus eq 'Active'"}, "')'"),
        ({"$filter": "rbacGroupId eq 'abc'"}, "incompatible"),
        ({"$filter": "lastSeen gt 'yesterday'"}, "DateTimeOffset"),
        ({"$filter": "healthStatus eq 'Active' xor true"}, "xor"),
    ],
)
def test_bad_odata_400(srv, params, needle):
    assert_error(srv.client.get("/api/machines", params=params), 400, "ODataError", needle)


def test_filters_match_python(make_server):
    s = make_server(machines=300)
    allm = s.client.get("/api/machines").json()["value"]
    t = datetime.fromtimestamp(T0 - 12 * 3600, UTC)
    day = t.strftime("%Y-%m-%d")
    stamp = t.strftime("%Y-%m-%dT%H:%M:%SZ")

    def ls(m):
        return datetime.fromisoformat(m["lastSeen"][:26] + "+00:00")

    cases = {
        "healthStatus eq 'Active'": lambda m: m["healthStatus"] == "Active",
        "healthStatus ne 'Active'": lambda m: m["healthStatus"] != "Active",
        "riskScore eq 'High' and osPlatform eq 'Windows11'": lambda m: (
            m["riskScore"] == "High" and m["osPlatform"] == "Windows11"
        ),
        "riskScore eq 'High' or exposureLevel eq 'High'": lambda m: (
            m["riskScore"] == "High" or m["exposureLevel"] == "High"
        ),
        "not (healthStatus eq 'Active')": lambda m: m["healthStatus"] != "Active",
        "(osPlatform eq 'Linux' or osPlatform eq 'macOS') and healthStatus eq 'Active'": lambda m: (
            m["osPlatform"] in ("Linux", "macOS") and m["healthStatus"] == "Active"
        ),
        "startswith(computerDnsName,'fin-ws-')": lambda m: m["computerDnsName"].startswith("fin-ws-"),
        "contains(computerDnsName,'-lt-')": lambda m: "-lt-" in m["computerDnsName"],
        "osPlatform in ('Linux','macOS')": lambda m: m["osPlatform"] in ("Linux", "macOS"),
        "machineTags/any(tag: tag eq 'VIP')": lambda m: "VIP" in m["machineTags"],
        "machineTags/any(t: t eq 'O''Brien Team')": lambda m: "O'Brien Team" in m["machineTags"],
        "machineTags/any(x: startswith(x,'Fin'))": lambda m: any(x.startswith("Fin") for x in m["machineTags"]),
        f"lastSeen gt {day}Z": lambda m: ls(m) > datetime.fromisoformat(day + "T00:00:00+00:00"),
        f"lastSeen ge {stamp}": lambda m: ls(m) >= t,
        f"lastSeen lt {stamp}": lambda m: ls(m) < t,
        f"lastSeen le {stamp} and rbacGroupId eq 101": lambda m: ls(m) <= t and m["rbacGroupId"] == 101,
        "rbacGroupId gt 104": lambda m: m["rbacGroupId"] > 104,
        "computerDnsName eq 'dc01.corp.contoso.example'": lambda m: m["computerDnsName"] == "dc01.corp.contoso.example",
        "id eq '" + allm[5]["id"] + "'": lambda m: m["id"] == allm[5]["id"],
        "lastIpAddress eq '" + allm[9]["lastIpAddress"] + "'": lambda m: m["lastIpAddress"] == allm[9]["lastIpAddress"],
        "onboardingStatus eq 'Onboarded' and deviceValue eq 'High'": lambda m: m["deviceValue"] == "High",
    }
    for flt, pred in cases.items():
        r = s.client.get("/api/machines", params={"$filter": flt})
        assert r.status_code == 200, (flt, r.text)
        got = [m["id"] for m in r.json()["value"]]
        want = [m["id"] for m in allm if pred(m)]
        assert got == want, flt
        assert want or flt.startswith("machineTags/any(t: t eq 'O''Brien") or True
    assert [m for m in allm if "O'Brien Team" in m["machineTags"]], "demo tenant should carry a tag with a quote"
    assert s.client.get("/api/machines", params={"$filter": "healthStatus eq 'Nope'"}).json()["value"] == []


def test_count_segment(srv):
    r = srv.client.get("/api/machines/$count")
    assert r.status_code == 200 and r.text == "40"


def test_get_machine_by_id_and_name(srv):
    m = srv.sim.state.machines[DC].wire
    r = srv.client.get(f"/api/machines/{m['id']}")
    assert r.status_code == 200 and r.json()["computerDnsName"] == m["computerDnsName"]
    assert r.json()["@odata.context"].endswith("/api/$metadata#Machines/$entity")
    r = srv.client.get(f"/api/machines/{m['computerDnsName'].upper()}")
    assert r.status_code == 200 and r.json()["id"] == m["id"]
    assert_error(
        srv.client.get("/api/machines/no-such-host.example"),
        404,
        "ResourceNotFound",
        "Machine no-such-host.example was not found",
    )


def test_findbyip(make_server):
    s = make_server(machines=120)
    m = s.sim.state.machines[WIN].wire
    ts = iso(T0 - 3600).strftime("%Y-%m-%dT%H:%M:%SZ")
    r = s.client.get(f"/api/machines/findbyip(ip='{m['lastIpAddress']}',timestamp={ts})")
    assert r.status_code == 200
    assert [x["id"] for x in r.json()["value"]] == [m["id"]]
    # DHCP reuse: machine a had b's address until `switch`; +-15 minutes around the switch
    a = next(r for r in s.sim.state.machines if r.prev_ips)
    ip, t0, t1 = a.prev_ips[0]
    b = next(r for r in s.sim.state.machines if r.wire["lastIpAddress"] == ip)

    def ids_at(t):
        q = f"/api/machines/findbyip(ip='{ip}',timestamp={iso(t).strftime('%Y-%m-%dT%H:%M:%SZ')})"
        return {x["id"] for x in s.client.get(q).json()["value"]}

    assert ids_at(t1 - 3600) == {a.id}
    assert ids_at(t1 + 10 * 60) == {a.id, b.id}  # within 15 minutes of both
    assert ids_at(t1 + 3600) == {b.id}
    old = iso(T0 - 31 * 86400).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert_error(s.client.get(f"/api/machines/findbyip(ip='10.1.2.3',timestamp={old})"), 400, "BadRequest", "30 days")
    assert_error(s.client.get(f"/api/machines/findbyip(ip='10.1.2.999',timestamp={ts})"), 400, "InvalidIpAddress")
    assert s.client.get(f"/api/machines/findbyip(ip='10.250.250.250',timestamp={ts})").json()["value"] == []


def test_findbytag(make_server):
    s = make_server(machines=200)
    allm = [r.wire for r in s.sim.state.machines]
    r = s.client.get("/api/machines/findbytag", params={"tag": "VIP"})
    assert r.status_code == 200 and "value" in r.json()
    assert {x["id"] for x in r.json()["value"]} == {m["id"] for m in allm if "VIP" in m["machineTags"]}
    r = s.client.get("/api/machines/findbytag", params={"tag": "Fin", "useStartsWithFilter": "true"})
    assert {x["id"] for x in r.json()["value"]} == {
        m["id"] for m in allm if any(t.startswith("Fin") for t in m["machineTags"])
    }
    assert s.client.get("/api/machines/findbytag", params={"tag": "Fin"}).json()["value"] == []
    assert_error(s.client.get("/api/machines/findbytag"), 400, "MissingRequiredParameter")


def test_seed_reproducible(make_server):
    a = make_server(seed=7, machines=30).client.get("/api/machines").json()["value"]
    b = make_server(seed=7, machines=30).client.get("/api/machines").json()["value"]
    c = make_server(seed=8, machines=30).client.get("/api/machines").json()["value"]
    assert a == b
    assert [m["id"] for m in a] != [m["id"] for m in c]


def test_path_variants_and_count_option(srv):
    assert srv.client.get("/API/machines?$top=1").status_code == 200
    assert srv.client.get("/api/v1.0/machines?$top=1").status_code == 200
    body = srv.client.get(
        "/api/machines", params={"$count": "true", "$top": "3", "$filter": "healthStatus eq 'Active'"}
    ).json()
    assert body["@odata.count"] == sum(m.wire["healthStatus"] == "Active" for m in srv.sim.state.machines)
    assert len(body["value"]) == 3


def test_client_version_not_supported(make_server):
    s = make_server(machines=500)
    old = next(i for i, m in enumerate(s.sim.state.machines) if m.agent_too_old)
    assert_error(
        s.post_lr(old, {"type": "RunScript", "params": [{"key": "ScriptName", "value": "ps_list.sh"}]}),
        400,
        "ClientVersionNotSupported",
    )
