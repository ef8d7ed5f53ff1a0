"""The team store's plain types: who holds (``Holder``), the limits shared by one app registration
(``TeamLimits``), what an acquisition answers (``Hold`` / ``Busy`` / ``SessionsFull``), what ``usage()`` shows
(``TeamUsage``), and the one error every call raises when the store cannot be reached."""

from __future__ import annotations

import getpass
import socket
import uuid
from dataclasses import dataclass, field
from typing import Final

#: the per-endpoint general windows (one per API page), as the budget and the client name them
ENDPOINT_KEYS: Final = ("machines", "machineactions", "machineaction", "resultlink", "library", "cancel")

#: how long a label or comment prefix may be in the store (everything from the network is bounded)
MAX_LABEL: Final = 120


class TeamStoreUnavailable(Exception):
    """The shared store (Redis or Valkey) did not answer in time or refused the connection. The engine falls
    back to local budgets at a conservative share (:class:`~lrtui.engine.team.fallback.FallbackShare`)."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"the team's budget store is unavailable ({what}); budgets are local at a reduced share "
            "until it answers again"
        )


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds: one id per process (a uuid) and a label teammates can read."""

    id: str
    label: str
    comment_prefix: str = ""

    @classmethod
    def this_process(cls, comment_prefix: str = "") -> Holder:
        """A fresh holder id, labelled ``user@host``."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        return cls(uuid.uuid4().hex, f"{user}@{socket.gethostname()}"[:MAX_LABEL], comment_prefix[:MAX_LABEL])


@dataclass(frozen=True, slots=True)
class TeamLimits:
    """The budgets of one app registration (the service's documented limits by default)."""

    rate_calls: int = 10
    rate_window_s: float = 60.0
    max_sessions: int = 25
    general_per_minute: int = 100
    general_per_hour: int = 1500
    minute_s: float = 60.0
    hour_s: float = 3600.0

    def __post_init__(self) -> None:
        counts = (self.rate_calls, self.max_sessions, self.general_per_minute, self.general_per_hour)
        spans = (self.rate_window_s, self.minute_s, self.hour_s)
        if min(counts) < 1 or min(spans) <= 0:
            raise ValueError("team limits must be at least 1 call or session, and windows longer than 0 s")


@dataclass(frozen=True, slots=True)
class Hold:
    """A lease on one session slot and one machine, renewed while its job lives."""

    hold_id: str
    job_id: str
    machine_id: str
    expires_in_s: float


@dataclass(frozen=True, slots=True)
class Busy:
    """The machine is held by someone else (possibly this process, for another job)."""

    machine_id: str
    holder_label: str
    comment_prefix: str
    mine: bool


@dataclass(frozen=True, slots=True)
class SessionsFull:
    """All session slots are held; the earliest lease ends in ``retry_after_s`` unless renewed."""

    retry_after_s: float


SessionAnswer = Hold | Busy | SessionsFull


@dataclass(frozen=True, slots=True)
class MachineHolder:
    machine_id: str
    holder_label: str
    comment_prefix: str
    job_id: str
    mine: bool


@dataclass(frozen=True, slots=True)
class TeamUsage:
    """The team's use of the shared budgets, and this process's share of it."""

    sessions_used: int
    sessions_mine: int
    sessions_limit: int
    rate_used: int
    rate_limit: int
    machines: tuple[MachineHolder, ...] = field(default=())

    def sessions_text(self) -> str:
        """``Sessions 19/25, 7 yours``."""
        return f"Sessions {self.sessions_used}/{self.sessions_limit}, {self.sessions_mine} yours"

    def holder_of(self, machine_id: str) -> MachineHolder | None:
        return next((m for m in self.machines if m.machine_id == machine_id), None)
