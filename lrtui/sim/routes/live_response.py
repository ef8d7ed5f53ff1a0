"""``POST machines/{id}/runliveresponse``: the checks that decide whether an action is created, then creating it.
The body rules are in :mod:`.lr_body`."""

from __future__ import annotations

import re

from starlette.responses import Response

from ..action_book import ActionBook
from ..budgets import retry_after_header
from ..clock import SimClock
from ..config import SimConfig
from ..state import TenantState
from ..tenant import MachineRec, group_of
from .call import Call, Route
from .lr_body import parse_lr_body
from .media import body_format, read_body
from .replies import HttpError, Replies, context_url

__all__ = ["LiveResponseRoutes"]


class LiveResponseRoutes:
    def __init__(
        self, config: SimConfig, state: TenantState, book: ActionBook, clock: SimClock, replies: Replies
    ) -> None:
        self._config = config
        self._state = state
        self._book = book
        self._clock = clock
        self._replies = replies

    def routes(self) -> list[Route]:
        return [("runliveresponse", re.compile(r"^machines/([^/]+)/runliveresponse$", re.I), {"POST": self.run})]

    def run(self, call: Call) -> Response:
        body = read_body(call.body, body_format(call.request, form_ok=False))
        comment, commands = parse_lr_body(body, self._state.library, self._config.lenient_case)
        ref = call.args[0]
        m = self._state.by_id.get(ref.lower())
        if m is None:
            raise HttpError(404, "ResourceNotFound", f"Machine {ref} was not found")
        self._check_device(m)
        self._check_sessions(m, call.now)
        a = self._book.create(m, comment, commands, call.now)
        self._state.lr_created_count += 1
        c = self._config
        wire = a.to_wire(empty_commands=c.quirk_empty_commands or c.quirk_captured_post_reply)
        if c.quirk_captured_post_reply:  # only this reply: a GET of the action shows it filled
            wire.update(machineId=None, computerDnsName=None, requestor=c.app_id)
        body = {"@odata.context": context_url(call.request, "MachineActions/$entity"), **wire}
        return self._replies.ok(body, status=201)

    def _check_device(self, m: MachineRec) -> None:
        """Can live response run on this device at all (OS, sensor, tenant settings, device group)?"""
        if not m.supported:
            raise HttpError(
                400,
                "OsPlatformNotSupported",
                f"Live response is not supported on {m.wire.get('osPlatform')}; supported: Windows 10/11, "
                "Windows Server 2012 R2 and later, macOS, Linux.",
            )
        if m.agent_too_old:
            raise HttpError(
                400,
                "ClientVersionNotSupported",
                f"The sensor version {m.wire.get('agentVersion')} on this device does not support live response; update it.",
            )
        if m.server and not self._config.live_response_servers:
            raise HttpError(
                403, "DisabledFeature", "Live response for servers is turned off in the tenant's advanced features."
            )
        group = group_of(m)
        if not group.remediation_level:
            raise HttpError(
                403,
                "DisallowedOperation",
                f"This device has no automation level assigned to it (device group '{group.name}'). "
                "Assign an automation level to the device group to run live response.",
            )

    def _check_sessions(self, m: MachineRec, now: float) -> None:
        """One session per device, and at most ``max_sessions`` in the tenant (a 429 that counts as throttled)."""
        st = self._state
        if m.id in st.portal_sessions or m.id in st.active_by_machine:
            raise HttpError(400, "ActiveRequestAlreadyExists", "Action is already in progress")
        limit = self._config.max_sessions
        if self._book.active_sessions() >= limit:
            st.throttled_by_reason["sessions"] += 1
            w = max(1.0, self._clock.scaled(30.0))
            raise HttpError(
                429,
                "TooManyRequests",
                f"Too many requests: the limit of {limit} concurrent live response sessions "
                f"has been reached. You can send requests again in {retry_after_header(w)} seconds.",
                self._replies.retry_headers(w, now),
            )
