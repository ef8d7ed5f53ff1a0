"""The live-response action state machine, computed from the clock.

``advance(now)`` replays everything that happened between the last call and ``now``: the device picks
the action up (online devices after a short scaled delay; offline ones when they come online, or never
and the action times out after the queue TTL), then runs commands one at a time. Every event carries
its own timestamp, so results do not depend on how often ``advance`` is called.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lrtui.api.enums import ActionStatus, CommandStatus, CommandType

from .clock import SimClock, iso7
from .config import SimConfig
from .library import (
    DOWNLOADS_DIR_POSIX,
    DOWNLOADS_DIR_WIN,
    FileRecipe,
    LibraryItem,
    ScriptPlan,
    plan_script,
    resolve_file,
)
from .tenant import NEVER, MachineRec

__all__ = ["HRESULT_FILE_NOT_FOUND", "HRESULT_TIMEOUT", "ActionEnv", "SimAction", "SimCommand"]

HRESULT_FILE_NOT_FOUND = -2147024894  # 0x80070002
HRESULT_TIMEOUT = -2147023436  # 0x800705B4
HRESULT_FAIL = -2147467259  # 0x80004005
COMMAND_GAP_S = 0.5  # service seconds between two commands
PUTFILE_S = 2.0
GETFILE_BASE_S = 2.0
GETFILE_BYTES_PER_S = 40 * 1024 * 1024


@dataclass
class SimCommand:
    index: int
    type: str
    params: list[dict[str, str]]
    status: str = CommandStatus.CREATED
    start: float | None = None
    end: float | None = None
    errors: list[str] = field(default_factory=list)
    plan: ScriptPlan | None = None
    recipe: FileRecipe | None = None
    duration: float = 0.0  # simulator seconds, known once started
    failure: str | None = None
    timeout: bool = False

    def param(self, key: str) -> str | None:
        for p in self.params:
            if p.get("key") == key:
                return p.get("value")
        return None

    def to_wire(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "startTime": iso7(self.start),
            "endTime": iso7(self.end),
            "commandStatus": str(self.status),
            "errors": list(self.errors),
            "command": {"type": self.type, "params": [dict(p) for p in self.params]},
        }


@dataclass(frozen=True)
class ActionEnv:
    """What an action reads from its tenant (settings, clock, library), and whom it tells when it ends."""

    config: SimConfig
    clock: SimClock
    library: dict[str, LibraryItem]
    on_final: Callable[[SimAction], None]


class SimAction:
    def __init__(
        self,
        env: ActionEnv,
        action_id: str,
        machine: MachineRec,
        comment: str | None,
        commands: list[SimCommand],
        created: float,
        *,
        requestor: str,
        type: str = "LiveResponse",
        request_source: str = "PublicApi",
        pickup_delay: float = 0.0,
        external_id: str | None = None,
        seed_key: str | None = None,
    ) -> None:
        self.env = env
        self.id = action_id
        self.seed_key = seed_key or action_id  # seeds what the scripts print (the id may be fresh per instance)
        self.machine = machine
        self.comment = comment
        self.commands = commands
        self.created = created
        self.last_update = created
        self.requestor = requestor
        self.type = type
        self.request_source = request_source
        self.status: str = ActionStatus.PENDING
        self.pickup_delay = pickup_delay
        self.picked_up: float | None = None
        self.cursor = 0
        self.cursor_time = created
        self.cancellation_requestor: str | None = None
        self.cancellation_comment: str | None = None
        self.cancellation_time: float | None = None
        self.error_hresult = 0
        self.external_id = external_id
        self.title: str | None = None
        self.scope: str | None = None
        self.history: list[tuple[float, str]] = [(created, ActionStatus.PENDING)]

    # ------------------------------------------------------------ state

    @property
    def is_final(self) -> bool:
        return self.status in (
            ActionStatus.SUCCEEDED,
            ActionStatus.FAILED,
            ActionStatus.TIMEOUT,
            ActionStatus.CANCELLED,
        )

    @property
    def is_active(self) -> bool:
        return not self.is_final

    def _set_status(self, status: str, t: float) -> None:
        self.status = status
        self.last_update = max(self.last_update, t)
        self.history.append((t, status))
        if self.is_final:
            self.env.on_final(self)

    def pickup_time(self) -> float:
        m = self.machine
        if m.online_at == NEVER:
            return NEVER
        return max(self.created, m.online_at) + self.pickup_delay * m.pickup_factor

    def next_event_time(self) -> float:
        """When something will change next (NEVER if nothing will)."""
        if self.is_final:
            return NEVER
        if self.status == ActionStatus.PENDING:
            return min(self.pickup_time(), self.created + self.env.clock.scaled(self.env.config.queue_ttl_s))
        if self.cursor < len(self.commands):
            c = self.commands[self.cursor]
            if c.start is None:
                return self.cursor_time
            limit = self._timeout_at(c)
            return min(c.start + c.duration, limit)
        return self.cursor_time

    def _timeout_at(self, c: SimCommand) -> float:
        if c.type == CommandType.RUN_SCRIPT:
            assert c.start is not None
            return c.start + self.env.clock.scaled(self.env.config.script_timeout_s)
        return NEVER

    def advance(self, now: float) -> None:
        scaled = self.env.clock.scaled
        for _ in range(10_000):
            if self.is_final:
                return
            if self.status == ActionStatus.PENDING:
                t_pick = self.pickup_time()
                deadline = self.created + scaled(self.env.config.queue_ttl_s)
                if t_pick > deadline:
                    if deadline <= now:
                        self.error_hresult = HRESULT_TIMEOUT
                        self._set_status(ActionStatus.TIMEOUT, deadline)
                    return
                if t_pick > now:
                    return
                self.picked_up = t_pick
                self.cursor_time = t_pick
                self._set_status(ActionStatus.IN_PROGRESS, t_pick)
                continue
            # InProgress
            if self.cursor >= len(self.commands):
                self._set_status(ActionStatus.SUCCEEDED, self.cursor_time)
                return
            c = self.commands[self.cursor]
            if c.start is None:
                if self.cursor_time > now:
                    return
                self._start(c, self.cursor_time)
            limit = self._timeout_at(c)
            assert c.start is not None  # set by _start
            end = c.start + c.duration
            if limit < end:
                if limit > now:
                    return
                c.status = CommandStatus.FAILED
                c.end = limit
                c.timeout = True
                c.errors = [f"Script execution timed out after {self.env.config.script_timeout_s / 60:g} minutes"]
                self.error_hresult = HRESULT_TIMEOUT
                self._set_status(ActionStatus.TIMEOUT, limit)
                return
            if end > now:
                return
            c.end = end
            if c.failure:
                c.status = CommandStatus.FAILED
                c.errors = [c.failure]
                self.error_hresult = HRESULT_FILE_NOT_FOUND if c.type == CommandType.GET_FILE else HRESULT_FAIL
                self._set_status(ActionStatus.FAILED, end)
                return
            c.status = CommandStatus.COMPLETED
            self.last_update = max(self.last_update, end)
            self._apply_effects(c)
            self.cursor += 1
            self.cursor_time = end + scaled(COMMAND_GAP_S)
            if self.cursor >= len(self.commands):
                self._set_status(ActionStatus.SUCCEEDED, end)
                return

    def _start(self, c: SimCommand, t: float) -> None:
        env = self.env
        scaled = env.clock.scaled
        c.start = t
        self.last_update = max(self.last_update, t)
        m = self.machine
        if c.type == CommandType.PUT_FILE:
            name = c.param("FileName") or ""
            item = env.library.get(name)
            c.duration = scaled(PUTFILE_S)
            if item is None:
                c.failure = f"The file '{name}' was not found in the library"
        elif c.type == CommandType.RUN_SCRIPT:
            name = c.param("ScriptName") or ""
            item = env.library.get(name)
            if item is None:
                c.duration = scaled(1.0)
                c.failure = f"The script '{name}' was not found in the library"
            else:
                when = iso7(t)[:19].replace("-", "").replace("T", "").replace(":", "")
                c.plan = plan_script(item, m, c.param("Args"), f"{env.config.seed}|{self.seed_key}|{c.index}", when)
                c.duration = scaled(min(c.plan.duration_s, 10**8))
                if c.plan.hang:
                    c.duration = NEVER
                c.failure = c.plan.fail
        elif c.type == CommandType.GET_FILE:
            path = c.param("Path") or ""
            r = resolve_file(m, path)
            if isinstance(r, str):
                c.duration = scaled(GETFILE_BASE_S)
                c.failure = r
            else:
                c.recipe = r
                c.duration = scaled(GETFILE_BASE_S + r.size / GETFILE_BYTES_PER_S)
        else:  # validated at POST; defensive
            c.duration = scaled(1.0)
            c.failure = f"Unknown command type {c.type}"

    def _apply_effects(self, c: SimCommand) -> None:
        m = self.machine
        if c.type == CommandType.RUN_SCRIPT and c.plan:
            m.created_files.update(c.plan.creates)
        elif c.type == CommandType.PUT_FILE:
            name = c.param("FileName") or ""
            item = self.env.library.get(name)
            if item is not None:
                base = DOWNLOADS_DIR_WIN if m.family == "windows" else DOWNLOADS_DIR_POSIX
                m.created_files[base + name] = ("libfile", item.content)

    def cancel(self, now: float, requestor: str, comment: str | None) -> None:
        self.cancellation_requestor = requestor
        self.cancellation_comment = comment
        self.cancellation_time = now
        status = ActionStatus.FAILED if self.env.config.quirk_cancel_reads_failed else ActionStatus.CANCELLED
        self._set_status(status, now)

    # ------------------------------------------------------------ wire

    def to_wire(self, *, empty_commands: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "title": self.title,
            "scope": self.scope,
            "requestor": self.requestor,
            "requestorComment": self.comment,
            "requestSource": self.request_source,
            "externalId": self.external_id,
            "status": str(self.status),
            "machineId": self.machine.id,
            "computerDnsName": self.machine.name,
            "creationDateTimeUtc": iso7(self.created),
            "lastUpdateDateTimeUtc": iso7(self.last_update),
            "cancellationRequestor": self.cancellation_requestor,
            "cancellationComment": self.cancellation_comment,
            "cancellationDateTimeUtc": iso7(self.cancellation_time),
            "errorHResult": self.error_hresult,
            "relatedFileInfo": None,
            "troubleshootInfo": None,
        }
        if self.type == "LiveResponse":
            d["commands"] = [] if empty_commands else [c.to_wire() for c in self.commands]
        else:
            d["commands"] = []
        return d
