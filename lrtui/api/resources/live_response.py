"""``client.live_response``: the runliveresponse POST, sent once, and its reconciliation.

A 429 is raised at once (the engine's budget decides). After a timeout, a dropped connection or a 5xx the
client lists the machine's recent LiveResponse actions for the caller's marker; found -> that action, else
``SubmissionUncertain``. Never a second POST.
"""

from __future__ import annotations

from typing import Any

from lrtui.api import errors as E
from lrtui.api import odata
from lrtui.api.ids import check_machine_id, segment
from lrtui.api.models import MachineAction
from lrtui.api.resources.actions import ActionsResource
from lrtui.api.transport import ApiTransport


class LiveResponseResource:
    """The runliveresponse endpoint over one ``ApiTransport``; reconciles through ``actions``."""

    def __init__(self, transport: ApiTransport, actions: ActionsResource) -> None:
        self._t = transport
        self._actions = actions

    async def run(self, machine_id: str, body: dict[str, Any], *, marker: str | None = None) -> MachineAction:
        """POST once; after an uncertain failure, look for ``marker`` (in the body's Comment) among the
        machine's recent actions. Accepts 200 and 201; the action may come back with empty ``commands``."""
        mid = check_machine_id(machine_id)
        if marker is not None:
            comment = body.get("Comment", body.get("comment", ""))
            if not marker or marker not in str(comment):
                raise E.ValidationError(
                    "The marker must appear in the body's Comment so the submission can be reconciled."
                )
        path = f"/api/machines/{segment(mid)}/runliveresponse"
        try:
            resp = await self._t.send("POST", path, json_body=body, retry="none", gate=False)
            data = self._t.decode_json(resp)
            return self._t.parse(MachineAction, data, resp)
        except E.ConnectionFailed:
            raise  # the connection never opened: certainly not submitted
        except (E.ServerError, E.TransportError, E.UnexpectedResponse) as e:
            original = e
        return await self._reconcile(mid, marker, original)

    async def _reconcile(self, machine_id: str, marker: str | None, original: E.LrtuiError) -> MachineAction:
        what = original.user_message()
        if not marker:
            raise E.SubmissionUncertain(
                f"The live response submission for {machine_id} may or may not have landed ({what}).",
                hint="Check the device's actions before submitting again.",
            ) from original
        flt = odata.and_(odata.eq("machineId", machine_id), odata.eq("type", "LiveResponse"))
        policy = self._t.retry
        last_error: E.LrtuiError | None = None
        for i in range(max(1, policy.reconcile_attempts)):
            if i or policy.reconcile_delay_s:
                await self._t.sleep(policy.reconcile_delay_s)
            try:
                actions = await self._actions.list(filter=flt, orderby="creationDateTimeUtc desc", top=20)
            except E.LrtuiError as e:
                last_error = e
                continue
            for a in actions:
                if a.requestor_comment and marker in a.requestor_comment:
                    return a
        extra = f" Listing the device's actions also failed: {last_error.user_message()}" if last_error else ""
        raise E.SubmissionUncertain(
            f"The live response submission for {machine_id} got no clear answer ({what}) and no action carrying "
            f"its marker is listed yet.{extra}",
            hint="It was not sent again. Check the device's actions (the marker is in the comment) before retrying.",
        ) from original
