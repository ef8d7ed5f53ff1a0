"""POST runliveresponse (validation, errors, budgets), lifecycle, machineactions get/list/cancel."""

from __future__ import annotations

import json
import re

import pytest

from lrtui.api.models import MachineAction

from .conftest import DC, KIOSK, LATER, LINUX, OFFLINE, WIN, WIN7, WIN_HOSTS, assert_error, getfile, putfile, run

ISO7 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$")


def test_post_201_pending_shape(srv):
    r = srv.post_lr(
        WIN, putfile("rules.yar"), run("Get-Processes.ps1", "-Name svc*"), getfile(WIN_HOSTS), comment="case 42"
    )
    assert r.status_code == 201, r.text
    assert r.headers["odata-version"] == "4.0"
    a = r.json()
    assert a["@odata.context"].endswith("/api/$metadata#MachineActions/$entity")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", a["id"])
    assert a["type"] == "LiveResponse" and a["status"] == "Pending"
    assert a["requestSource"] == "PublicApi" and a["requestor"] == srv.sim.config.app_name
    assert a["requestorComment"] == "case 42"
    assert a["machineId"] == srv.mid(WIN) and a["computerDnsName"] == srv.sim.state.machines[WIN].name
    assert ISO7.match(a["creationDateTimeUtc"]) and ISO7.match(a["lastUpdateDateTimeUtc"])
    assert a["errorHResult"] == 0 and a["cancellationRequestor"] is None
    assert [c["index"] for c in a["commands"]] == [0, 1, 2]
    assert all(c["commandStatus"] == "Created" and c["startTime"] is None and c["errors"] == [] for c in a["commands"])
    assert a["commands"][1]["command"] == {
        "type": "RunScript",
        "params": [{"key": "ScriptName", "value": "Get-Processes.ps1"}, {"key": "Args", "value": "-Name svc*"}],
    }
    MachineAction.model_validate(a)
    assert srv.sim.state.lr_post_count == 1 and a["id"] in srv.sim.state.actions


@pytest.mark.parametrize(
    "body, needle",
    [
        ({"comment": "x", "Commands": [run("Get-Processes.ps1")]}, "case-sensitive"),
        ({"Comment": "x", "commands": [run("Get-Processes.ps1")]}, "case-sensitive"),
        (
            {
                "Comment": "x",
                "Commands": [{"Type": "RunScript", "params": [{"key": "ScriptName", "value": "ps_list.sh"}]}],
            },
            "'Type'",
        ),
        (
            {
                "Comment": "x",
                "Commands": [{"type": "RunScript", "Params": [{"key": "ScriptName", "value": "ps_list.sh"}]}],
            },
            "'Params'",
        ),
        (
            {
                "Comment": "x",
                "Commands": [{"type": "RunScript", "params": [{"Key": "ScriptName", "value": "ps_list.sh"}]}],
            },
            "'Key'",
        ),
        (
            {
                "Comment": "x",
                "Commands": [{"type": "RunScript", "params": [{"key": "ScriptName", "Value": "ps_list.sh"}]}],
            },
            "'Value'",
        ),
        (
            {
                "Comment": "x",
                "Commands": [{"type": "runscript", "params": [{"key": "ScriptName", "value": "ps_list.sh"}]}],
            },
            "runscript",
        ),
        (
            {
                "Comment": "x",
                "Commands": [{"type": "RunScript", "params": [{"key": "scriptname", "value": "ps_list.sh"}]}],
            },
            "scriptname",
        ),
        ({"Comment": "x", "Commands": []}, "non-empty"),
        ({"Comment": "x"}, "Commands field is required"),
        ({"comment": "x", "Commands": [run("ps_list.sh")]}, "'comment'"),
        ({"Comment": "x", "Commands": [{"type": "RunScript", "params": []}]}, "ScriptName"),
        (
            {"Comment": "x", "Commands": [{"type": "GetFile", "params": [{"key": "FileName", "value": "a"}]}]},
            "not a valid parameter",
        ),
        ({"Comment": "x", "Commands": [{"type": "GetFile", "params": [{"key": "Path", "value": ""}]}]}, "Path"),
        ({"Comment": "x", "Commands": [getfile(WIN_HOSTS), run("Get-Processes.ps1")]}, "ordered"),
        ({"Comment": "x", "Commands": [run("Get-Processes.ps1"), putfile("rules.yar")]}, "PutFile first"),
        ({"Comment": "x", "Commands": [run("nope.ps1")]}, "was not found in the library"),
        ({"Comment": "x", "Commands": [putfile("nope.bin")]}, "was not found in the library"),
        ({"Comment": "x", "Commands": "RunScript"}, "array"),
    ],
)
def test_post_invalid_body_400(srv, body, needle):
    r = srv.client.post(f"/api/machines/{srv.mid(WIN)}/runliveresponse", json=body)
    assert_error(r, 400, "InvalidRequestBody", needle)
    assert not srv.sim.state.actions or all(
        a.machine.id != srv.mid(WIN) for a in list(srv.sim.state.actions.values())[-1:]
    )


