"""The :class:`Simulator`: one tenant's state plus the two ASGI apps (API and blob origin).

It is where the parts are made and joined: the state, the clock, the action book, the budgets, the result
links and the request ids, each handed to the route groups and the blob origin that need them."""

from __future__ import annotations

import heapq
import threading
from typing import Any

from .action_book import ActionBook
from .asgi import ASGIApp
from .blob import BlobApp
from .budgets import Budgets, RollingWindow
from .clock import SimClock, iso7
from .config import FaultSpec, SimConfig
from .faults import FaultMiddleware
from .history import seed_history
from .ids import RequestIds
from .library import demo_library
from .links import BlobLinks
from .routes import build_api_app
from .state import TenantState
from .tenant import NEVER, DeviceGroup, MachineRec, generate_machines, group_of, pick_workshop_machine

__all__ = ["Simulator", "make_demo_simulator"]


class Simulator:
    """A simulated MDE tenant. ``api_app`` serves ``/api/...``; ``blob_app`` serves signed result links.

    Thread-safe: requests and :meth:`advance` hold ``self.lock``."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config = config or SimConfig()
        self.clock = SimClock(config.clock, config.time_scale)
        self.start_time = config.start_time if config.start_time is not None else self.clock.now()
        self.lock = threading.RLock()
        self.request_ids = RequestIds(config.seed)
        machines = generate_machines(config.seed, config.machines, self.start_time, config.time_scale)
        self.workshop_machine = pick_workshop_machine(machines)
        if self.workshop_machine is not None and config.workshop_online_after_s is not None:
            self.workshop_machine.online_at = self.start_time + self.clock.scaled(config.workshop_online_after_s)
        self.state = TenantState.of(machines, demo_library(self.start_time))
        self.links = BlobLinks(config, self.clock, self.state.blobs)
        for ref in config.quirk_portal_session:
            m = self.state.machine(ref)
            if m is None:
                raise ValueError(f"quirk_portal_session: no machine {ref!r} in the demo tenant")
            self.state.portal_sessions.add(m.id)
        # machines that come online later, as a heap of (online_at, index)
        self._online_heap = [(m.online_at, m.index) for m in machines if self.start_time < m.online_at < NEVER]
        heapq.heapify(self._online_heap)
        self.book = ActionBook(config, self.clock, self.state)
        self.budgets = Budgets(config, self.clock)
        seed_history(self.state, self.book, config.seed, self.start_time)
        self.api_app, self.blob_app = self._apps()

    def _apps(self) -> tuple[ASGIApp, ASGIApp]:
        c = self.config
        api: ASGIApp = build_api_app(
            config=c,
            state=self.state,
            lock=self.lock,
            clock=self.clock,
            book=self.book,
            budgets=self.budgets,
            links=self.links,
            request_ids=self.request_ids,
            advance=self.advance,
        )
        blob: ASGIApp = BlobApp(self.state, self.lock, self.links, self.clock, self.request_ids)
        spec = c.fault_spec
        if spec is not None and spec.any:
            api = self._with_faults(api, spec, "api")
            if spec.blob:
                blob = self._with_faults(blob, spec, "blob")
        return api, blob

    def _with_faults(self, app: ASGIApp, spec: FaultSpec, origin: str) -> FaultMiddleware:
        return FaultMiddleware(
            app,
            spec,
            seed=self.config.seed,
            origin=origin,
            state=self.state,
            lock=self.lock,
            request_ids=self.request_ids,
        )

    # ------------------------------------------------------------ time

    def now(self) -> float:
        return self.clock.now()

    def advance(self, now: float | None = None) -> float:
        """Bring every machine and action up to ``now`` (default: the clock). Returns ``now``."""
        with self.lock:
            now = self.clock.now() if now is None else float(now)
            heap = self._online_heap
            while heap and heap[0][0] <= now:
                t, idx = heapq.heappop(heap)
                m = self.state.machines[idx]
                m.wire["healthStatus"] = "Active"
                m.wire["lastSeen"] = iso7(t)
            self.book.advance(now)
            return now

    # ------------------------------------------------------------ for tests, benches and the demo

    @property
    def lr_window(self) -> RollingWindow:
        """The live response budget window (``rate_calls`` per ``window_s``)."""
        return self.budgets.lr_window

    @property
    def blob_base_url(self) -> str:
        return self.links.base_url

    def group_of(self, m: MachineRec) -> DeviceGroup:
        return group_of(m)

    def end_portal_session(self, machine: str) -> None:
        """Lift the hidden portal-session block from a machine (id or name)."""
        with self.lock:
            m = self.state.machine(machine)
            if m is not None:
                self.state.portal_sessions.discard(m.id)

    def start_portal_session(self, machine: str) -> None:
        with self.lock:
            m = self.state.machine(machine)
            if m is None:
                raise KeyError(machine)
            self.state.portal_sessions.add(m.id)


def make_demo_simulator(seed: int = 1, machines: int = 500, **kw: Any) -> Simulator:
    """The demo tenant: ``make_demo_simulator(seed=1, machines=500, time_scale=..., ...)``."""
    return Simulator(SimConfig(seed=seed, machines=machines, **kw))
