"""Small builders shared by the engine tests (real lrtui types only; no fakes of lrtui parts)."""

from __future__ import annotations

import uuid

from lrtui.api.models import CommandType
from lrtui.api.sequence import Sequence, make_command
from lrtui.engine.jobs import Job, Priority


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
