"""GetLiveResponseResultDownloadLink and the blob origin (signatures, expiry, bodies, streaming)."""

from __future__ import annotations

import gzip
import io
import json
import re
import zipfile
import zlib
from urllib.parse import parse_qs, urlsplit

import httpx

from .conftest import LINUX, MAC, WIN, WIN_HOSTS, assert_error, getfile, putfile, run

TRANSCRIPT = "C:\\ProgramData\\Microsoft\\Windows Defender Advanced Threat Protection\\Temp\\PSScriptOutputs\\"


def finished(srv, machine, *cmds):
    a = srv.post_lr(machine, *cmds)
    assert a.status_code == 201, a.text
    return srv.run_until_final(a.json()["id"], step=20)


def fetch(url: str, **kw) -> httpx.Response:
    return httpx.get(url, timeout=30, **kw)


def test_link_shape_and_runscript_body(srv):
    x = finished(srv, WIN, putfile("rules.yar"), run("Get-Processes.ps1"), getfile(WIN_HOSTS))
    assert x["status"] == "Succeeded"
    r = srv.link(x["id"], 1)
    assert r.status_code == 200 and r.headers["odata-version"] == "4.0"
    body = r.json()
    assert body["@odata.context"].endswith("/api/$metadata#Edm.String")
    url = body["value"]
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == srv.blob
    assert re.fullmatch(r"/investigation-actions-data/[^/]+/CustomPlaybookCommandOutput/[0-9a-f]{64}", parts.path)
    q = parse_qs(parts.query)
    assert q["sp"] == ["r"] and q["sr"] == ["b"] and "se" in q and "sig" in q
    b = fetch(url)
    assert b.status_code == 200
    assert "content-encoding" not in b.headers and int(b.headers["content-length"]) == len(b.content)
    res = json.loads(b.content)
    assert set(res) == {"script_name", "exit_code", "script_output", "script_errors"}
    assert res["script_name"] == "Get-Processes.ps1" and res["exit_code"] == 0
    assert "Transcript started, output file is " + TRANSCRIPT in res["script_output"]
    assert res["script_output"].startswith("**********************\nWindows PowerShell transcript start")
    # attacker-controlled strings survive verbatim: escapes, OSC titles, bidi overrides, markup brackets
    out = res["script_output"]
    assert (
        "\x1b[31m" in out
        and "\x1b]0;" in out
        and "\u202e" in out
        and "[bold]" in out
        and "[/" in out
        and "[link=" in out
    )
    assert srv.sim.state.auth_leaks == 0
    # the link is regenerated on every call, the content is the same
    b2 = fetch(srv.link(x["id"], 1).json()["value"])
    assert b2.content == b.content


def test_getfile_is_gzip_and_deterministic(srv):
    x = finished(srv, WIN, getfile(WIN_HOSTS), getfile("C:\\Users\\alice\\Desktop\\notes.txt"))
    b = fetch(srv.link(x["id"], 0).json()["value"])
    assert b.content[:2] == b"\x1f\x8b" and "content-encoding" not in b.headers
    assert int(b.headers["content-length"]) == len(b.content)
    hosts = gzip.decompress(b.content)
    assert b"localhost" in hosts
    y = finished(srv, WIN, getfile(WIN_HOSTS))
    assert fetch(srv.link(y["id"], 0).json()["value"]).content == b.content
    notes = gzip.decompress(fetch(srv.link(x["id"], 1).json()["value"]).content)
    assert len(notes) > 500


def test_linux_runscript_has_no_transcript(srv):
    x = finished(srv, LINUX, run("ps_list.sh"), getfile("/etc/passwd"))
    res = fetch(srv.link(x["id"], 0).json()["value"]).json()
    assert "transcript" not in res["script_output"].lower() and "PID" in res["script_output"]
    assert b"root:x:0:0" in gzip.decompress(fetch(srv.link(x["id"], 1).json()["value"]).content)


