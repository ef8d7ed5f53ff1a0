"""GET/POST/DELETE /api/libraryfiles."""

from __future__ import annotations

from .conftest import WIN, assert_error, run


def upload(srv, name, content=b"Write-Output hi\n", **fields):
    data = {k: v for k, v in fields.items()}
    return srv.client.post("/api/libraryfiles", files={"file": (name, content, "application/octet-stream")}, data=data)


def test_list_shape(srv):
    r = srv.client.get("/api/libraryfiles")
    assert r.status_code == 200 and r.headers["odata-version"] == "4.0"
    body = r.json()
    assert body["@odata.context"].endswith("/api/$metadata#LibraryFiles")
    names = {f["fileName"] for f in body["value"]}
    assert {
        "Get-Processes.ps1",
        "Invoke-Triage.ps1",
        "minidump.ps1",
        "yara_scan.ps1",
        "ps_list.sh",
        "triage.sh",
    } <= names
    for f in body["value"]:
        assert {
            "fileName",
            "sha256",
            "description",
            "creationTime",
            "lastUpdatedTime",
            "createdBy",
            "hasParameters",
        } <= set(f)
        assert len(f["sha256"]) == 64
        if f["hasParameters"]:
            assert f["parametersDescription"]
    md = next(f for f in body["value"] if f["fileName"] == "minidump.ps1")
    assert md["hasParameters"] is True and "ProcessName" in md["parametersDescription"]


def test_upload_override_delete(srv):
    src = b"# sim: exit_code=3 stderr=boom duration=5\nWrite-Output 'hello'\n"
    r = upload(srv, "My-Script_1.ps1", src, Description="mine", ParametersDescription="-X", HasParameters="true")
    assert r.status_code == 200, r.text
    e = r.json()
    assert e["fileName"] == "My-Script_1.ps1" and e["description"] == "mine" and e["hasParameters"] is True
    assert e["parametersDescription"] == "-X" and e["createdBy"] == srv.sim.config.app_name
    import hashlib

    assert e["sha256"] == hashlib.sha256(src).hexdigest()
    assert "My-Script_1.ps1" in {f["fileName"] for f in srv.client.get("/api/libraryfiles").json()["value"]}
    assert_error(upload(srv, "My-Script_1.ps1", b"x"), 400, "BadRequest", "already exists")
    r = upload(srv, "My-Script_1.ps1", src, OverrideIfExists="true", Description="v2")
    assert r.status_code == 200 and r.json()["description"] == "v2"
    # the uploaded script runs with its directives
    a = srv.post_lr(WIN, run("My-Script_1.ps1")).json()
    x = srv.run_until_final(a["id"], step=10)
    link = srv.link(x["id"], 0).json()["value"]
    import httpx

    res = httpx.get(link).json()
    assert res["exit_code"] == 3 and res["script_errors"] == "boom"
    r = srv.client.delete("/api/libraryfiles/My-Script_1.ps1")
    assert r.status_code == 204 and r.content == b""
    assert_error(srv.client.delete("/api/libraryfiles/My-Script_1.ps1"), 404, "ResourceNotFound")
    assert_error(srv.post_lr(WIN, run("My-Script_1.ps1")), 400, "InvalidRequestBody", "not found in the library")


def test_upload_validation(srv):
    assert_error(upload(srv, "bad name!.ps1"), 400, "InvalidRequestBody", "letters, digits")
    assert_error(upload(srv, "big.bin", b"\0" * (20 * 1024 * 1024 + 1)), 400, "InvalidRequestBody", "20 MB")
    assert upload(srv, "exactly20.bin", b"\0" * (20 * 1024 * 1024)).status_code == 200
    r = srv.client.post("/api/libraryfiles", data={"Description": "no file"}, files={"other": ("x", b"y")})
    assert_error(r, 400, "InvalidRequestBody", "file")
    assert_error(srv.client.post("/api/libraryfiles", json={"file": "x"}), 400, "InvalidRequestBody", "multipart")
    assert_error(upload(srv, "ok.ps1", b"x", HasParameters="maybe"), 400, "InvalidRequestBody", "HasParameters")
    assert_error(srv.client.delete("/api/libraryfiles/none.ps1"), 404, "ResourceNotFound")
