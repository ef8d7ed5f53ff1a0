"""Client models typed as documented, tolerant where docs and captures disagree (issue 10)."""

from __future__ import annotations

import httpx

from lrtui.api.models import Machine, MachineAction, ScriptResult, display_text
from lrtui.api.records import MalformedItem

from .conftest import AID, MID


def machine(i: int, **kw) -> dict:
    base = {"id": f"{i:040x}", "computerDnsName": f"ws{i}", "rbacGroupId": 0}
    base.update(kw)
    return base


def test_rbac_group_id_string_or_number_kept_as_string():
    assert Machine.model_validate(machine(1, rbacGroupId=0)).rbac_group_id == "0"
    assert Machine.model_validate(machine(1, rbacGroupId=1234)).rbac_group_id == "1234"
    assert Machine.model_validate(machine(1, rbacGroupId="GroupA-7")).rbac_group_id == "GroupA-7"
    assert Machine.model_validate(machine(1, rbacGroupId=None)).rbac_group_id is None
    assert Machine.model_validate(machine(1, rbacGroupId=0)).to_wire()["rbacGroupId"] == "0"


def test_null_script_output_and_errors_read_as_empty_text():
    s = ScriptResult.model_validate(
        {"script_name": "a.ps1", "exit_code": 0, "script_output": None, "script_errors": None}
    )
    assert (s.script_output, s.script_errors) == ("", "")


def test_nul_padding_kept_in_the_model_trimmed_for_display():
    doc = {"script_name": "a.ps1", "exit_code": 0, "script_output": "51 MB\n\u0000\u0000\u0000", "script_errors": ""}
    s = ScriptResult.model_validate(doc)
    assert s.script_output == "51 MB\n\x00\x00\x00"  # evidence: exactly as received
    assert display_text(s.script_output) == "51 MB\n"
    assert display_text("a\x00b\x00") == "a\x00b"  # only the trailing padding


def test_captured_post_reply_parses():
    # a real capture: machineId and computerDnsName null, commands empty, requestor the app's id
    captured = {
        "@odata.context": "https://api.security.microsoft.com/api/$metadata#MachineActions/$entity",
        "id": AID,
        "type": "LiveResponse",
        "title": None,
        "requestor": "6b2f4c1e-0000-4a3b-9c8d-1e2f3a4b5c6d",
        "requestorComment": "triage",
        "status": "Pending",
        "machineId": None,
        "computerDnsName": None,
        "creationDateTimeUtc": "2024-06-02T08:00:00.1234567Z",
        "lastUpdateDateTimeUtc": "2024-06-02T08:00:00.1234567Z",
        "errorHResult": 0,
        "commands": [],
        "troubleshootInfo": None,
    }
    a = MachineAction.model_validate(captured)
    assert (a.id, a.machine_id, a.computer_dns_name, a.commands) == (AID, None, None, [])
    assert a.requestor == "6b2f4c1e-0000-4a3b-9c8d-1e2f3a4b5c6d" and a.is_active


async def test_one_malformed_machine_never_fails_the_page(h):
    bad = machine(2, osBuild="not-a-number")
    page = {"value": [machine(1), bad, machine(3, rbacGroupId="G-9"), "not even an object"]}
    c = h.client(lambda r: httpx.Response(200, json=page))
    seen: list[MalformedItem] = []
    got = await c.machines.list(on_malformed=seen.append)
    assert [m.id for m in got] == [f"{1:040x}", f"{3:040x}"]
    assert [s.raw for s in seen] == [bad, {"value": "not even an object"}]
    assert "os_build" in seen[0].error or "osBuild" in seen[0].error
    assert all(s.endpoint == "/api/machines" for s in seen)


async def test_malformed_items_reach_the_clients_sink_and_the_log_when_none(h, caplog):
    page = {"value": [{"id": AID, "commands": "nope"}, {"id": AID, "machineId": MID}]}
    c = h.client(lambda r: httpx.Response(200, json=page))
    with caplog.at_level("WARNING", logger="lrtui.api.transport"):
        got = await c.actions.list()
    assert [a.machine_id for a in got] == [MID]
    assert "skipped a malformed item from /api/machineactions" in caplog.text
    seen: list[MalformedItem] = []
    c.transport.on_malformed = seen.append
    await c.actions.list()
    assert len(seen) == 1 and seen[0].raw == {"id": AID, "commands": "nope"}


async def test_malformed_item_error_text_is_cleaned(h):
    page = {"value": [{"id": "x", "osBuild": "\x1b]52;c;ZXZpbA==\x07"}]}
    c = h.client(lambda r: httpx.Response(200, json=page))
    seen: list[MalformedItem] = []
    await c.machines.list(on_malformed=seen.append)
    assert seen and "\x1b" not in seen[0].error and "\x07" not in seen[0].error