def test_wrong_platform_script_fails_command(srv):
    x = finished(srv, MAC, run("Get-Processes.ps1"))
    assert x["status"] == "Failed" and "PowerShell" in x["commands"][0]["errors"][0]


def test_link_errors(srv):
    x = finished(
        srv, WIN, putfile("rules.yar"), run("Get-Processes.ps1"), getfile("C:\\missing\\x.txt"), getfile(WIN_HOSTS)
    )
    assert x["status"] == "Failed"
    assert_error(srv.link(x["id"], 0), 400, "BadRequest", "PutFile")
    assert_error(srv.link(x["id"], 2), 400, "BadRequest", "failed")
    assert_error(srv.link(x["id"], 3), 400, "BadRequest", "not completed")
    assert_error(srv.link(x["id"], 9), 400, "BadRequest", "out of range")
    assert_error(
        srv.client.get(f"/api/machineactions/{x['id']}/GetLiveResponseResultDownloadLink(index=abc)"), 400, "BadRequest"
    )
    assert_error(srv.link("not-a-guid", 0), 400, "BadRequest", "Edm.Guid")
    assert_error(srv.link("11111111-2222-4333-8444-555555555555", 0), 404, "ResourceNotFound")
    assert srv.link(x["id"], 1).status_code == 200
    # unfinished command
    a = srv.post_lr(WIN, run("Get-Processes.ps1")).json()
    assert_error(srv.link(a["id"], 0), 400, "BadRequest", "not completed")


def test_blob_signature_expiry_and_auth_leak(srv, caplog):
    x = finished(srv, WIN, run("Get-NetConnections.ps1"))
    url = srv.link(x["id"], 0).json()["value"]
    assert fetch(url).status_code == 200
    bad = re.sub(r"sig=[^&]+", "sig=AAAA", url)
    r = fetch(bad)
    assert r.status_code == 403 and b"<Code>AuthenticationFailed</Code>" in r.content
    tampered = url.replace("se=", "se=2099").replace("se=2099", "se=", 1)  # same url
    assert fetch(tampered).status_code == 200
    other_expiry = re.sub(r"se=[^&]+", "se=2099-01-01T00%3A00%3A00Z", url)
    assert fetch(other_expiry).status_code == 403  # the signature covers the expiry
    assert fetch(url.split("?")[0]).status_code == 403
    # Authorization header: answered, but counted and logged loudly
    with caplog.at_level("WARNING", logger="lrtui.sim"):
        r = fetch(url, headers={"Authorization": "Bearer demo-token"})
    assert r.status_code == 200 and srv.sim.state.auth_leaks == 1
    assert any("Authorization" in rec.getMessage() for rec in caplog.records)
    # 30 minutes later the link is dead; a fresh one works
    srv.tick(30 * 60 + 1)
    r = fetch(url)
    assert r.status_code == 403 and b"AuthenticationFailed" in r.content
    assert fetch(srv.link(x["id"], 0).json()["value"]).status_code == 200


def test_link_expiry_scaled(make_server):
    s = make_server(time_scale=0.01)
    a = s.post_lr(WIN, run("Get-NetConnections.ps1")).json()
    x = s.run_until_final(a["id"], step=0.05)
    url = s.link(x["id"], 0).json()["value"]
    s.tick(17)
    assert fetch(url).status_code == 200
    s.tick(2)  # 1800 s * 0.01 = 18 s
    assert fetch(url).status_code == 403


def test_triage_creates_archive(srv):
    host = srv.sim.state.machines[WIN].name.split(".")[0].upper()
    archive = f"C:\\Windows\\Temp\\triage-{host}.zip"
    before = finished(srv, WIN, getfile(archive))
    assert before["status"] == "Failed"
    x = finished(srv, WIN, run("Invoke-Triage.ps1", "-Quick"), getfile(archive))
    assert x["status"] == "Succeeded", x
    out = fetch(srv.link(x["id"], 0).json()["value"]).json()
    assert archive in out["script_output"]
    raw = gzip.decompress(fetch(srv.link(x["id"], 1).json()["value"]).content)
    assert raw[:2] == b"PK"
    assert "manifest.json" in zipfile.ZipFile(io.BytesIO(raw)).namelist()
    # and it stays there
    assert finished(srv, WIN, getfile(archive))["status"] == "Succeeded"


