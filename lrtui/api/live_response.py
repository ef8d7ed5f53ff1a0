"""The runliveresponse POST, sent once, and its reconciliation.

A 429 is raised at once (the engine's budget decides). After a timeout, a dropped connection or a 5xx the
client lists the machine's recent LiveResponse actions for the caller's marker; found -> that action, else
``SubmissionUncertain``. Never a second POST.
"""

from __future__ import annotations

from lrtui.api import errors as E
from lrtui.api import odata
from lrtui.api.actions_api import ActionsApi
from lrtui.api.ids import _check_machine_id, _seg
from lrtui.api.models import MachineAction


class LiveResponseApi(ActionsApi):
    async def run_live_response(self, machine_id: str, body: dict, *, marker: str | None = None) -> MachineAction:
        mid = _check_machine_id(machine_id)
        if marker is not None:
            comment = body.get("Comment", body.get("comment", ""))
            if not marker or marker not in str(comment):
                raise E.ValidationError(
                    "The marker must appear in the body's Comment so the submission can be reconciled."
                )
        path = f"/api/machines/{_seg(mid)}/runliveresponse"
        try:
            resp = await self._send("POST", path, json_body=body, retry="none", gate=False)
            data = self._json(resp)
            return self._parse(MachineAction, data, resp)
        except E.ConnectionFailed:
            raise  # the connection never opened: certainly not submitted
        except (E.ServerError, E.TransportError, E.UnexpectedResponse) as e:
            original = e
        return await self._reconcile(mid, marker, original)

    async def _reconcile(self, machine_id: str, marker: str | None, original: Exception) -> MachineAction:
        what = original.user_message() if isinstance(original, E.LrtuiError) else str(original)
        if not marker:
            raise E.SubmissionUncertain(
                f"The live response submission for {machine_id} may or may not have landed ({what}).",
                hint="Check the device's actions before submitting again.",
            ) from original
        flt = odata.and_(odata.eq("machineId", machine_id), odata.eq("type", "LiveResponse"))
        last_error: Exception | None = None
        for i in range(max(1, self.retry.reconcile_attempts)):
            if i or self.retry.reconcile_delay_s:
                await self._sleep(self.retry.reconcile_delay_s)
            try:
                actions = await self.list_actions(filter=flt, orderby="creationDateTimeUtc desc", top=20)
            except E.LrtuiError as e:
                last_error = e
                continue
            for a in actions:
                if a.requestor_comment and marker in a.requestor_comment:
                    return a
        extra = (
            f" Listing the device's actions also failed: {last_error.user_message()}"
            if isinstance(last_error, E.LrtuiError)
            else ""
        )
        raise E.SubmissionUncertain(
            f"The live response submission for {machine_id} got no clear answer ({what}) and no action carrying "
            f"its marker is listed yet.{extra}",
            hint="It was not sent again. Check the device's actions (the marker is in the comment) before retrying.",
        ) from original