def test_post_without_comment_is_accepted(srv):
    """The run page lists Comment without marking it required: a body without it creates the action."""
    r = srv.client.post(f"/api/machines/{srv.mid(LINUX)}/runliveresponse", json={"Commands": [run("ps_list.sh")]})
    assert r.status_code == 201, r.text
    assert r.json()["requestorComment"] is None
    assert srv.action(r.json()["id"])["requestorComment"] is None


@pytest.mark.parametrize("ctype", ["text/plain", "application/xml", "application/x-www-form-urlencoded"])
def test_post_needs_a_json_content_type(srv, ctype):
    """Content-Type: application/json is marked required: a JSON body sent as another type is a 415 that says so."""
    body = json.dumps({"Comment": "x", "Commands": [run("ps_list.sh")]})
    r = srv.client.post(
        f"/api/machines/{srv.mid(LINUX)}/runliveresponse", content=body, headers={"content-type": ctype}
    )
    assert_error(r, 415, "UnsupportedMediaType", "application/json")
    assert not srv.sim.state.active_by_machine


@pytest.mark.parametrize("ctype", ["application/json; charset=utf-8", "text/json", "application/vnd.x+json", None])
def test_post_json_content_types(srv, ctype):
    body = json.dumps({"Comment": "x", "Commands": [run("ps_list.sh")]}).encode()
    headers = {"content-type": ctype} if ctype else {}
    r = srv.client.post(f"/api/machines/{srv.mid(LINUX)}/runliveresponse", content=body, headers=headers)
    assert r.status_code == 201, r.text


