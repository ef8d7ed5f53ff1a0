"""A small, safe OData ``$filter`` builder.

Values are always literals: strings are single-quoted with embedded quotes doubled, so a machine name or tag
can never close the literal and add a clause. Field names come from an allow-list (the Machine and
MachineAction fields of the API). Clauses are ``Clause`` objects; ``and_``/``or_`` accept only those, so raw
user text cannot be spliced in by accident.

    >>> and_(eq("machineId", "ab'c"), eq("type", "LiveResponse"))
    "machineId eq 'ab''c' and type eq 'LiveResponse'"
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

#: Machine entity fields (mde-api.md 2.1 / 2.2). The documented $filter subset is MACHINE_FILTER_FIELDS.
MACHINE_FIELDS = frozenset(
    {
        "id", "computerDnsName", "firstSeen", "lastSeen", "osPlatform", "osVersion", "osProcessor",
        "osArchitecture", "version", "osBuild", "agentVersion", "lastIpAddress", "lastExternalIpAddress",
        "ipAddresses", "healthStatus", "onboardingStatus", "riskScore", "exposureLevel", "deviceValue",
        "rbacGroupId", "rbacGroupName", "aadDeviceId", "isAadJoined", "machineTags", "defenderAvStatus",
        "managedBy", "managedByStatus", "mergedIntoMachineId", "isPotentialDuplication", "isExcluded",
        "exclusionReason", "vmMetadata",
    }
)  # fmt: skip
MACHINE_FILTER_FIELDS = frozenset(
    {
        "computerDnsName", "id", "version", "deviceValue", "aadDeviceId", "machineTags", "lastSeen",
        "exposureLevel", "onboardingStatus", "lastIpAddress", "healthStatus", "osPlatform", "riskScore",
        "rbacGroupId",
    }
)  # fmt: skip
#: MachineAction entity fields (mde-api.md 4.1). The documented $filter subset is ACTION_FILTER_FIELDS.
ACTION_FIELDS = frozenset(
    {
        "id", "type", "title", "scope", "requestor", "requestorComment", "requestSource", "externalId",
        "status", "machineId", "computerDnsName", "creationDateTimeUtc", "lastUpdateDateTimeUtc",
        "cancellationRequestor", "cancellationComment", "cancellationDateTimeUtc", "errorHResult",
        "relatedFileInfo", "commands", "troubleshootInfo",
    }
)  # fmt: skip
ACTION_FILTER_FIELDS = frozenset({"id", "status", "machineId", "type", "requestor", "creationDateTimeUtc"})

ALLOWED_FIELDS = MACHINE_FIELDS | ACTION_FIELDS


class ODataBuildError(ValueError):
    """A filter could not be built (unknown field, unsupported value type, empty list)."""


class Clause(str):
    """A finished filter expression. Only builders in this module make these."""

    __slots__ = ()


def check_field(name: str, allowed: Iterable[str] | None = None) -> str:
    allowed_set = ALLOWED_FIELDS if allowed is None else frozenset(allowed)
    if not isinstance(name, str) or name not in allowed_set:
        raise ODataBuildError(
            f"{name!r} is not a field lrtui may filter on; use one of: {', '.join(sorted(allowed_set))}."
        )
    return name


def quote(value: str) -> str:
    """``'value'`` with every ``'`` doubled: the only escaping an OData string literal needs."""
    if not isinstance(value, str):
        raise ODataBuildError(f"quote() takes a string, not {type(value).__name__}.")
    return "'" + value.replace("'", "''") + "'"


def format_datetime(value: datetime | date) -> str:
    """``2024-06-01T00:00:00Z`` (UTC; naive datetimes are taken as UTC; fractions only when non-zero)."""
    if isinstance(value, datetime):
        dt = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        base = dt.strftime("%Y-%m-%dT%H:%M:%S")
        if dt.microsecond:
            base += f".{dt.microsecond:06d}".rstrip("0")
        return base + "Z"
    if isinstance(value, date):
        return value.strftime("%Y-%m-%dT00:00:00Z")
    raise ODataBuildError(f"Not a date or datetime: {value!r}")


def literal(value: Any) -> str:
    """An OData literal for a Python value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):  # includes StrEnum
        return quote(str(value))
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ODataBuildError("NaN and infinity cannot go into a filter.")
        return repr(float(value))
    if isinstance(value, (datetime, date)):
        return format_datetime(value)
    raise ODataBuildError(f"Cannot put a {type(value).__name__} into a filter; use a string, number, bool or datetime.")


def _cmp(op: str, field: str, value: Any) -> Clause:
    return Clause(f"{check_field(field)} {op} {literal(value)}")


def eq(field: str, value: Any) -> Clause:
    return _cmp("eq", field, value)


def ne(field: str, value: Any) -> Clause:
    return _cmp("ne", field, value)


def gt(field: str, value: Any) -> Clause:
    return _cmp("gt", field, value)


def ge(field: str, value: Any) -> Clause:
    return _cmp("ge", field, value)


def lt(field: str, value: Any) -> Clause:
    return _cmp("lt", field, value)


def le(field: str, value: Any) -> Clause:
    return _cmp("le", field, value)


def startswith(field: str, value: str) -> Clause:
    return Clause(f"startswith({check_field(field)},{quote(value)})")


def contains(field: str, value: str) -> Clause:
    """UNCONFIRMED on MDE: the docs show only startswith."""
    return Clause(f"contains({check_field(field)},{quote(value)})")


def in_(field: str, values: Iterable[Any]) -> Clause:
    """``field in ('a','b')``; UNCONFIRMED on MDE (use ``or_`` of ``eq`` where in doubt)."""
    vals = list(values)
    if not vals:
        raise ODataBuildError("in_() needs at least one value.")
    return Clause(f"{check_field(field)} in ({','.join(literal(v) for v in vals)})")


def any_tag(value: str) -> Clause:
    """``machineTags/any(tag: tag eq 'value')``"""
    return Clause(f"machineTags/any(tag: tag eq {quote(value)})")


def _require_clauses(clauses: tuple[Any, ...], name: str) -> list[Clause]:
    if not clauses:
        raise ODataBuildError(f"{name}() needs at least one clause.")
    for c in clauses:
        if not isinstance(c, Clause):
            raise ODataBuildError(f"{name}() takes clauses built by lrtui.api.odata, not raw text: {c!r}")
    return list(clauses)


def and_(*clauses: Clause) -> Clause:
    cs = _require_clauses(clauses, "and_")
    return cs[0] if len(cs) == 1 else Clause(" and ".join(cs))


def or_(*clauses: Clause) -> Clause:
    """Always parenthesised, so it nests inside ``and_`` with the meaning it reads with."""
    cs = _require_clauses(clauses, "or_")
    return cs[0] if len(cs) == 1 else Clause("(" + " or ".join(cs) + ")")


def not_(clause: Clause) -> Clause:
    (c,) = _require_clauses((clause,), "not_")
    return Clause(f"not ({c})")


def orderby(field: str, descending: bool = False) -> str:
    return f"{check_field(field)} {'desc' if descending else 'asc'}"


def check_orderby(expr: str) -> str:
    """Validate ``"field [asc|desc][, field ...]"``."""
    for part in expr.split(","):
        bits = part.strip().split()
        if not bits or len(bits) > 2 or (len(bits) == 2 and bits[1].lower() not in ("asc", "desc")):
            raise ODataBuildError(f"{expr!r} is not an orderby expression like 'creationDateTimeUtc desc'.")
        check_field(bits[0])
    return expr


def check_select(fields: Iterable[str]) -> str:
    return ",".join(check_field(f) for f in fields)
