"""OData builder: quoting makes injection impossible; fields are allow-listed; datetimes formatted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrtui.api import odata as o


def split_literals(expr: str) -> tuple[str, list[str]]:
    """(the expression with every string literal replaced by ``?``, the decoded literals) - an OData lexer."""
    out, lits, i = [], [], 0
    while i < len(expr):
        c = expr[i]
        if c != "'":
            out.append(c)
            i += 1
            continue
        i += 1
        buf = []
        while True:
            if i >= len(expr):
                raise AssertionError(f"unterminated literal in {expr!r}")
            if expr[i] == "'":
                if i + 1 < len(expr) and expr[i + 1] == "'":
                    buf.append("'")
                    i += 2
                    continue
                i += 1
                break
            buf.append(expr[i])
            i += 1
        lits.append("".join(buf))
        out.append("?")
    return "".join(out), lits


def test_examples():
    assert o.quote("O'Brien") == "'O''Brien'"
    assert o.eq("computerDnsName", "lab'ws") == "computerDnsName eq 'lab''ws'"
    assert o.startswith("computerDnsName", "lab-") == "startswith(computerDnsName,'lab-')"
    assert o.contains("computerDnsName", "x") == "contains(computerDnsName,'x')"
    assert o.any_tag("VIP's") == "machineTags/any(tag: tag eq 'VIP''s')"
    assert o.in_("status", ["Pending", "InProgress"]) == "status in ('Pending','InProgress')"
    assert o.ne("riskScore", "High") == "riskScore ne 'High'"
    assert o.gt("osBuild", 19000) == "osBuild gt 19000"
    assert o.le("rbacGroupId", 5) == "rbacGroupId le 5"
    assert o.lt("lastSeen", datetime(2024, 6, 1)) == "lastSeen lt 2024-06-01T00:00:00Z"
    assert o.eq("isAadJoined", True) == "isAadJoined eq true"
    assert o.eq("aadDeviceId", None) == "aadDeviceId eq null"
    flt = o.and_(o.eq("machineId", "abc"), o.eq("type", "LiveResponse"))
    assert flt == "machineId eq 'abc' and type eq 'LiveResponse'"
    assert o.and_(o.or_(o.eq("status", "Pending"), o.eq("status", "InProgress")), o.eq("type", "LiveResponse")) == (
        "(status eq 'Pending' or status eq 'InProgress') and type eq 'LiveResponse'"
    )
    assert o.not_(o.eq("status", "Failed")) == "not (status eq 'Failed')"


def test_datetimes():
    assert o.format_datetime(datetime(2024, 6, 1, tzinfo=UTC)) == "2024-06-01T00:00:00Z"
    assert o.format_datetime(datetime(2024, 6, 1, 2, 0, tzinfo=timezone(timedelta(hours=2)))) == "2024-06-01T00:00:00Z"
    assert o.format_datetime(datetime(2024, 6, 1, 0, 0, 0, 500000)) == "2024-06-01T00:00:00.5Z"
    assert o.format_datetime(date(2024, 6, 1)) == "2024-06-01T00:00:00Z"
    assert o.ge("creationDateTimeUtc", date(2024, 6, 1)) == "creationDateTimeUtc ge 2024-06-01T00:00:00Z"


def test_field_allow_list():
    with pytest.raises(o.ODataBuildError, match="not a field"):
        o.eq("computerDnsName eq 'x' or id", "y")
    with pytest.raises(o.ODataBuildError):
        o.startswith("1 eq 1) or (id", "x")
    assert "lastSeen" in o.MACHINE_FIELDS and "creationDateTimeUtc" in o.ACTION_FIELDS
    assert o.ACTION_FILTER_FIELDS <= o.ACTION_FIELDS and o.MACHINE_FILTER_FIELDS <= o.MACHINE_FIELDS
    assert o.check_orderby("creationDateTimeUtc desc") == "creationDateTimeUtc desc"
    with pytest.raises(o.ODataBuildError):
        o.check_orderby("creationDateTimeUtc desc; drop")
    assert o.check_select(["id", "computerDnsName"]) == "id,computerDnsName"


def test_raw_text_cannot_be_combined():
    with pytest.raises(o.ODataBuildError, match="not raw text"):
        o.and_(o.eq("id", "a"), "id eq 'b'")  # type: ignore[arg-type]
    with pytest.raises(o.ODataBuildError):
        o.or_()
    with pytest.raises(o.ODataBuildError):
        o.in_("id", [])


def test_bad_values():
    for bad in (float("nan"), float("inf"), object(), b"bytes"):
        with pytest.raises(o.ODataBuildError):
            o.eq("riskScore", bad)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_injection_impossible_eq(value):
    expr = o.eq("computerDnsName", value)
    skeleton, lits = split_literals(expr)
    assert skeleton == "computerDnsName eq ?"
    assert lits == [value]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40), st.text(max_size=40))
def test_injection_impossible_compound(a, b, tag):
    expr = o.and_(o.or_(o.startswith("computerDnsName", a), o.eq("lastIpAddress", b)), o.any_tag(tag))
    skeleton, lits = split_literals(expr)
    assert skeleton == "(startswith(computerDnsName,?) or lastIpAddress eq ?) and machineTags/any(tag: tag eq ?)"
    assert lits == [a, b, tag]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=20), min_size=1, max_size=6))
def test_injection_impossible_in(values):
    skeleton, lits = split_literals(o.in_("id", values))
    assert skeleton == "id in (" + ",".join("?" * len(values)) + ")"
    assert lits == values
