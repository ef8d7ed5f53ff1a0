"""What public clients of the MDE API send (SOAR connectors, sandbox connectors, a PowerShell automation module),
sent over a real socket, and what the simulator must answer as the service documents it.

Where the documentation leaves a choice, the simulator's answer and the reason:

* ``Content-Type``. The run and cancel pages mark ``Content-Type: application/json`` as *required*. A body sent
  as ``text/plain`` (or any other non-JSON type) gets **415 UnsupportedMediaType** whose message says to send
  ``application/json``: the documented header is required, and an ASP.NET Web API service has no reader for such
  a body. A form-encoded body (``Comment=...``) is read where the body is flat (cancel), as Web API's form
  formatter binds it; runliveresponse's ``Commands`` cannot be form-encoded, so there it is a 415 too. A POST with
  no Content-Type at all is read as JSON (UNCONFIRMED; lenient).
* ``Comment`` on runliveresponse is listed without being marked required: a body without it creates the action
  (``requestorComment`` null). Body keys stay case-sensitive as documented (``comment`` is a 400).
* Property names in ``$filter``, ``$orderby`` and ``$select`` match without regard to case (the OData samples
  page writes ``Status``, ``MachineId``, ``CreationDateTimeUtc``); replies always use the wire names.
* The machine-actions collection is newest first when no ``$orderby`` is given (its ``$top=2`` example "shows
  the latest two").
"""

from __future__ import annotations

import httpx
import pytest

from .conftest import Service

ISO_2024 = "2024-01-01T00:00:00Z"


def _post(svc: Service, mid: str, body: dict, **kw) -> httpx.Response:
    return svc.client.post(f"/api/machines/{mid}/runliveresponse", json=body, **kw)


def _error(r: httpx.Response, status: int, code: str) -> str:
    assert r.status_code == status, (r.status_code, r.text)
    err = r.json()["error"]
    assert err["code"] == code and err["target"], err
    return str(err["message"])


# ---------------------------------------------------------------- not found, and the fresh-404 wait


def test_missing_machine_is_resource_not_found_with_the_documented_message(service):
    message = _error(service.client.get("/api/machines/123123123"), 404, "ResourceNotFound")
    assert message == "Machine 123123123 was not found"
    _error(_post(service, "123123123", service.lr_body()), 404, "ResourceNotFound")


def test_missing_action_is_resource_not_found(service):
    gone = "11111111-2222-4333-8444-555555555555"
    for r in (
        service.client.get(f"/api/machineactions/{gone}"),
        service.client.get(f"/api/machineactions/{gone}/GetLiveResponseResultDownloadLink(index=0)"),
        service.client.post(f"/api/machineactions/{gone}/cancel", json={"Comment": "x"}),
    ):
        assert "was not found" in _error(r, 404, "ResourceNotFound")


def test_fresh_action_wait_keyed_on_resource_not_found(service):
    """A connector that waits out a fresh 404 only while the code is ResourceNotFound sees its action."""
    r = _post(service, service.free_machine(), service.lr_body())
    assert r.status_code == 201, r.text
    aid = r.json()["id"]
    _error(service.client.get(f"/api/machineactions/{aid}"), 404, "ResourceNotFound")
    seen = service.wait_visible(aid)
    assert seen.status_code == 200 and seen.json()["id"] == aid


# ---------------------------------------------------------------- OData as the samples and modules write it


