"""Model tolerance: unknown fields and enum values kept, both lastUpdate spellings, 7-digit fractions."""

from __future__ import annotations

from datetime import UTC, datetime

from lrtui.api.models import (
    ActionStatus,
    ApiError,
    HealthStatus,
    LibraryFile,
    Machine,
    MachineAction,
    ODataPage,
    ScriptResult,
    os_family,
)

MACHINE = {
    "id": "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
    "computerDnsName": "lab-ws01.corp.example",
    "firstSeen": "2024-05-01T08:00:00.0000000Z",
    "lastSeen": "2024-06-02T07:55:12.1234567Z",
    "osPlatform": "Windows11",
    "osBuild": 22631,
    "healthStatus": "SomethingNew",
    "riskScore": "Low",
    "rbacGroupId": 0,
    "rbacGroupName": None,
    "machineTags": ["lab"],
    "ipAddresses": [
        {"ipAddress": "10.0.0.21", "macAddress": "00155D010203", "type": "Ethernet", "operationalStatus": "Up"}
    ],
    "brandNewField": {"nested": [1, 2]},
}

ACTION = {
    "id": "7f0c2a9e-1111-4c2b-9d3e-2a6f5b8c9d01",
    "type": "LiveResponse",
    "requestorComment": "triage",
    "status": "Succeeded",
    "machineId": MACHINE["id"],
    "creationDateTimeUtc": "2024-06-02T08:00:00.1000000Z",
    "lastUpdateDateTimeUtc": "2024-06-02T08:02:41.5000000Z",
    "errorHResult": 0,
    "externalID": "ext-1",
    "commands": [
        {
            "index": 0,
            "startTime": "2024-06-02T08:01:10.0Z",
            "endTime": None,
            "commandStatus": "Completed",
            "errors": ["first", {"message": "second"}, 3],
            "command": {"type": "RunScript", "params": [{"key": "ScriptName", "value": "collect.ps1"}]},
        }
    ],
    "futureThing": True,
}


def test_machine_parses_and_keeps_unknowns():
    m = Machine.model_validate(MACHINE)
    assert m.last_seen == datetime(2024, 6, 2, 7, 55, 12, 123456, tzinfo=UTC)
    assert m.first_seen == datetime(2024, 5, 1, 8, 0, 0, tzinfo=UTC)
    assert m.health_status == "SomethingNew"  # unknown enum value kept
    assert not m.is_online
    assert m.risk_score == "Low" and m.os_family == "windows"
    assert m.ip_addresses[0].mac_address == "00155D010203"
    wire = m.to_wire()
    assert wire["brandNewField"] == {"nested": [1, 2]}
    assert wire["computerDnsName"] == "lab-ws01.corp.example"
    assert m.name == "lab-ws01.corp.example"


def test_machine_known_enum_compares_equal():
    m = Machine.model_validate({"id": "x", "healthStatus": "Active"})
    assert m.health_status == HealthStatus.ACTIVE and m.is_online
    assert m.name == "x"


def test_action_both_last_update_spellings():
    a = MachineAction.model_validate(ACTION)
    b = MachineAction.model_validate({**{k: v for k, v in ACTION.items() if k != "lastUpdateDateTimeUtc"},
                                      "lastUpdateTimeUtc": "2024-06-02T08:02:41.5000000Z"})  # fmt: skip
    expected = datetime(2024, 6, 2, 8, 2, 41, 500000, tzinfo=UTC)
    assert a.last_update_date_time_utc == expected
    assert b.last_update_date_time_utc == expected


def test_action_fields_and_errors_text():
    a = MachineAction.model_validate(ACTION)
    assert a.status == ActionStatus.SUCCEEDED and a.is_final and not a.is_active
    assert a.external_id == "ext-1"
    assert a.error_h_result == 0
    assert a.creation_date_time_utc == datetime(2024, 6, 2, 8, 0, 0, 100000, tzinfo=UTC)
    cmd = a.commands[0]
    assert cmd.command is not None and cmd.command.param("ScriptName") == "collect.ps1"
    assert cmd.error_text == "first; second; 3"
    assert a.to_wire()["futureThing"] is True


def test_action_unknown_status_and_empty_commands():
    a = MachineAction.model_validate({"id": ACTION["id"], "status": "Queued", "commands": []})
    assert a.status == "Queued" and not a.is_final and not a.is_active
    assert a.commands == []


def test_library_file_and_script_result():
    f = LibraryFile.model_validate(
        {
            "fileName": "a.ps1",
            "sha256": "ab",
            "lastUpdatedTime": "2024-01-01T00:00:00.1234567Z",
            "hasParameters": True,
            "x": 1,
        }
    )
    assert f.file_name == "a.ps1" and f.has_parameters
    assert f.last_updated_time == datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)
    assert f.parameters_description is None
    s = ScriptResult.model_validate(
        {"script_name": "a.ps1", "exit_code": 3, "script_output": "o", "script_errors": "", "new": 1}
    )
    assert (s.exit_code, s.script_output, s.model_extra) == (3, "o", {"new": 1})


def test_api_error_and_page():
    e = ApiError.model_validate(
        {"error": {"code": "NotFound", "message": "m", "target": "|b1838e63-40a6640ddd2719ac."}}
    )
    assert e.error.target == "|b1838e63-40a6640ddd2719ac."
    p = ODataPage.model_validate({"value": [{"id": 1}], "@odata.nextLink": "https://x/next?$skiptoken=a"})
    assert p.next_link == "https://x/next?$skiptoken=a" and p.value == [{"id": 1}]


def test_os_family():
    assert [os_family(x) for x in ("Windows10", "macOS", "Linux", "Ubuntu", None, "iOS")] == [
        "windows", "macos", "linux", "linux", "unknown", "unknown",
    ]  # fmt: skip
