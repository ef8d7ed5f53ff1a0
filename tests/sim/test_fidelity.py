"""Fidelity round two (issue 10) and the demo's needs (issue 11), over a loopback socket: the seed's minidump
example, NUL padding, the captured POST reply, fresh action ids, the workshop machine, per-API budgets."""

from __future__ import annotations

import gzip
import io
import json
import zipfile

import httpx
import pytest

from lrtui.sim.library import plan_script
from lrtui.sim.library.plan import NUL_PADDED_SHARE

from .conftest import AUTH, DC, LINUX, WIN, assert_error, getfile, run

# the run page's own example (the seed's example): dump OfficeClickToRun, then fetch the zipped dump
DOC_DUMP = "C:\\windows\\TEMP\\OfficeClickToRun.dmp.zip"


def _download(srv, aid: str, index: int) -> bytes:
    link = srv.link(aid, index)
    assert link.status_code == 200, link.text
    r = httpx.get(link.json()["value"], timeout=30)
    assert r.status_code == 200
    return r.content


@pytest.mark.parametrize("machine", [WIN, DC])
def test_docs_minidump_example_end_to_end(srv, machine):
    """RunScript minidump.ps1 OfficeClickToRun, then GetFile C:\\windows\\TEMP\\OfficeClickToRun.dmp.zip (any case)."""
    r = srv.post_lr(machine, run("minidump.ps1", "OfficeClickToRun"), getfile(DOC_DUMP))
    assert r.status_code == 201, r.text
    x = srv.run_until_final(r.json()["id"])
    assert x["status"] == "Succeeded", x
    assert [c["commandStatus"] for c in x["commands"]] == ["Completed", "Completed"]
    script = json.loads(_download(srv, x["id"], 0))
    assert script["exit_code"] == 0 and "C:\\Windows\\Temp\\OfficeClickToRun.dmp.zip" in script["script_output"]
    with zipfile.ZipFile(io.BytesIO(gzip.decompress(_download(srv, x["id"], 1)))) as z:
        [member] = z.infolist()
        assert member.filename.lower() == "officeclicktorun.dmp"
        assert z.read(member).startswith(b"MDMP")


def test_minidump_zip_exists_only_after_the_dump(srv):
    r = srv.post_lr(WIN, getfile(DOC_DUMP))
    x = srv.run_until_final(r.json()["id"])
    assert x["status"] == "Failed" and "not found" in x["commands"][0]["errors"][0].lower()


def test_nul_padding_on_some_outputs_deterministic(srv):
    """About NUL_PADDED_SHARE of the outputs end in NULs (as the docs' ``51 MB\\n\\u0000\\u0000\\u0000``), the
    same ones for the same seed; the rest of the text is untouched."""
    item = srv.sim.state.library["Get-Processes.ps1"]
    m = srv.sim.state.machines[WIN]
    outs = [plan_script(item, m, None, f"1|key-{k}|0", "20260101000000").render()[0] for k in range(200)]
    again = [plan_script(item, m, None, f"1|key-{k}|0", "20260101000000").render()[0] for k in range(200)]
    assert outs == again
    padded = [o for o in outs if o.endswith("\x00")]
    assert 0.15 * len(outs) < len(padded) < 0.45 * len(outs), (len(padded), NUL_PADDED_SHARE)
    for o in padded:
        body = o.rstrip("\x00")
        assert body.endswith("\n") and "\x00" not in body and 1 <= len(o) - len(body) <= 8


def test_nul_padding_reaches_the_result_document(make_server):
    s = make_server(machines=40, seeded_action_ids=True)
    tails = []
    for _ in range(12):
        r = s.post_lr(LINUX, run("ps_list.sh"))
        x = s.run_until_final(r.json()["id"])
        out = json.loads(_download(s, x["id"], 0))["script_output"]
        tails.append(len(out) - len(out.rstrip("\x00")))
    assert any(tails) and not all(tails), tails


def test_documented_post_reply_is_the_default(srv):
    r = srv.post_lr(WIN, run("Get-Processes.ps1"))
    body = r.json()
    assert r.status_code == 201 and body["@odata.context"].endswith("/api/$metadata#MachineActions/$entity")
    assert body["machineId"] == srv.mid(WIN) and body["computerDnsName"] == srv.sim.state.machines[WIN].name
    assert body["requestor"] == srv.sim.config.app_name and len(body["commands"]) == 1


