"""The demo tenant's past: a few finished actions, so the action list is not empty in the demo."""

from __future__ import annotations

import random
from typing import Any

from lrtui.api.enums import ActionStatus

from .action_book import ActionBook
from .lifecycle import SimAction
from .state import TenantState
from .tenant import MachineRec, group_of

__all__ = ["seed_history"]

Commands = list[dict[str, Any]]


def _script(name: str) -> Commands:
    return [{"type": "RunScript", "params": [{"key": "ScriptName", "value": name}]}]


def _get_file(path: str) -> Commands:
    return [{"type": "GetFile", "params": [{"key": "Path", "value": path}]}]


_WINDOWS_RECIPES = [
    _script("Get-Processes.ps1"),
    _get_file("C:\\Windows\\System32\\drivers\\etc\\hosts"),
    _script("Get-Autoruns.ps1"),
    _get_file("C:\\missing\\evidence.txt"),
]
_POSIX_RECIPES = [_script("ps_list.sh"), _get_file("/etc/passwd")]
_PORTAL_ACTIONS = ["Isolate", "Unisolate", "RunAntiVirusScan", "CollectInvestigationPackage"]


def seed_history(state: TenantState, book: ActionBook, seed: int, start: float) -> None:
    """Past live response actions (run to their end) and a few portal actions, drawn from ``seed``."""
    machines = [
        m
        for m in state.machines[8:]
        if m.online_at < start and m.supported and group_of(m).remediation_level and not m.agent_too_old
    ]
    if not machines:
        return
    rng = random.Random(seed * 31 + 7)
    _live_response_history(state, book, rng, machines, start)
    _portal_history(state, book, rng, machines, start)


def _live_response_history(
    state: TenantState, book: ActionBook, rng: random.Random, machines: list[MachineRec], start: float
) -> None:
    for k in range(min(12, len(machines))):
        m = machines[rng.randrange(len(machines))]
        if m.id in state.active_by_machine:
            continue
        cmds = rng.choice(_WINDOWS_RECIPES if m.family == "windows" else _POSIX_RECIPES)
        created = start - 3600 * (2 + k * 5) - rng.random() * 3000
        a = book.create(
            m, f"IR-{2400 + k}: triage by analyst@contoso.example", cmds, created, requestor="soc-automation"
        )
        a.advance(start)
        if k % 5 == 4 and a.is_active:
            a.cancel(created + 5, "analyst@contoso.example", "wrong host")
        if a.is_active:  # should not happen for online machines; keep the tenant free
            a.cancel(start - 1, "soc-automation", "cleanup")


def _portal_history(
    state: TenantState, book: ActionBook, rng: random.Random, machines: list[MachineRec], start: float
) -> None:
    for k, typ in enumerate(_PORTAL_ACTIONS):
        m = machines[rng.randrange(len(machines))]
        created = start - 86400 * (1 + k) - rng.random() * 3600
        action_id, key = book.new_ids()
        a = SimAction(
            book.env,
            action_id,
            m,
            f"INC-{880 + k}",
            [],
            created,
            requestor="analyst@contoso.example",
            type=typ,
            request_source="Portal",
            seed_key=key,
        )
        a.scope = {"Isolate": "Full", "RunAntiVirusScan": "Quick"}.get(typ)
        a.status = ActionStatus.SUCCEEDED
        a.last_update = created + 300
        state.actions[a.id] = a
