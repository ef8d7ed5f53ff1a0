"""Budgets per API: every call is keyed to its endpoint, the gate hears the key, every record carries it."""

from __future__ import annotations

import httpx
import pytest

from lrtui.api.endpoints import endpoint_key

from .conftest import AID, MID, action


@pytest.mark.parametrize(
    "method, path, key",
    [
        ("GET", "/api/machines", "machines"),
        ("GET", f"/api/machines/{MID}", "machines"),
        ("GET", "/api/machines/findbyip(ip='10.0.0.1',timestamp=2024-01-01T00:00:00Z)", "machines"),
        ("GET", "/api/machines/findbytag?tag=x", "machines"),
        ("GET", "https://api.security.microsoft.com/API/Machines?$skiptoken=2", "machines"),
        ("POST", f"/api/machines/{MID}/runliveresponse", "runliveresponse"),
        ("GET", "/api/machineactions", "machineactions"),
        ("GET", "/api/machineactions?$filter=status eq 'Pending'", "machineactions"),
        ("GET", f"/api/machineactions/{AID}", "machineaction"),
        ("GET", f"/api/machineactions/{AID}/GetLiveResponseResultDownloadLink(index=0)", "resultlink"),
        ("POST", f"/api/machineactions/{AID}/cancel", "cancel"),
        ("GET", "/api/libraryfiles", "library"),
        ("POST", "/api/libraryfiles", "library"),
        ("DELETE", "/api/libraryfiles/a.ps1", "library"),
        ("GET", "/api/alerts", "other"),
        ("GET", "", "other"),
    ],
)
def test_endpoint_key(method, path, key):
    assert endpoint_key(method, path) == key


async def test_gate_gets_the_key_and_records_carry_it(h):
    def api(req: httpx.Request) -> httpx.Response:
        p = req.url.path
        if p.endswith("runliveresponse"):
            return httpx.Response(201, json=action())
        if "GetLiveResponseResultDownloadLink" in p:
            return httpx.Response(200, json={"value": "https://blob.example/x?sig=s"})
        if p.endswith("/cancel"):
            return httpx.Response(200, json=action(status="Cancelled"))
        if p == "/api/machineactions":
            return httpx.Response(200, json={"value": [action()]})
        if p.startswith("/api/machineactions/"):
            return httpx.Response(200, json=action())
        if p == "/api/libraryfiles":
            return httpx.Response(200, json={"value": []})
        return httpx.Response(200, json={"id": MID})

    c = h.client(api)
    await c.machines.get(MID)
    await c.actions.list()
    await c.actions.get(AID)
    await c.results.get_link(AID, 0)
    await c.library.list()
    await c.actions.cancel(AID, "stop")
    await c.live_response.run(MID, {"Commands": [], "Comment": "c"})
    keys = ["machines", "machineactions", "machineaction", "resultlink", "library", "cancel"]
    assert h.gate_keys == keys  # runliveresponse has its own budget: never general-gated
    assert [r.endpoint for r in h.records] == [*keys, "runliveresponse"]