def test_captured_post_reply_switch(make_server):
    s = make_server(quirk_captured_post_reply=True)
    r = s.post_lr(WIN, run("Get-Processes.ps1"))
    body = r.json()
    assert r.status_code == 201 and body["status"] == "Pending" and body["type"] == "LiveResponse"
    assert body["machineId"] is None and body["computerDnsName"] is None and body["commands"] == []
    assert body["requestor"] == s.sim.config.app_id
    got = s.action(body["id"])  # a GET shows the action filled, as the documentation does
    assert got["machineId"] == s.mid(WIN) and len(got["commands"]) == 1


def test_action_ids_are_fresh_per_instance(make_server):
    """Two demo sessions on the same seed never share an action id; machines, timings and outputs stay seeded."""

    def first(**kw):
        s = make_server(machines=20, **kw)
        r = s.post_lr(LINUX, run("ps_list.sh"))
        x = s.run_until_final(r.json()["id"])
        out = json.loads(_download(s, x["id"], 0))["script_output"]
        history = sorted(a.id for a in s.sim.state.actions.values() if a.id != x["id"])
        machines = s.client.get("/api/machines").json()["value"]
        return x, out, history, machines

    a, b = first(), first()
    assert a[0]["id"] != b[0]["id"] and not set(a[2]) & set(b[2])
    assert a[1] == b[1] and a[3] == b[3]
    assert a[0]["lastUpdateDateTimeUtc"] == b[0]["lastUpdateDateTimeUtc"]
    c, d = first(seeded_action_ids=True), first(seeded_action_ids=True)
    assert c[0]["id"] == d[0]["id"] and c[2] == d[2] and c[1] == a[1]


def test_workshop_machine_comes_online_and_drains_its_queue(make_server):
    s = make_server(machines=60, time_scale=0.02)
    m = s.sim.workshop_machine
    assert m is not None and m.family == "windows" and m.index >= 8
    assert s.client.get(f"/api/machines/{m.id}").json()["healthStatus"] == "Inactive"
    r = s.post_lr(m.id, run("Get-Processes.ps1"))
    assert r.status_code == 201, r.text
    s.tick(0.02 * 3000 - 1)
    assert s.action(r.json()["id"])["status"] == "Pending"
    assert s.client.get(f"/api/machines/{m.id}").json()["healthStatus"] == "Inactive"
    s.tick(2)
    assert s.client.get(f"/api/machines/{m.id}").json()["healthStatus"] == "Active"
    assert s.run_until_final(r.json()["id"], step=0.5)["status"] == "Succeeded"


def test_demo_workshop_machine_is_the_documented_one():
    """The README names the demo tenant's workshop machine (seed 7, 500 machines, as the demo settings)."""
    from lrtui.settings import DemoSettings
    from lrtui.sim import SimConfig, Simulator

    d = DemoSettings()
    sim = Simulator(SimConfig(seed=d.seed, machines=d.machines, time_scale=d.time_scale))
    assert sim.workshop_machine is not None
    assert sim.workshop_machine.name == "sales-lt-0003.corp.contoso.example"
    assert sim.workshop_machine.online_at - sim.start_time == pytest.approx(60.0)


def test_workshop_machine_leaves_the_tenant_as_it_was(make_server):
    """The same machines, byte for byte, with the workshop machine and without it (only its future differs)."""
    a = make_server(machines=60).client.get("/api/machines").json()["value"]
    b = make_server(machines=60, workshop_online_after_s=None).client.get("/api/machines").json()["value"]
    assert a == b
    s = make_server(machines=60, workshop_online_after_s=None)
    s.tick(10 * 86400)
    assert s.client.get(f"/api/machines/{s.sim.workshop_machine.id}").json()["healthStatus"] == "Inactive"


def test_general_429_names_the_key(make_server):
    s = make_server(general_per_minute=1)
    assert s.client.get("/api/machineactions").status_code == 200
    r = s.client.get("/api/machineactions")
    err = assert_error(r, 429, "TooManyRequests", "Destination+TenantID+AppID")
    assert "You can send requests again in 60 seconds" in err["message"]
    assert httpx.get(f"{s.api}/api/libraryfiles", headers=AUTH).status_code == 200
