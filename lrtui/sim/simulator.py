"""The :class:`Simulator`: one tenant's state plus the two ASGI apps (API and blob origin)."""

from __future__ import annotations

import hashlib
import heapq
import hmac
import logging
import random
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from lrtui.api.models import ActionStatus

from .budgets import RollingWindow
from .clock import SimClock, iso7
from .config import SimConfig
from .library import LibraryItem, demo_library
from .lifecycle import SimAction, SimCommand
from .tenant import GROUPS, NEVER, MachineRec, generate_machines

__all__ = ["Simulator", "TenantState", "make_demo_simulator"]

log = logging.getLogger("lrtui.sim")


@dataclass
class TenantState:
    """Everything the simulator knows. Tests and benches read it; only the simulator writes it."""

    machines: list[MachineRec]
    by_id: dict[str, MachineRec]
    by_name: dict[str, MachineRec]
    library: dict[str, LibraryItem]
    actions: dict[str, SimAction] = field(default_factory=dict)  # id -> action, in creation order
    active_by_machine: dict[str, SimAction] = field(default_factory=dict)
    portal_sessions: set[str] = field(default_factory=set)  # machine ids blocked by a hidden portal session
    lr_post_count: int = 0  # authenticated POST runliveresponse calls (throttled ones included)
    lr_created_count: int = 0  # actions created by POST
    throttled_count: int = 0  # 429s issued (budget and injected)
    throttled_by_reason: Counter = field(default_factory=Counter)
    auth_leaks: int = 0  # blob requests that carried an Authorization header (client bug)
    auth_leak_paths: list[str] = field(default_factory=list)
    requests_total: int = 0
    status_counts: Counter = field(default_factory=Counter)
    calls_per_minute: dict[str, Counter] = field(
        default_factory=lambda: defaultdict(Counter)
    )  # endpoint -> {minute: n}
    faults_injected: Counter = field(default_factory=Counter)
    blob_downloads: int = 0
    blob_bytes: int = 0
    blob_refused: int = 0
    tokens_seen: dict[str, float] = field(default_factory=dict)  # token -> first seen (epoch)
    blobs: dict[str, tuple[str, int]] = field(default_factory=dict)  # blob name -> (action id, index)

    def machine(self, id_or_name: str) -> MachineRec | None:
        return self.by_id.get(id_or_name.lower()) or self.by_name.get(id_or_name.lower())

    def calls_in_minute(self, endpoint: str, minute: int) -> int:
        return self.calls_per_minute.get(endpoint, Counter()).get(minute, 0)