def test_pascal_case_filter_and_orderby_on_machine_actions(service):
    """The automation module's query: ``CreationDateTimeUtc ge ...&$orderby=CreationDateTimeUtc desc``."""
    r = service.client.get(
        "/api/machineactions",
        params={"$filter": f"CreationDateTimeUtc ge {ISO_2024}", "$orderby": "CreationDateTimeUtc desc"},
    )
    assert r.status_code == 200, r.text
    got = r.json()["value"]
    assert got and [a["creationDateTimeUtc"] for a in got] == sorted(
        (a["creationDateTimeUtc"] for a in got), reverse=True
    )
    one = got[0]
    for flt in (
        f"Status eq '{one['status']}'",
        f"MachineId eq '{one['machineId']}'",
        f"Type eq '{one['type']}'",
        f"Requestor eq '{one['requestor']}'",
        f"MachineId eq '{one['machineId']}' and Type eq 'LiveResponse' and STATUS ne 'Pending'",
    ):
        r = service.client.get("/api/machineactions", params={"$filter": flt})
        assert r.status_code == 200, (flt, r.text)
        assert r.json()["value"], flt


def test_pascal_case_select_answers_with_wire_names(service):
    r = service.client.get("/api/machineactions", params={"$select": "Id,Status,MachineId", "$top": "3"})
    assert r.status_code == 200, r.text
    assert all(set(a) == {"id", "status", "machineId"} for a in r.json()["value"])
    r = service.client.get(
        "/api/machines", params={"$filter": "HealthStatus eq 'Active'", "$orderby": "ComputerDnsName", "$top": "5"}
    )
    names = [m["computerDnsName"] for m in r.json()["value"]]
    assert r.status_code == 200 and names == sorted(names)


def test_unknown_property_is_still_an_odata_error(service):
    r = service.client.get("/api/machineactions", params={"$filter": "NoSuchField eq 'x'"})
    assert "NoSuchField" in _error(r, 400, "ODataError")


def test_latest_two_actions_of_a_machine_without_orderby(service):
    """The collection page's example: ``$filter=machineId eq '...'&$top=2`` shows the latest two."""
    mid = service.free_machine("linux")
    ids = []
    for _ in range(3):
        r = _post(service, mid, service.lr_body("ps_list.sh"))
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
        service.run_until_final(ids[-1])
        service.tick(1)
    r = service.client.get("/api/machineactions", params={"$filter": f"machineId eq '{mid}'", "$top": "2"})
    assert [a["id"] for a in r.json()["value"]] == [ids[2], ids[1]]


def test_top_at_ten_thousand(service):
    r = service.client.get("/api/machines", params={"$top": "10000"})
    assert r.status_code == 200 and len(r.json()["value"]) == len(service.sim.state.machines)
    assert "@odata.nextLink" not in r.json()
    assert service.client.get("/api/machineactions", params={"$top": "10000"}).status_code == 200
    assert "10000" in _error(service.client.get("/api/machines", params={"$top": "10001"}), 400, "ODataError")


# ---------------------------------------------------------------- paths, bodies and headers


def test_upper_case_api_segment(service):
    """One docs example writes ``/API/``: the same answers, and contexts name the canonical ``/api/``."""
    r = service.client.get("/API/machines", params={"$top": "1"})
    assert r.status_code == 200 and r.json()["@odata.context"] == f"{service.api}/api/$metadata#Machines"
    r = service.client.post(f"/API/machines/{service.free_machine()}/runliveresponse", json=service.lr_body())
    assert r.status_code == 201, r.text
    assert service.wait_visible(r.json()["id"]).status_code == 200


def test_form_encoded_cancel(service):
    """A connector cancels with ``application/x-www-form-urlencoded`` ``Comment=...``: read like the JSON body."""
    r = _post(service, service.free_machine(), service.lr_body("Invoke-Triage.ps1"))
    aid = r.json()["id"]
    c = service.client.post(f"/api/machineactions/{aid}/cancel", data={"Comment": "wrong host, case 42"})
    assert c.status_code == 200, c.text
    assert c.headers["content-type"].startswith("application/json")
    assert c.json()["status"] == "Cancelled" and c.json()["cancellationComment"] == "wrong host, case 42"


def test_form_encoded_cancel_keeps_key_case(service):
    aid = _post(service, service.free_machine(), service.lr_body("Invoke-Triage.ps1")).json()["id"]
    r = service.client.post(f"/api/machineactions/{aid}/cancel", data={"comment": "x"})
    assert "'comment'" in _error(r, 400, "InvalidRequestBody")


