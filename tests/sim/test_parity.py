"""The same sequence in-process (httpx.ASGITransport) and over a loopback socket gives the same results."""

from __future__ import annotations

import gzip
import json
from urllib.parse import urlsplit

import httpx

from lrtui.sim import ManualClock, SimConfig, Simulator
from lrtui.sim.testing import running_simulator

from .conftest import AUTH, LINUX, T0, WIN, WIN_HOSTS, getfile, putfile, run


async def _sequence(client: httpx.AsyncClient, blob: httpx.AsyncClient, clock: ManualClock, sim: Simulator) -> list:
    out: list = []

    def norm(x):
        s = json.dumps(x, sort_keys=True)
        return json.loads(s.replace(str(client.base_url).rstrip("/"), "BASE"))

    r = await client.get("/api/machines", params={"$filter": "osPlatform eq 'Linux'", "$select": "id,computerDnsName"})
    out.append((r.status_code, norm(r.json())))
    win, lin = sim.state.machines[WIN].id, sim.state.machines[LINUX].id
    r = await client.post(
        f"/api/machines/{win}/runliveresponse",
        json={"Comment": "parity", "Commands": [putfile("rules.yar"), run("Get-Autoruns.ps1"), getfile(WIN_HOSTS)]},
    )
    out.append((r.status_code, norm(r.json())))
    aid = r.json()["id"]
    r = await client.post(
        f"/api/machines/{lin}/runliveresponse", json={"Comment": "parity", "Commands": [getfile("/nope/x")]}
    )
    out.append((r.status_code, norm(r.json())))
    bid = r.json()["id"]
    r = await client.post(
        f"/api/machines/{win}/runliveresponse", json={"Comment": "again", "Commands": [run("Get-Processes.ps1")]}
    )
    out.append((r.status_code, r.json()["error"]["code"]))
    for _ in range(40):
        clock.advance(5)
        a = (await client.get(f"/api/machineactions/{aid}")).json()
        out.append((a["status"], [c["commandStatus"] for c in a["commands"]], a["lastUpdateDateTimeUtc"]))
        if a["status"] == "Succeeded":
            break
    b = (await client.get(f"/api/machineactions/{bid}")).json()
    out.append(norm(b))
    for idx in (0, 1, 2):
        r = await client.get(f"/api/machineactions/{aid}/GetLiveResponseResultDownloadLink(index={idx})")
        if r.status_code != 200:
            out.append((idx, r.status_code, r.json()["error"]["code"]))
            continue
        u = urlsplit(r.json()["value"])
        d = await blob.get(f"{u.path}?{u.query}")
        body = gzip.decompress(d.content) if d.content[:2] == b"\x1f\x8b" else d.content
        out.append((idx, d.status_code, u.path, body.decode("utf-8", "replace")))
    r = await client.get(
        "/api/machineactions",
        params={"$filter": "requestor eq 'lrtui-demo-app'", "$orderby": "creationDateTimeUtc desc"},
    )
    out.append(norm(r.json()))
    return out


def _config() -> tuple[SimConfig, ManualClock]:
    clock = ManualClock(T0)
    return SimConfig(seed=11, machines=30, clock=clock, seeded_action_ids=True), clock  # the two must agree on ids


async def test_in_process_and_socket_agree():
    cfg, clock = _config()
    sim = Simulator(cfg)
    async with (
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=sim.api_app), base_url="http://sim.localhost", headers=AUTH
        ) as c,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.blob_app), base_url="http://blob.localhost") as b,
    ):
        local = await _sequence(c, b, clock, sim)
    cfg2, clock2 = _config()
    with running_simulator(cfg2) as (api, blob_url, sim2):
        async with httpx.AsyncClient(base_url=api, headers=AUTH) as c, httpx.AsyncClient(base_url=blob_url) as b:
            remote = await _sequence(c, b, clock2, sim2)
    assert local == remote
    assert local[1][0] == 201 and local[3] == (400, "ActiveRequestAlreadyExists")
    assert any(isinstance(x, tuple) and x[0] == "Succeeded" for x in local)