class Simulator:
    """A simulated MDE tenant. ``api_app`` serves ``/api/...``; ``blob_app`` serves signed result links.

    Thread-safe: requests and :meth:`advance` hold ``self.lock``."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config = config or SimConfig()
        self.clock = SimClock(config.clock, config.time_scale)
        self.start_time = config.start_time if config.start_time is not None else self.clock.now()
        self.lock = threading.RLock()
        self.blob_base_url = config.blob_base_url.rstrip("/")
        self.blob_port_for_request_host: int | None = None  # set by the server when it listens on 0.0.0.0 / ::
        self._rng = random.Random(config.seed * 1_000_003 + 5)  # action ids and pick-up delays
        self._req_rng = random.Random(config.seed * 1_000_033 + 9)  # request ids (error targets, headers)
        self._blob_key = hashlib.sha256(f"lrtui-sim-blob-key:{config.seed}".encode()).digest()
        machines = generate_machines(config.seed, config.machines, self.start_time, config.time_scale)
        self.state = TenantState(
            machines=machines,
            by_id={m.id: m for m in machines},
            by_name={m.name.lower(): m for m in machines},
            library=demo_library(self.start_time),
        )
        for ref in config.quirk_portal_session:
            m = self.state.machine(ref)
            if m is None:
                raise ValueError(f"quirk_portal_session: no machine {ref!r} in the demo tenant")
            self.state.portal_sessions.add(m.id)
        # machines that come online later, as a heap of (online_at, index)
        self._online_heap = [(m.online_at, m.index) for m in machines if self.start_time < m.online_at < NEVER]
        heapq.heapify(self._online_heap)
        self._active: dict[str, SimAction] = {}
        self.lr_window = RollingWindow(config.rate_calls, self._rate_window(config.rate_window_s))
        self.general_minute: dict[str, RollingWindow] = {}
        self.general_hour: dict[str, RollingWindow] = {}
        self._seed_history()
        from .api import build_api_app
        from .blob import build_blob_app
        from .faults import FaultMiddleware

        api = build_api_app(self)
        blob = build_blob_app(self)
        if config.faults is not None and config.faults.any:  # type: ignore[union-attr]
            api = FaultMiddleware(api, self, config.faults, origin="api")  # type: ignore[arg-type]
            if config.faults.blob:  # type: ignore[union-attr]
                blob = FaultMiddleware(blob, self, config.faults, origin="blob")  # type: ignore[arg-type]
        self.api_app = api
        self.blob_app = blob

    # ------------------------------------------------------------ time

    def _rate_window(self, seconds: float) -> float:
        return self.clock.scaled(seconds) if self.config.scale_rate_window else seconds

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
            for a in list(self._active.values()):
                a.advance(now)
            return now

    def _action_finished(self, a: SimAction) -> None:
        self._active.pop(a.id, None)
        if self.state.active_by_machine.get(a.machine.id) is a:
            del self.state.active_by_machine[a.machine.id]

    # ------------------------------------------------------------ helpers used by the apps

    def new_guid(self) -> str:
        h = "%032x" % self._rng.getrandbits(128)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"

    def request_id(self) -> str:
        return f"|{self._req_rng.getrandbits(32):08x}-{self._req_rng.getrandbits(64):016x}."

    def general_windows(self, key: str) -> tuple[RollingWindow, RollingWindow]:
        k = key if self.config.general_per_endpoint else "*"
        if k not in self.general_minute:
            self.general_minute[k] = RollingWindow(self.config.general_per_minute, self._rate_window(60.0))
            self.general_hour[k] = RollingWindow(self.config.general_per_hour, self._rate_window(3600.0))
        return self.general_minute[k], self.general_hour[k]

    def active_sessions(self) -> int:
        if self.config.sessions_count_pending:
            return len(self._active)
        return sum(1 for a in self._active.values() if a.status == ActionStatus.IN_PROGRESS)

    def blob_name(self, action_id: str, index: int) -> str:
        name = hmac.new(self._blob_key, f"{action_id}:{index}".encode(), hashlib.sha256).hexdigest()
        self.state.blobs[name] = (action_id, index)
        return name

    def sign(self, path: str, expiry: str) -> str:
        import base64

        mac = hmac.new(self._blob_key, f"r\n{expiry}\n{path}".encode(), hashlib.sha256).digest()
        return base64.b64encode(mac).decode()

    def create_action(
        self,
        m: MachineRec,
        comment: str | None,
        commands: list[dict[str, Any]],
        now: float,
        *,
        requestor: str | None = None,
    ) -> SimAction:
        cmds = [
            SimCommand(i, c["type"], [{"key": p["key"], "value": p["value"]} for p in c["params"]])
            for i, c in enumerate(commands)
        ]
        lo, hi = self.config.pickup_delay_s
        delay = self.clock.scaled(lo + self._rng.random() * (hi - lo))
        a = SimAction(
            self,
            self.new_guid(),
            m,
            comment,
            cmds,
            now,
            requestor=requestor or self.config.app_name,
            pickup_delay=delay,
        )
        self.state.actions[a.id] = a
        self._active[a.id] = a
        self.state.active_by_machine[m.id] = a
        return a

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

    def group_of(self, m: MachineRec):
        return GROUPS.get(m.wire.get("rbacGroupId") or 0, GROUPS[0])

    # ------------------------------------------------------------ demo history

    def _seed_history(self) -> None:
        """A few finished actions in the past so the action list is not empty in the demo."""
        machines = [
            m
            for m in self.state.machines[8:]
            if m.online_at < self.start_time
            and m.supported
            and self.group_of(m).remediation_level
            and not m.agent_too_old
        ]
        if not machines:
            return
        rng = random.Random(self.config.seed * 31 + 7)
        recipes = [
            [{"type": "RunScript", "params": [{"key": "ScriptName", "value": "Get-Processes.ps1"}]}],
            [{"type": "GetFile", "params": [{"key": "Path", "value": "C:\\Windows\\System32\\drivers\\etc\\hosts"}]}],
            [{"type": "RunScript", "params": [{"key": "ScriptName", "value": "Get-Autoruns.ps1"}]}],
            [{"type": "GetFile", "params": [{"key": "Path", "value": "C:\\missing\\evidence.txt"}]}],
        ]
        posix = [
            [{"type": "RunScript", "params": [{"key": "ScriptName", "value": "ps_list.sh"}]}],
            [{"type": "GetFile", "params": [{"key": "Path", "value": "/etc/passwd"}]}],
        ]
        for k in range(min(12, len(machines))):
            m = machines[rng.randrange(len(machines))]
            if m.id in self.state.active_by_machine:
                continue
            cmds = rng.choice(recipes if m.family == "windows" else posix)
            created = self.start_time - 3600 * (2 + k * 5) - rng.random() * 3000
            a = self.create_action(
                m, f"IR-{2400 + k}: triage by analyst@contoso.example", cmds, created, requestor="soc-automation"
            )
            a.advance(self.start_time)
            if k % 5 == 4 and a.is_active:
                a.cancel(created + 5, "analyst@contoso.example", "wrong host")
            if a.is_active:  # should not happen for online machines; keep the tenant free
                a.cancel(self.start_time - 1, "soc-automation", "cleanup")
        for k, typ in enumerate(["Isolate", "Unisolate", "RunAntiVirusScan", "CollectInvestigationPackage"]):
            m = machines[rng.randrange(len(machines))]
            created = self.start_time - 86400 * (1 + k) - rng.random() * 3600
            a = SimAction(
                self,
                self.new_guid(),
                m,
                f"INC-{880 + k}",
                [],
                created,
                requestor="analyst@contoso.example",
                type=typ,
                request_source="Portal",
            )
            a.scope = {"Isolate": "Full", "RunAntiVirusScan": "Quick"}.get(typ)
            a.status = ActionStatus.SUCCEEDED
            a.last_update = created + 300
            self.state.actions[a.id] = a


def make_demo_simulator(seed: int = 1, machines: int = 500, **kw: Any) -> Simulator:
    """The demo tenant: ``make_demo_simulator(seed=1, machines=500, time_scale=..., ...)``."""
    return Simulator(SimConfig(seed=seed, machines=machines, **kw))
