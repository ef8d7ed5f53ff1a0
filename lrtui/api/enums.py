"""Known values of the service's enum-like fields, importable without pydantic (startup budget).

Fields stay plain strings in the models, so unknown values are kept; these compare equal to them.
"""

from __future__ import annotations

from enum import StrEnum


class HealthStatus(StrEnum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"
    IMPAIRED = "ImpairedCommunication"
    NO_SENSOR_DATA = "NoSensorData"
    NO_SENSOR_DATA_IMPAIRED = "NoSensorDataImpairedCommunication"
    UNKNOWN = "Unknown"


class RiskScore(StrEnum):
    NONE = "None"
    INFORMATIONAL = "Informational"
    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"


class ActionStatus(StrEnum):
    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    TIMEOUT = "TimeOut"
    CANCELLED = "Cancelled"


#: Action statuses after which nothing changes any more.
FINAL_ACTION_STATUSES = frozenset(
    {ActionStatus.SUCCEEDED, ActionStatus.FAILED, ActionStatus.TIMEOUT, ActionStatus.CANCELLED}
)
ACTIVE_ACTION_STATUSES = frozenset({ActionStatus.PENDING, ActionStatus.IN_PROGRESS})


class CommandStatus(StrEnum):
    CREATED = "Created"
    COMPLETED = "Completed"
    FAILED = "Failed"


class CommandType(StrEnum):
    PUT_FILE = "PutFile"
    RUN_SCRIPT = "RunScript"
    GET_FILE = "GetFile"
