"""The tenant's live response actions: creating them, the ones still running, and moving them on in time."""

from __future__ import annotations

import random
import secrets
from typing import Any

from lrtui.api.enums import ActionStatus

from .clock import SimClock
from .config import SimConfig
from .ids import random_guid
from .lifecycle import ActionEnv, SimAction, SimCommand
from .state import TenantState
from .tenant import MachineRec

__all__ = ["ActionBook"]


class ActionBook:
    """Creates actions and keeps the active ones, which hold a session slot and are advanced on every request.

    One seeded generator draws, per action, the pick-up delay and a seed key, in that order: the key seeds what the
    action's scripts print, so a seed gives the same tenant, timings and outputs. The id the service hands out is
    the key only with ``seeded_action_ids``; otherwise it comes from this instance's own random source, so two
    demo sessions never share an action id (and never overwrite each other's evidence)."""

    def __init__(self, config: SimConfig, clock: SimClock, state: TenantState) -> None:
        self._config = config
        self._clock = clock
        self._state = state
        self._rng = random.Random(config.seed * 1_000_003 + 5)  # seed keys and pick-up delays
        self._fresh = None if config.seeded_action_ids else random.Random(secrets.randbits(128))
        self._active: dict[str, SimAction] = {}
        self.env = ActionEnv(config, clock, state.library, self._finished)

    def new_ids(self) -> tuple[str, str]:
        """(the action's id, its seed key)."""
        key = random_guid(self._rng)
        return (key if self._fresh is None else random_guid(self._fresh)), key

    def create(
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
        lo, hi = self._config.pickup_delay_s
        delay = self._clock.scaled(lo + self._rng.random() * (hi - lo))
        action_id, key = self.new_ids()
        a = SimAction(
            self.env,
            action_id,
            m,
            comment,
            cmds,
            now,
            requestor=requestor or self._config.app_name,
            pickup_delay=delay,
            seed_key=key,
        )
        self._state.actions[a.id] = a
        self._active[a.id] = a
        self._state.active_by_machine[m.id] = a
        return a

    def _finished(self, a: SimAction) -> None:
        self._active.pop(a.id, None)
        if self._state.active_by_machine.get(a.machine.id) is a:
            del self._state.active_by_machine[a.machine.id]

    def active_sessions(self) -> int:
        if self._config.sessions_count_pending:
            return len(self._active)
        return sum(1 for a in self._active.values() if a.status == ActionStatus.IN_PROGRESS)

    def advance(self, now: float) -> None:
        for a in list(self._active.values()):
            a.advance(now)
