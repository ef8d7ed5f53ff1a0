"""Pydantic models for the MDE entities lrtui reads and writes.

Tolerant by design (the service evolves): unknown fields are kept (``extra="allow"``), enum-like
fields are plain strings so an unknown value is kept rather than fatal, and the known values live in
``StrEnum`` classes that compare equal to those strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        alias_generator=to_camel,
        defer_build=True,
    )

    def to_wire(self) -> dict[str, Any]:
        """The entity as the service spells it (camelCase aliases, extras kept)."""
        return self.model_dump(by_alias=True, mode="json")


from lrtui.api.enums import (  # noqa: E402,F401  (re-exported: the enums live without pydantic)
    ACTIVE_ACTION_STATUSES,
    FINAL_ACTION_STATUSES,
    ActionStatus,
    CommandStatus,
    CommandType,
    HealthStatus,
    RiskScore,
)

# ---------------------------------------------------------------- tolerant field types


def _loose_str(v: Any) -> Any:
    """A number where the docs say String (``rbacGroupId``: DOC String, captures a number) is kept as text."""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, float)):
        return str(v)
    return v


def _null_text(v: Any) -> Any:
    """``null`` where a text is expected (``script_output``/``script_errors``) reads as ""."""
    return "" if v is None else v


#: a string the service may send as a number (kept as the number's text)
LooseStr = Annotated[str | None, BeforeValidator(_loose_str)]
#: a text the service may send as null (read as "")
NullText = Annotated[str, BeforeValidator(_null_text)]


def display_text(s: str) -> str:
    """``s`` for display: the trailing NUL padding of a result text removed (the docs' example ends
    ``51 MB\\n\\u0000\\u0000\\u0000``). The model and the evidence keep the text exactly as received; only what
    is shown is trimmed. Pass the result through ``lrtui.api.text.clean`` as well before it reaches a terminal."""
    return s.rstrip("\x00")


# ---------------------------------------------------------------- machines


class IpAddress(_Model):
    ip_address: str | None = None
    mac_address: str | None = None
    type: str | None = None
    operational_status: str | None = None


class Machine(_Model):
    id: str
    computer_dns_name: str | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    os_platform: str | None = None
    os_version: str | None = None
    os_processor: str | None = None
    os_architecture: str | None = None
    version: str | None = None
    os_build: int | None = None
    agent_version: str | None = None
    last_ip_address: str | None = None
    last_external_ip_address: str | None = None
    ip_addresses: list[IpAddress] = Field(default_factory=list)
    health_status: str | None = None
    onboarding_status: str | None = None
    risk_score: str | None = None
    exposure_level: str | None = None
    device_value: str | None = None
    rbac_group_id: LooseStr = None
    rbac_group_name: str | None = None
    aad_device_id: str | None = None
    is_aad_joined: bool | None = None
    machine_tags: list[str] = Field(default_factory=list)
    defender_av_status: str | None = None
    managed_by: str | None = None
    managed_by_status: str | None = None
    merged_into_machine_id: str | None = None
    is_potential_duplication: bool | None = None
    is_excluded: bool | None = None
    exclusion_reason: str | None = None
    vm_metadata: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        """The name to show: the DNS name, or the id when the service has none."""
        return self.computer_dns_name or self.id

    @property
    def os_family(self) -> str:
        """``windows``, ``macos``, ``linux`` or ``unknown``: what decides path style and limits."""
        return os_family(self.os_platform)

    @property
    def is_online(self) -> bool:
        return self.health_status == HealthStatus.ACTIVE


def os_family(os_platform: str | None) -> str:
    p = (os_platform or "").lower()
    if p.startswith("windows"):
        return "windows"
    if p.startswith("mac"):
        return "macos"
    if (
        p
        in {
            "linux",
            "ubuntu",
            "redhatenterpriselinux",
            "centos",
            "debian",
            "suse",
            "sles",
            "oraclelinux",
            "fedora",
            "amazonlinux",
        }
        or "linux" in p
    ):
        return "linux"
    return "unknown"


# ---------------------------------------------------------------- commands and actions


class CommandParam(_Model):
    key: str
    value: str


class CommandSpec(_Model):
    """One command as submitted: ``{"type": .., "params": [{"key": .., "value": ..}]}``."""

    type: str
    params: list[CommandParam] = Field(default_factory=list)

    def param(self, key: str) -> str | None:
        for p in self.params:
            if p.key == key:
                return p.value
        return None


class ActionCommand(_Model):
    index: int
    start_time: datetime | None = None
    end_time: datetime | None = None
    command_status: str | None = None
    errors: list[Any] = Field(default_factory=list)
    command: CommandSpec | None = None

    @property
    def error_text(self) -> str:
        """The errors as one readable line (their element format is not documented)."""
        parts: list[str] = []
        for e in self.errors:
            if isinstance(e, str):
                parts.append(e)
            elif isinstance(e, dict):
                parts.append(str(e.get("message") or e.get("Message") or e))
            else:
                parts.append(str(e))
        return "; ".join(parts)


class RelatedFileInfo(_Model):
    file_identifier: str | None = None
    file_identifier_type: str | None = None


class MachineAction(_Model):
    id: str
    type: str | None = None
    title: str | None = None
    scope: str | None = None
    requestor: str | None = None
    requestor_comment: str | None = None
    request_source: str | None = None
    external_id: str | None = Field(
        default=None, validation_alias=AliasChoices("externalId", "externalID", "external_id")
    )
    status: str | None = None
    machine_id: str | None = None
    computer_dns_name: str | None = None
    creation_date_time_utc: datetime | None = None
    last_update_date_time_utc: datetime | None = Field(
        default=None,
        validation_alias=AliasChoices("lastUpdateDateTimeUtc", "lastUpdateTimeUtc", "last_update_date_time_utc"),
    )
    cancellation_requestor: str | None = None
    cancellation_comment: str | None = None
    cancellation_date_time_utc: datetime | None = None
    error_h_result: int | None = Field(default=None, alias="errorHResult")
    related_file_info: RelatedFileInfo | None = None
    troubleshoot_info: Any = None
    commands: list[ActionCommand] = Field(default_factory=list)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_ACTION_STATUSES

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_ACTION_STATUSES


# ---------------------------------------------------------------- library and results


class LibraryFile(_Model):
    file_name: str
    sha256: str | None = None
    description: str | None = None
    creation_time: datetime | None = None
    last_updated_time: datetime | None = None
    created_by: str | None = None
    has_parameters: bool = False
    parameters_description: str | None = None


class ScriptResult(BaseModel):
    """The downloaded body of a RunScript result (snake_case on the wire)."""

    model_config = ConfigDict(extra="allow")

    script_name: str | None = None
    exit_code: int | None = None
    #: stdout as received (null reads as ""); NUL padding is kept: use ``display_text`` to show it
    script_output: NullText = ""
    #: stderr as received (null reads as "")
    script_errors: NullText = ""


class ApiErrorBody(_Model):
    code: str = "Unknown"
    message: str = ""
    target: str | None = None


class ApiError(_Model):
    """``{"error": {"code": .., "message": .., "target": ..}}``"""

    error: ApiErrorBody


class ODataPage(_Model):
    """A list answer: ``value`` plus the optional opaque ``@odata.nextLink``."""

    value: list[dict[str, Any]] = Field(default_factory=list)
    next_link: str | None = Field(default=None, alias="@odata.nextLink")
    context: str | None = Field(default=None, alias="@odata.context")
