"""One simulator per test module, served by uvicorn on 127.0.0.1 and called with plain httpx, the way public
clients of the MDE API call the real service (only the base URL and the token differ)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import httpx
import pytest

from lrtui.sim.clock import ManualClock
from lrtui.sim.config import SimConfig
from lrtui.sim.simulator import Simulator
from lrtui.sim.testing import running_simulator

T0 = 1_780_000_000.0  # 2026-05-28T20:26:40Z
AUTH = {"Authorization": "Bearer demo-token"}
FRESH_404_S = 20.0  # a new action answers 404 ResourceNotFound for this long (the practitioners' fresh 404)
TERMINAL = ("Succeeded", "Failed", "TimeOut", "Cancelled")


@dataclasses.dataclass
class Service:
    api: str
    sim: Simulator
    client: httpx.Client
    clock: ManualClock

    def tick(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def free_machine(self, family: str = "windows") -> str:
        """A machine that can run live response now and has no action running (each test takes its own)."""
        st = self.sim.state
        for m in st.machines:
            w = m.wire
            if (
                m.family == family
                and m.supported
                and not m.agent_too_old
                and m.online_at <= self.sim.now()
                and w["healthStatus"] == "Active"
                and self.sim.group_of(m).remediation_level
                and m.id not in st.active_by_machine
                and m.id not in st.portal_sessions
            ):
                return m.id
        raise AssertionError(f"no free {family} machine left in the compat tenant")

    def lr_body(self, script: str = "Get-Processes.ps1", comment: str | None = "compat") -> dict:
        body: dict = {"Commands": [{"type": "RunScript", "params": [{"key": "ScriptName", "value": script}]}]}
        if comment is not None:
            body["Comment"] = comment
        return body

    def wait_visible(self, aid: str, *, step: float = 5.0, limit: float = 120.0) -> httpx.Response:
        """A connector's wait after the POST: while GET answers 404 *ResourceNotFound*, wait and ask again."""
        waited = 0.0
        while True:
            r = self.client.get(f"/api/machineactions/{aid}")
            if r.status_code != 404 or r.json()["error"]["code"] != "ResourceNotFound" or waited >= limit:
                return r
            self.tick(step)
            waited += step

    def run_until_final(self, aid: str, step: float = 10.0) -> dict:
        for _ in range(10_000):
            a = self.wait_visible(aid).json()
            if a["status"] in TERMINAL:
                return a
            self.tick(step)
        raise AssertionError(aid)


@pytest.fixture(scope="module")
def service() -> Iterator[Service]:
    """A tenant with roomy budgets (the module shares it), the fresh-404 quirk on, and a frozen clock."""
    clock = ManualClock(T0)
    cfg = SimConfig(
        machines=120,
        clock=clock,
        quirk_fresh_404_s=FRESH_404_S,
        rate_calls=10**6,
        max_sessions=10**6,
        general_per_minute=10**6,
        general_per_hour=10**6,
    )
    with running_simulator(cfg) as (api, _blob, sim), httpx.Client(base_url=api, headers=AUTH, timeout=20) as client:
        yield Service(api, sim, client, clock)