@pytest.mark.parametrize("path", ["runliveresponse", "cancel"])
def test_json_body_sent_as_text_plain_is_415(service, path):
    """``Content-Type: application/json`` is documented as required: say so instead of guessing."""
    mid = service.free_machine()
    url = f"/api/machines/{mid}/runliveresponse"
    if path == "cancel":
        aid = _post(service, mid, service.lr_body("Invoke-Triage.ps1")).json()["id"]
        url = f"/api/machineactions/{aid}/cancel"
    body = b'{"Comment":"x","Commands":[]}' if path == "runliveresponse" else b'{"Comment":"x"}'
    r = service.client.post(url, content=body, headers={"content-type": "text/plain"})
    message = _error(r, 415, "UnsupportedMediaType")
    assert "text/plain" in message and "application/json" in message


def test_runliveresponse_without_comment(service):
    r = _post(service, service.free_machine(), service.lr_body(comment=None))
    assert r.status_code == 201, r.text
    assert r.json()["requestorComment"] is None


def test_lower_case_body_keys_are_refused_as_documented(service):
    """PSMDE's tests send ``comment``/``commands``; the error page says body names are case-sensitive."""
    body = {"comment": "x", "commands": service.lr_body()["Commands"]}
    _error(_post(service, service.free_machine(), body), 400, "InvalidRequestBody")


# ---------------------------------------------------------------- @odata.context on every entity and collection


def test_documented_odata_contexts(service):
    api = service.api
    mid = service.free_machine()
    post = _post(service, mid, service.lr_body())
    aid = post.json()["id"]
    service.wait_visible(aid)
    done = service.run_until_final(aid)
    name = service.sim.state.machines[0].name
    tag = service.sim.state.machines[0].wire["machineTags"] or ["none"]
    expected = {
        "Machines": [
            service.client.get("/api/machines"),
            service.client.get("/api/machines/findbytag", params={"tag": tag[0]}),
        ],
        "Machines/$entity": [service.client.get(f"/api/machines/{mid}"), service.client.get(f"/api/machines/{name}")],
        "MachineActions": [service.client.get("/api/machineactions")],
        "MachineActions/$entity": [post, service.client.get(f"/api/machineactions/{aid}")],
        "Edm.String": [service.client.get(f"/api/machineactions/{aid}/GetLiveResponseResultDownloadLink(index=0)")],
        "LibraryFiles": [service.client.get("/api/libraryfiles")],
        "LibraryFiles/$entity": [
            service.client.post(
                "/api/libraryfiles",
                files={"file": ("compat-context.ps1", b"Write-Output hi\n", "application/octet-stream")},
                data={"Description": "compat", "OverrideIfExists": "true"},
            )
        ],
    }
    assert done["status"] == "Succeeded"
    for what, replies in expected.items():
        for r in replies:
            assert r.status_code in (200, 201), r.text
            assert r.json()["@odata.context"] == f"{api}/api/$metadata#{what}", (what, r.request.url)
    cancel_me = _post(service, service.free_machine(), service.lr_body("Invoke-Triage.ps1")).json()["id"]
    c = service.client.post(f"/api/machineactions/{cancel_me}/cancel", json={"Comment": "x"})
    assert c.json()["@odata.context"] == f"{api}/api/$metadata#MachineActions/$entity"


def test_lrtui_client_maps_resource_not_found_to_not_found(service):
    """lrtui's own client keeps accepting both codes: the simulator's ResourceNotFound is its NotFound error."""
    from lrtui.api import errors as E
    from lrtui.api.errors_map import error_from_response

    url = f"{service.api}/api/machines/123123123"
    r = service.client.get(url)
    err = error_from_response(r.status_code, r.content, r.headers, "GET", url)
    assert isinstance(err, E.NotFound) and "123123123" in str(err)
