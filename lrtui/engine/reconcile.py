"""Never submit twice: the job marker in the Comment, and finding a job's action after a crash.

Every POST carries ``lrtui-job:<job id>`` in its Comment. A job journalled as SUBMITTING but with no action
id (the process died between the write-ahead record and the answer) is looked up on restart by listing that
machine's live response actions and matching the marker. Found: the job adopts the action. Not found after the
grace period (a just-created action can be invisible for a while): the POST never landed, the job is queued.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from lrtui.api import odata

if TYPE_CHECKING:
    from lrtui.api.client import MdeClient
    from lrtui.api.models import MachineAction

MARKER_PREFIX = "lrtui-job:"


def marker(job_id: str) -> str:
    return f"{MARKER_PREFIX}{job_id}"


def comment_with_marker(comment: str, job_id: str) -> str:
    m = marker(job_id)
    if m in comment:
        return comment
    return f"{comment} [{m}]" if comment else f"[{m}]"


def job_id_in(comment: str | None) -> str | None:
    """The job id carried by a Comment, if any."""
    if not comment or MARKER_PREFIX not in comment:
        return None
    tail = comment.split(MARKER_PREFIX, 1)[1]
    jid = ""
    for ch in tail:
        if ch.isalnum() or ch in "-_":
            jid += ch
        else:
            break
    return jid or None


def find_marked(actions: Iterable[MachineAction], job_id: str) -> MachineAction | None:
    """The newest action whose Comment carries this job's marker."""
    hits = [a for a in actions if job_id_in(a.requestor_comment) == job_id]
    if not hits:
        return None
    return max(hits, key=lambda a: (a.creation_date_time_utc is not None, a.creation_date_time_utc or 0))


def machine_filter(machine_id: str) -> str:
    return odata.and_(odata.eq("machineId", machine_id), odata.eq("type", "LiveResponse"))


async def machine_actions(client: MdeClient, machine_id: str, top: int = 50) -> list[MachineAction]:
    """The machine's recent live response actions, newest first (one general call)."""
    return await client.actions.list(filter=machine_filter(machine_id), top=top, orderby="creationDateTimeUtc desc")


async def find_job_action(client: MdeClient, machine_id: str, job_id: str) -> MachineAction | None:
    return find_marked(await machine_actions(client, machine_id), job_id)


def explain_block(actions: Iterable[MachineAction], machine_name: str) -> str:
    """Why ActiveRequestAlreadyExists: a listed active action, or an invisible portal session."""
    active = [a for a in actions if a.is_active]
    if active:
        a = active[0]
        who = f" by {a.requestor}" if a.requestor else ""
        return (
            f"{machine_name} already has live response action {a.id} ({a.status}{who}); wait for it to finish "
            "or cancel it, then retry."
        )
    return (
        f"{machine_name} is busy but no listed action explains it: most likely a live response session is "
        "open in the portal (security.microsoft.com device page). Close that session, then retry."
    )
