"""Fixtures for the simulator conformance suite: real loopback servers, plain httpx clients."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from lrtui.sim.clock import ManualClock
from lrtui.sim.config import SimConfig
from lrtui.sim.simulator import Simulator
from lrtui.sim.testing import running_simulator

T0 = 1_780_000_000.0  # 2026-05-28T20:26:40Z
AUTH = {"Authorization": "Bearer demo-token"}
WIN_HOSTS = "C:\\Windows\\System32\\drivers\\etc\\hosts"

# the first demo machines are fixed (see lrtui.sim.tenant.catalogue.fixed_profiles)
WIN, LINUX, MAC, LATER, KIOSK, WIN7, DC, OFFLINE = range(8)


@dataclasses.dataclass
class Server:
    api: str
    blob: str
    sim: Simulator
    client: httpx.Client
    clock: ManualClock | None

    def mid(self, i: int) -> str:
        return self.sim.state.machines[i].id

    def tick(self, seconds: float) -> None:
        assert self.clock is not None
        self.clock.advance(seconds)

    def post_lr(self, machine: int | str, *commands: dict, comment: str = "conformance") -> httpx.Response:
        mid = self.mid(machine) if isinstance(machine, int) else machine
        return self.client.post(
            f"/api/machines/{mid}/runliveresponse", json={"Comment": comment, "Commands": list(commands)}
        )

    def action(self, aid: str) -> dict:
        r = self.client.get(f"/api/machineactions/{aid}")
        assert r.status_code == 200, r.text
        return r.json()

    def run_until_final(self, aid: str, step: float = 5.0, limit: float = 5 * 86400) -> dict:
        waited = 0.0
        while True:
            a = self.action(aid)
            if a["status"] in ("Succeeded", "Failed", "TimeOut", "Cancelled"):
                return a
            assert waited < limit, a
            self.tick(step)
            waited += step

    def link(self, aid: str, index: int) -> httpx.Response:
        return self.client.get(f"/api/machineactions/{aid}/GetLiveResponseResultDownloadLink(index={index})")


def run(script: str, args: str | None = None) -> dict:
    params = [{"key": "ScriptName", "value": script}]
    if args is not None:
        params.append({"key": "Args", "value": args})
    return {"type": "RunScript", "params": params}


def getfile(path: str) -> dict:
    return {"type": "GetFile", "params": [{"key": "Path", "value": path}]}


def putfile(name: str) -> dict:
    return {"type": "PutFile", "params": [{"key": "FileName", "value": name}]}


def assert_error(r: httpx.Response, status: int, code: str, contains: str | None = None) -> dict:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json"), r.headers
    err = r.json()["error"]
    assert err["code"] == code, err
    assert isinstance(err["target"], str) and err["target"]
    if contains is not None:
        assert contains.lower() in err["message"].lower(), err["message"]
    return err


@pytest.fixture
def make_server() -> Iterator[Callable[..., Server]]:
    """``make_server(manual=True, **SimConfig fields)`` -> a running :class:`Server` (stopped at teardown)."""
    with ExitStack() as stack:

        def factory(manual: bool = True, **kw: Any) -> Server:
            clock = ManualClock(T0) if manual else None
            kw.setdefault("machines", 40)
            if manual:
                kw.setdefault("clock", clock)
            cfg = SimConfig(**kw)
            api, blob, sim = stack.enter_context(running_simulator(cfg))
            client = stack.enter_context(httpx.Client(base_url=api, headers=AUTH, timeout=20, verify=False))
            return Server(api, blob, sim, client, clock)

        yield factory


@pytest.fixture
def srv(make_server) -> Server:
    return make_server()
