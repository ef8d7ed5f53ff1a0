"""General call budget, request statistics, and fault injection."""

from __future__ import annotations

import time

import httpx
import pytest

from lrtui.sim.config import FaultSpec, parse_faults

from .conftest import AUTH, WIN, assert_error, run


def test_general_budget_per_endpoint(make_server):
    """Each API has its own 100/min (here 5) and 1500/h: a spent library budget leaves machines and actions free."""
    s = make_server(general_per_minute=5, general_per_hour=1000)
    for _ in range(5):
        s.tick(2)
        assert s.client.get("/api/libraryfiles").status_code == 200
    r = s.client.get("/api/libraryfiles")
    err = assert_error(r, 429, "TooManyRequests", "You can send requests again in 52 seconds")
    assert "Destination+TenantID+AppID" in err["message"] and r.headers["retry-after"] == "52"
    mid = s.mid(WIN)
    # every machine lookup shares the machines budget (as lrtui.api.endpoints groups them)
    for path in ("/api/machines", "/api/machines/$count", f"/api/machines/{mid}", "/api/machines", "/api/machines"):
        assert s.client.get(path).status_code == 200, path
    assert_error(s.client.get(f"/api/machines/{mid}"), 429, "TooManyRequests")
    for _ in range(5):
        assert s.client.get("/api/machineactions").status_code == 200
    assert s.client.get("/api/machineactions").status_code == 429
    aid = next(iter(s.sim.state.actions))
    for _ in range(5):
        assert s.client.get(f"/api/machineactions/{aid}").status_code == 200
    assert s.client.get(f"/api/machineactions/{aid}").status_code == 429
    assert s.sim.state.throttled_by_reason["general_minute"] == 4


def test_general_budget_shared(make_server):
    s = make_server(general_per_minute=5, general_per_hour=1000, general_per_endpoint=False)
    for _ in range(5):
        s.tick(2)
        assert s.client.get("/api/libraryfiles").status_code == 200
    r = s.client.get("/api/machines")
    assert_error(r, 429, "TooManyRequests", "You can send requests again in 52 seconds")
    assert r.headers["retry-after"] == "52"  # oldest call at +2 s, now +10 s
    # the live response endpoint has its own budget
    assert s.post_lr(WIN, run("Get-Processes.ps1")).status_code == 201
    s.tick(52)
    assert s.client.get("/api/machines").status_code == 200
    assert s.sim.state.throttled_count == 1 and s.sim.state.throttled_by_reason["general_minute"] == 1


def test_general_budget_per_hour(make_server):
    s = make_server(general_per_minute=100, general_per_hour=8)
    for _ in range(8):
        s.tick(20)
        assert s.client.get("/api/libraryfiles").status_code == 200
    r = s.client.get("/api/libraryfiles")
    assert r.status_code == 429 and 3000 < int(r.headers["retry-after"]) <= 3600
    assert s.sim.state.throttled_by_reason["general_hour"] == 1


def test_default_budget_is_100_per_minute(srv):
    codes = [srv.client.get("/api/libraryfiles").status_code for _ in range(101)]
    assert codes[:100] == [200] * 100 and codes[100] == 429


def test_state_statistics(srv):
    srv.client.get("/api/machines")
    srv.client.get("/api/machines")
    srv.post_lr(WIN, run("Get-Processes.ps1"))
    st = srv.sim.state
    minute = int(srv.sim.now() // 60)
    assert st.calls_in_minute("machines", minute) == 2
    assert st.calls_in_minute("runliveresponse", minute) == 1
    assert st.lr_post_count == 1 and st.lr_created_count == 1
    assert st.status_counts[200] == 2 and st.status_counts[201] == 1


def test_parse_faults():
    f = parse_faults("5xx=0.1,drop=0.05,latency=200ms,429=0.05")
    assert f == FaultSpec(error_5xx=0.1, drop=0.05, throttle_429=0.05, latency_s=(0.2, 0.2))
    assert parse_faults("latency=100-300ms").latency_s == pytest.approx((0.1, 0.3))
    assert parse_faults("latency=1.5s,5xx=10%").error_5xx == pytest.approx(0.1)
    assert parse_faults("") is None and parse_faults(None) is None
    for bad in ["5xx=2", "nope=1", "drop", "latency=fast", "429=x"]:
        with pytest.raises(ValueError):
            parse_faults(bad)
    assert str(parse_faults("5xx=0.1,latency=200ms")) == "5xx=0.1,latency=200ms"


def test_faults_5xx_and_429(make_server):
    s = make_server(faults="5xx=1")
    r = s.client.get("/api/machines")
    assert r.status_code in (500, 502, 503) and r.json()["error"]["code"] in (
        "InternalServerError",
        "BadGateway",
        "ServiceUnavailable",
    )
    s = make_server(faults="429=1")
    r = s.client.get("/api/machines")
    assert_error(r, 429, "TooManyRequests")
    assert int(r.headers["retry-after"]) >= 1 and s.sim.state.throttled_by_reason["injected"] == 1


def test_fault_drop_over_socket(make_server):
    s = make_server(faults="drop=1,after=0")
    with pytest.raises(httpx.RemoteProtocolError):
        s.client.get("/api/machines")
    assert s.sim.state.faults_injected["drop_before"] == 1


def test_fault_after_processing_creates_action(make_server):
    s = make_server(faults="5xx=1,after=1")
    r = s.post_lr(WIN, run("Get-Processes.ps1"), comment="marker-123")
    assert r.status_code >= 500
    assert [a.comment for a in s.sim.state.actions.values() if a.requestor == s.sim.config.app_name] == ["marker-123"]


def test_fault_latency(make_server):
    s = make_server(faults="latency=80ms")
    t = time.perf_counter()
    assert s.client.get("/api/libraryfiles").status_code == 200
    assert time.perf_counter() - t >= 0.08


def test_faults_seeded(make_server):
    def codes(seed):
        s = make_server(seed=seed, faults="5xx=0.3,429=0.2")
        return [s.client.get("/api/libraryfiles").status_code for _ in range(25)]

    a, b = codes(3), codes(3)
    assert a == b and len(set(a)) > 1


async def test_fault_drop_in_process():
    from lrtui.sim import SimConfig, Simulator

    sim = Simulator(SimConfig(machines=10, faults="drop=1"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.api_app), base_url="http://sim.localhost", headers=AUTH
    ) as c:
        with pytest.raises(httpx.TransportError):
            await c.get("/api/machines")


@pytest.mark.parametrize("style", ["http-date", "missing"])
def test_retry_after_styles(make_server, style):
    import email.utils

    s = make_server(general_per_minute=1, retry_after_style=style)
    assert s.client.get("/api/libraryfiles").status_code == 200
    r = s.client.get("/api/libraryfiles")
    assert_error(r, 429, "TooManyRequests", "You can send requests again in 60 seconds")
    if style == "missing":
        assert "retry-after" not in r.headers
    else:
        when = email.utils.parsedate_to_datetime(r.headers["retry-after"]).timestamp()
        assert when == pytest.approx(s.sim.now() + 60, abs=1)