def test_post_not_json(srv):
    r = srv.client.post(
        f"/api/machines/{srv.mid(WIN)}/runliveresponse", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert_error(r, 400, "InvalidRequestBody", "JSON")


def test_lenient_case_switch(make_server):
    s = make_server(lenient_case=True)
    r = s.client.post(
        f"/api/machines/{s.mid(WIN)}/runliveresponse",
        json={
            "comment": "x",
            "commands": [{"Type": "runscript", "Params": [{"Key": "scriptname", "Value": "Get-Processes.ps1"}]}],
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["commands"][0]["command"]["type"] == "RunScript"


def test_machine_errors(srv):
    assert_error(srv.post_lr("0" * 40, run("Get-Processes.ps1")), 404, "ResourceNotFound", "was not found")
    assert_error(srv.post_lr(KIOSK, run("Get-Processes.ps1")), 403, "DisallowedOperation", "automation level")
    assert_error(srv.post_lr(WIN7, run("Get-Processes.ps1")), 400, "OsPlatformNotSupported")
    assert not srv.sim.state.actions or all(
        a.requestor != srv.sim.config.app_name for a in srv.sim.state.actions.values()
    )


def test_disabled_feature_for_servers(make_server):
    s = make_server(live_response_servers=False)
    assert_error(s.post_lr(DC, run("Get-Processes.ps1")), 403, "DisabledFeature")


def test_active_request_already_exists(srv):
    a = srv.post_lr(WIN, run("Get-Processes.ps1")).json()
    assert_error(
        srv.post_lr(WIN, run("Get-Processes.ps1")), 400, "ActiveRequestAlreadyExists", "Action is already in progress"
    )
    assert srv.post_lr(LINUX, run("ps_list.sh")).status_code == 201  # other machines are free
    assert srv.run_until_final(a["id"])["status"] == "Succeeded"
    assert srv.post_lr(WIN, run("Get-Processes.ps1")).status_code == 201


def test_portal_session_quirk(make_server):
    s = make_server(quirk_portal_session=["fin-ws-0001.corp.contoso.example"])
    assert_error(s.post_lr(WIN, run("Get-Processes.ps1")), 400, "ActiveRequestAlreadyExists")
    r = s.client.get(
        "/api/machineactions", params={"$filter": f"machineId eq '{s.mid(WIN)}' and type eq 'LiveResponse'"}
    )
    assert r.status_code == 200 and r.json()["value"] == []  # nothing explains it
    s.sim.end_portal_session(s.mid(WIN))
    assert s.post_lr(WIN, run("Get-Processes.ps1")).status_code == 201


def test_rate_budget_429(make_server):
    s = make_server(rate_calls=3, rate_window_s=60)
    machines = [WIN, LINUX, DC, 8]
    for i in machines[:3]:
        s.tick(1)
        assert s.post_lr(i, run("Get-Processes.ps1" if i != LINUX else "ps_list.sh")).status_code == 201
    r = s.post_lr(8, run("Get-Processes.ps1"))
    err = assert_error(r, 429, "TooManyRequests")
    assert r.headers["retry-after"] == "58"  # first call at +1 s, now +3 s
    assert "live response" in err["message"]
    assert s.sim.state.throttled_count == 1
    s.tick(58)
    r = s.client.post(
        f"/api/machines/{s.mid(8)}/runliveresponse", json={"Comment": "x", "Commands": [getfile(WIN_HOSTS)]}
    )
    assert r.status_code in (201, 400, 403), r.text  # no longer throttled
    assert r.status_code != 429


def test_rate_window_scaled_only_when_asked(make_server):
    s = make_server(rate_calls=1, rate_window_s=60, time_scale=0.01)
    assert s.post_lr(WIN, run("Get-Processes.ps1")).status_code == 201
    r = s.post_lr(LINUX, run("ps_list.sh"))
    assert r.status_code == 429 and r.headers["retry-after"] == "60"
    s2 = make_server(rate_calls=1, rate_window_s=60, time_scale=0.01, scale_rate_window=True)
    assert s2.post_lr(WIN, run("Get-Processes.ps1")).status_code == 201
    r = s2.post_lr(LINUX, run("ps_list.sh"))
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    s2.tick(0.7)
    assert s2.post_lr(LINUX, run("ps_list.sh")).status_code == 201


def test_session_budget_429(make_server):
    s = make_server(max_sessions=2, machines=40)
    assert s.post_lr(WIN, run("Get-Processes.ps1")).status_code == 201
    assert s.post_lr(OFFLINE, run("Get-Processes.ps1")).status_code == 201  # queued actions hold a slot
    r = s.post_lr(DC, run("Get-Processes.ps1"))
    assert_error(r, 429, "TooManyRequests", "concurrent")
    assert int(r.headers["retry-after"]) >= 1
    assert s.sim.state.throttled_by_reason["sessions"] == 1


def test_quirk_empty_commands(make_server):
    s = make_server(quirk_empty_commands=True)
    a = s.post_lr(WIN, run("Get-Processes.ps1"), getfile(WIN_HOSTS)).json()
    assert a["commands"] == []
    assert [c["index"] for c in s.action(a["id"])["commands"]] == [0, 1]


def test_quirk_fresh_404(make_server):
    s = make_server(quirk_fresh_404_s=20)
    a = s.post_lr(WIN, run("Get-Processes.ps1")).json()
    assert_error(s.client.get(f"/api/machineactions/{a['id']}"), 404, "ResourceNotFound")
    s.tick(19)
    assert s.client.get(f"/api/machineactions/{a['id']}").status_code == 404
    s.tick(2)
    assert s.client.get(f"/api/machineactions/{a['id']}").status_code == 200


# ---------------------------------------------------------------- lifecycle (manual clock)


def test_lifecycle_success_one_command_at_a_time(srv):
    a = srv.post_lr(WIN, putfile("rules.yar"), run("Get-Processes.ps1"), getfile(WIN_HOSTS)).json()
    assert srv.action(a["id"])["status"] == "Pending"
    seen_status, stamps, progress = [], [], []
    for _ in range(60):
        x = srv.action(a["id"])
        seen_status.append(x["status"])
        stamps.append(x["lastUpdateDateTimeUtc"])
        done = [c["commandStatus"] for c in x["commands"]]
        progress.append(tuple(done))
        if x["status"] == "Succeeded":
            break
        srv.tick(1)
    assert seen_status[0] == "Pending" and "InProgress" in seen_status and seen_status[-1] == "Succeeded"
    # commands complete in order, one at a time
    for p in progress:
        k = p.count("Completed")
        assert p[:k] == ("Completed",) * k and all(s == "Created" for s in p[k:])
    assert stamps == sorted(stamps) and len(set(stamps)) >= 4  # lastUpdate moves on every change
    final = srv.action(a["id"])
    for c in final["commands"]:
        assert ISO7.match(c["startTime"]) and ISO7.match(c["endTime"]) and c["startTime"] <= c["endTime"]
    assert (
        final["commands"][0]["endTime"]
        <= final["commands"][1]["startTime"]
        <= final["commands"][1]["endTime"]
        <= final["commands"][2]["startTime"]
    )
    assert final["lastUpdateDateTimeUtc"] == final["commands"][2]["endTime"]


def test_lifecycle_first_failure_fails_action(srv):
    a = srv.post_lr(WIN, run("Get-Processes.ps1"), getfile("C:\\missing\\evidence.txt"), getfile(WIN_HOSTS)).json()
    x = srv.run_until_final(a["id"], step=2)
    assert x["status"] == "Failed"
    c = x["commands"]
    assert c[0]["commandStatus"] == "Completed"
    assert c[1]["commandStatus"] == "Failed" and c[1]["errors"] and "not found" in c[1]["errors"][0].lower()
    assert c[2]["commandStatus"] == "Created" and c[2]["startTime"] is None
    assert x["errorHResult"] != 0


def test_lifecycle_runscript_timeout(srv):
    a = srv.post_lr(WIN, run("Watch-ProcessCreation.ps1"), getfile(WIN_HOSTS)).json()
    srv.tick(60)
    assert srv.action(a["id"])["status"] == "InProgress"
    srv.tick(9 * 60 - 30)
    assert srv.action(a["id"])["status"] == "InProgress"
    srv.tick(60)
    x = srv.action(a["id"])
    assert x["status"] == "TimeOut"
    assert x["commands"][0]["commandStatus"] == "Failed" and "timed out" in x["commands"][0]["errors"][0]
    assert x["commands"][1]["commandStatus"] == "Created"


def test_lifecycle_time_scale_real_clock(make_server):
    import time

    s = make_server(manual=False, time_scale=0.001)
    a = s.post_lr(WIN, run("Watch-ProcessCreation.ps1")).json()
    b = s.post_lr(LINUX, run("ps_list.sh"), getfile("/etc/passwd")).json()
    deadline = time.time() + 5
    while time.time() < deadline:
        xa, xb = s.action(a["id"]), s.action(b["id"])
        if xa["status"] == "TimeOut" and xb["status"] == "Succeeded":
            break
        time.sleep(0.05)
    assert (xa["status"], xb["status"]) == ("TimeOut", "Succeeded")  # 10 min scaled to 0.6 s


def test_offline_machine_stays_pending_then_times_out(srv):
    a = srv.post_lr(OFFLINE, run("Get-Processes.ps1")).json()
    srv.tick(2 * 86400)
    assert srv.action(a["id"])["status"] == "Pending"
    srv.tick(86400 + 1)
    x = srv.action(a["id"])
    assert x["status"] == "TimeOut" and x["commands"][0]["commandStatus"] == "Created"
    assert x["lastUpdateDateTimeUtc"] > x["creationDateTimeUtc"]


def test_machine_comes_online_later(srv):
    assert srv.client.get(f"/api/machines/{srv.mid(LATER)}").json()["healthStatus"] == "Inactive"
    a = srv.post_lr(LATER, run("Get-Processes.ps1")).json()
    srv.tick(50)
    assert srv.action(a["id"])["status"] == "Pending"
    srv.tick(30)  # online at +60 s, picked up a few seconds later
    assert srv.action(a["id"])["status"] in ("InProgress", "Succeeded")
    assert srv.client.get(f"/api/machines/{srv.mid(LATER)}").json()["healthStatus"] == "Active"
    assert srv.run_until_final(a["id"])["status"] == "Succeeded"


def test_cancel(srv):
    a = srv.post_lr(WIN, run("Invoke-Triage.ps1")).json()
    aid = a["id"]
    r = srv.client.post(f"/api/machineactions/{aid}/cancel", json={"Comment": "wrong host"})
    assert r.status_code == 200, r.text
    x = r.json()
    assert x["status"] == "Cancelled" and x["cancellationComment"] == "wrong host"
    assert x["cancellationRequestor"] == srv.sim.config.app_name and ISO7.match(x["cancellationDateTimeUtc"])
    srv.tick(600)
    assert srv.action(aid)["status"] == "Cancelled"
    assert_error(
        srv.client.post(f"/api/machineactions/{aid}/cancel", json={"Comment": "again"}), 400, "BadRequest", "final"
    )
    assert_error(
        srv.client.post("/api/machineactions/11111111-2222-4333-8444-555555555555/cancel", json={"Comment": "x"}),
        404,
        "ResourceNotFound",
    )
    b = srv.post_lr(WIN, run("Get-Processes.ps1")).json()  # machine is free again
    assert_error(
        srv.client.post(f"/api/machineactions/{b['id']}/cancel", json={"comment": "x"}), 400, "InvalidRequestBody"
    )
    assert_error(srv.client.post(f"/api/machineactions/{b['id']}/cancel", json={}), 400, "InvalidRequestBody")
    assert_error(
        srv.client.post(f"/api/machineactions/{srv.mid(WIN)}/cancel", json={"Comment": "x"}),
        400,
        "BadRequest",
        "Edm.Guid",
    )


def test_cancel_reads_failed_quirk(make_server):
    s = make_server(quirk_cancel_reads_failed=True)
    a = s.post_lr(WIN, run("Get-Processes.ps1")).json()
    assert s.client.post(f"/api/machineactions/{a['id']}/cancel", json={"Comment": "x"}).json()["status"] == "Failed"


def test_get_action_errors(srv):
    assert_error(srv.client.get(f"/api/machineactions/{srv.mid(WIN)}"), 400, "BadRequest", "Edm.Guid")
    assert_error(srv.client.get("/api/machineactions/11111111-2222-4333-8444-555555555555"), 404, "ResourceNotFound")


def test_list_actions_odata(make_server):
    s = make_server(page_size=3)
    hist = len(s.sim.state.actions)
    ids = []
    for i in (WIN, LINUX, DC, 8, 9):
        s.tick(0.5)
        r = s.post_lr(i, run("ps_list.sh") if s.sim.state.machines[i].family != "windows" else run("Get-Processes.ps1"))
        if r.status_code == 201:
            ids.append(r.json()["id"])
    assert len(ids) >= 4

    def all_pages(params):
        body = s.client.get("/api/machineactions", params=params).json()
        out = body["value"]
        while "@odata.nextLink" in body:
            body = s.client.get(body["@odata.nextLink"]).json()
            out += body["value"]
        return out

    everything = all_pages({})
    assert len(everything) == hist + len(ids)
    mine = all_pages({"$filter": f"machineId eq '{s.mid(WIN)}' and type eq 'LiveResponse'"})
    assert [a["id"] for a in mine if a["id"] in ids] == [ids[0]]
    got = all_pages({"$filter": "id in ('" + "','".join(ids[:2]) + "')"})
    assert [a["id"] for a in got] == ids[:2][::-1]  # newest first without $orderby
    act = all_pages({"$filter": "status eq 'Pending' or status eq 'InProgress'"})
    assert {a["id"] for a in act} == set(ids)
    assert all_pages({"$filter": f"requestor eq '{s.sim.config.app_name}'"}) == [
        a for a in everything if a["id"] in ids
    ]
    desc = s.client.get("/api/machineactions", params={"$orderby": "creationDateTimeUtc desc", "$top": "2"}).json()
    assert [a["id"] for a in desc["value"]] == ids[::-1][:2] and "@odata.nextLink" not in desc
    assert [a["id"] for a in everything[: len(ids)]] == ids[::-1]  # newest first, then the older history
    recent = all_pages({"$filter": f"creationDateTimeUtc ge {everything[len(ids) - 1]['creationDateTimeUtc']}"})
    assert {a["id"] for a in recent} == set(ids)
    assert_error(s.client.get("/api/machineactions", params={"$filter": "computerDnsName eq 'x'"}), 400, "ODataError")
