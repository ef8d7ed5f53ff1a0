"""The team's shared budgets on Redis or Valkey (the optional extra ``lrtui[team]``).

``lrtui.engine.team.store.TeamStore`` needs the ``redis`` package; the plain types here and
:class:`~lrtui.engine.team.fallback.FallbackShare` do not, so importing this package never needs the extra."""

from lrtui.engine.team.fallback import FallbackShare
from lrtui.engine.team.models import (
    ENDPOINT_KEYS,
    Busy,
    Hold,
    Holder,
    MachineHolder,
    SessionAnswer,
    SessionsFull,
    TeamLimits,
    TeamStoreUnavailable,
    TeamUsage,
)

__all__ = [
    "ENDPOINT_KEYS",
    "Busy",
    "FallbackShare",
    "Hold",
    "Holder",
    "MachineHolder",
    "SessionAnswer",
    "SessionsFull",
    "TeamLimits",
    "TeamStoreUnavailable",
    "TeamUsage",
]
