"""Small builders shared by the engine tests (real lrtui types only; no fakes of lrtui parts)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lrtui.api.client import MdeClient
from lrtui.api.models import CommandType
from lrtui.api.records import RequestHub
from lrtui.api.sequence import Sequence, make_command
from lrtui.engine.budget import Budget, BudgetSettings
from lrtui.engine.engine import Engine
from lrtui.engine.jobs import Job, Priority
from lrtui.engine.journal import Journal


def seq(*cmds: tuple[str, str], comment: str = "case-42 triage by alice") -> Sequence:
    s = Sequence(comment=comment)
    for t, v in cmds:
        s = s.add(make_command(CommandType(t), v, os_family="windows"))
    return s


def job(machine: str = "m1", priority: Priority = Priority.BULK, created: float = 0.0, **kw) -> Job:
    return Job(
        id=uuid.uuid4().hex,
        batch_id="b1",
        machine_id=machine,
        machine_name=machine + ".corp",
        os_family="windows",
        sequence=seq(("GetFile", r"C:\Temp\a.txt")),
        priority=priority,
        created_at=created,
        **kw,
    )


def wire_engine(
    make_client: Callable[..., MdeClient],
    journal: Journal,
    settings: BudgetSettings,
    *,
    data_dir: Path,
    clock: Callable[[], float] = time.monotonic,
    **engine_kw: Any,
) -> Engine:
    """An engine wired as the composer wires one: the budget and the request hub first, then the client (given
    ``on_request`` and ``general_gate``) from ``make_client(**kw)``, then the engine (``engine.client``)."""
    budget = Budget(settings, clock)
    requests = RequestHub()
    client = make_client(on_request=requests, general_gate=budget.general_gate)
    return Engine(client, journal, budget, requests=requests, data_dir=data_dir, clock=clock, **engine_kw)