def test_script_behaviours(srv):
    x = finished(srv, WIN, run("minidump.ps1"))
    res = fetch(srv.link(x["id"], 0).json()["value"]).json()
    assert x["status"] == "Succeeded" and res["exit_code"] == 2 and "ProcessName" in res["script_errors"]
    x = finished(srv, WIN, run("minidump.ps1", "-ProcessName lsass"), getfile("C:\\Windows\\Temp\\lsass_0.dmp"))
    assert x["status"] == "Failed"  # wrong pid in the path
    res = fetch(srv.link(x["id"], 0).json()["value"]).json()
    path = re.search(r"Dump written: (\S+\.dmp)", res["script_output"]).group(1)
    y = finished(srv, WIN, getfile(path))
    assert y["status"] == "Succeeded"
    assert gzip.decompress(fetch(srv.link(y["id"], 0).json()["value"]).content)[:4] == b"MDMP"
    x = finished(srv, WIN, run("Export-EventLogs.ps1"))
    res = fetch(srv.link(x["id"], 0).json()["value"]).json()
    assert len(res["script_output"]) > 1_000_000
    x = finished(srv, WIN, run("Get-InstalledSoftware.ps1"))
    res = fetch(srv.link(x["id"], 0).json()["value"]).json()
    assert res["exit_code"] == 0 and res["script_errors"]


def test_putfile_lands_on_device(srv):
    x = finished(
        srv,
        WIN,
        putfile("rules.yar"),
        getfile("C:\\ProgramData\\Microsoft\\Windows Defender Advanced Threat Protection\\Downloads\\rules.yar"),
    )
    assert x["status"] == "Succeeded"
    data = gzip.decompress(fetch(srv.link(x["id"], 1).json()["value"]).content)
    assert data == srv.sim.state.library["rules.yar"].content


def test_bench_file_streams(srv):
    x = finished(srv, WIN, getfile("C:\\bench\\48MiB.bin"))
    assert x["status"] == "Succeeded"
    url = srv.link(x["id"], 0).json()["value"]
    size = 0
    received = 0
    d = zlib.decompressobj(wbits=31)
    with httpx.stream("GET", url, timeout=30) as r:
        assert r.status_code == 200 and "content-encoding" not in r.headers
        length = int(r.headers["content-length"])
        for chunk in r.iter_raw():
            received += len(chunk)
            while chunk:
                size += len(d.decompress(chunk))
                chunk = d.unused_data
                if chunk:
                    d = zlib.decompressobj(wbits=31)
    assert received == length and size == 48 * 1024 * 1024
    # ranges for resumable downloads
    r = httpx.get(url, headers={"Range": "bytes=100-199"})
    assert r.status_code == 206 and len(r.content) == 100 and r.headers["content-range"] == f"bytes 100-199/{length}"
    head = httpx.head(url)
    assert head.status_code == 200 and int(head.headers["content-length"]) == length


def test_blob_method_and_unknown_blob(srv):
    x = finished(srv, WIN, run("Get-NetConnections.ps1"))
    url = srv.link(x["id"], 0).json()["value"]
    r = httpx.post(url)
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"
    parts = urlsplit(url)
    fake = parts.path[:-64] + "0" * 64
    se = parse_qs(parts.query)["se"][0]
    from urllib.parse import quote

    r = fetch(f"{srv.blob}{fake}?sv=2020-08-04&se={quote(se)}&sr=b&sp=r&sig={quote(srv.sim.links.sign(fake, se))}")
    assert r.status_code == 404 and b"BlobNotFound" in r.content
