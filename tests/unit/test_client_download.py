"""Result downloads: no token to the blob host, https only, gzip by magic, both hashes, .part, caps, redaction."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tracemalloc
import zipfile

import httpx
import pytest

from lrtui.api import errors as E
from lrtui.api.auth import BearerAuth, StaticToken

from .conftest import AID, MID, Chunks, action

SAS = "https://stacc.blob.core.windows.net/investigation-actions-data/abc/CustomPlaybookCommandOutput/h1?sv=2020-08-04&sr=b&sp=r&se=2030-01-01T00%3A00%3A00Z&sig=TOPSECRETSIG%2Bx%3D"


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def stream(data: bytes, size: int = 65536, headers=None, on_chunk=None) -> httpx.Response:
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    return httpx.Response(200, stream=Chunks(chunks, on_chunk), headers=headers or {})


async def test_no_authorization_ever_reaches_the_blob_host(h, tmp_path):
    payload = gzip.compress(b"evidence" * 100)

    def api(req):
        if "GetLiveResponseResultDownloadLink" in req.url.path:
            return httpx.Response(200, json={"value": SAS})
        return httpx.Response(200, json=action())

    c = h.client(api, lambda r: stream(payload), auth=BearerAuth(StaticToken("the-bearer-token")))
    await c.actions.get(AID)
    link = await c.results.get_link(AID, 0)
    await c.results.download(link, tmp_path / "out.bin")
    assert all(r.headers["authorization"] == "Bearer the-bearer-token" for r in h.requests)
    (blob,) = h.blob_requests
    assert "authorization" not in {k.lower() for k in blob.headers.keys()}
    assert "the-bearer-token" not in str(blob.headers)
    assert "cookie" not in {k.lower() for k in blob.headers.keys()}
    assert blob.headers["accept-encoding"] == "identity"
    assert str(blob.url) == SAS  # the link is used verbatim


async def test_sas_signature_never_in_records_or_errors(h, tmp_path):
    xml = b"<?xml version='1.0'?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate.</Message></Error>"
    c = h.client(lambda r: httpx.Response(200), lambda r: httpx.Response(403, content=xml))
    with pytest.raises(E.ResultLinkError) as ei:
        await c.results.download(SAS, tmp_path / "x.bin")
    assert ei.value.code == "AuthenticationFailed" and ei.value.status == 403
    assert "TOPSECRETSIG" not in ei.value.user_message() and "TOPSECRETSIG" not in ei.value.url
    (rec,) = h.records
    assert "TOPSECRETSIG" not in rec.url and "sig=REDACTED" in rec.url
    assert rec.url.startswith("https://stacc.blob.core.windows.net/investigation-actions-data/abc/")
    assert (rec.method, rec.status, rec.error) == ("GET", 403, "AuthenticationFailed")
    assert not (tmp_path / "x.bin").exists() and not (tmp_path / "x.bin.part").exists()


async def test_successful_download_record_is_redacted(h, tmp_path):
    c = h.client(lambda r: httpx.Response(200), lambda r: stream(b"plain"))
    await c.results.download(SAS, tmp_path / "x.bin")
    assert [r.status for r in h.records] == [200]
    assert all("TOPSECRETSIG" not in r.url for r in h.records)


@pytest.mark.parametrize(
    "url",
    [
        "http://stacc.blob.core.windows.net/c/b?sig=x",
        "ftp://127.0.0.1/x",
        "file:///etc/passwd",
        "http://127.0.0.1.evil.example/x",
        "https://user:pw@stacc.blob.core.windows.net/c/b",
        "not a url",
    ],
)
async def test_unsafe_links_refused_without_a_request(h, tmp_path, url):
    c = h.client(lambda r: httpx.Response(200), lambda r: stream(b"x"))
    with pytest.raises(E.UnsafeDownload):
        await c.results.download(url, tmp_path / "x.bin")
    assert h.blob_requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8766/b?sig=s",
        "http://127.5.6.7/b",
        "http://[::1]:9/b",
        "http://localhost/b",
        "http://blob.localhost/b",
    ],
)
async def test_loopback_http_allowed(h, tmp_path, url):
    c = h.client(lambda r: httpx.Response(200), lambda r: stream(b"data"))
    res = await c.results.download(url, tmp_path / "x.bin")
    assert res.size == 4 and (tmp_path / "x.bin").read_bytes() == b"data"


async def test_gzip_detected_decompressed_and_both_hashes(h, tmp_path):
    original = bytes(range(256)) * 4096 + b"tail"
    gz = gzip.compress(original)
    c = h.client(lambda r: httpx.Response(200), lambda r: stream(gz, 7777))
    res = await c.results.download(SAS, tmp_path / "file.dmp")
    assert res.compression == "gzip"
    assert res.path == tmp_path / "file.dmp"
    assert res.path.read_bytes() == original
    assert (res.size, res.received_size) == (len(original), len(gz))
    assert res.sha256 == sha(original)
    assert res.sha256_received == sha(gz)
    assert not (tmp_path / "file.dmp.part").exists()


async def test_blob_content_encoding_gzip_is_not_decoded_twice(h, tmp_path):
    original = b"A" * 100_000
    gz = gzip.compress(original)
    c = h.client(
        lambda r: httpx.Response(200),
        lambda r: stream(gz, headers={"Content-Encoding": "gzip", "Content-Length": str(len(gz))}),
    )
    res = await c.results.download(SAS, tmp_path / "f")
    assert res.compression == "gzip" and res.received_size == len(gz)
    assert res.path.read_bytes() == original and res.sha256_received == sha(gz)


async def test_multi_member_gzip_and_zero_padding(h, tmp_path):
    data = gzip.compress(b"first-") + gzip.compress(b"second-") + gzip.compress(b"third") + b"\0" * 10
    c = h.client(lambda r: httpx.Response(200), lambda r: stream(data, 5))
    res = await c.results.download(SAS, tmp_path / "f")
    assert res.path.read_bytes() == b"first-second-third"
    assert res.sha256_received == sha(data)


async def test_zip_kept_as_is(h, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "hello")
    raw = buf.getvalue()
    c = h.client(lambda r: httpx.Response(200), lambda r: stream(raw))
    res = await c.results.download(SAS, tmp_path / "r.zip")
    assert res.compression == "zip" and res.path.read_bytes() == raw
    assert res.sha256 == res.sha256_received == sha(raw)


async def test_plain_and_tiny_bodies(h, tmp_path):
    for body, kind in ((b"x", "none"), (b"", "none"), (b"\x1f", "none"), (b"hello world", "none")):
        c = h.client(lambda r: httpx.Response(200), lambda r, b=body: stream(b, 1))
        res = await c.results.download(SAS, tmp_path / "p")
        assert res.compression == kind and res.path.read_bytes() == body and res.sha256 == sha(body)


async def test_part_file_then_rename(h, tmp_path):
    dest = tmp_path / "out.bin"
    seen = []

    def watch(i):
        seen.append((dest.exists(), (tmp_path / "out.bin.part").exists()))

    c = h.client(lambda r: httpx.Response(200), lambda r: stream(b"z" * 300_000, 100_000, on_chunk=watch))
    await c.results.download(SAS, dest, chunk=100_000)
    assert seen[0] == (False, True) and all(s == (False, True) for s in seen[1:])
    assert dest.exists() and not (tmp_path / "out.bin.part").exists()
    assert oct(dest.stat().st_mode & 0o777) == "0o600"


async def test_decompression_cap_removes_partial(h, tmp_path):
    bomb = gzip.compress(b"\0" * (20 << 20))
    c = h.client(lambda r: httpx.Response(200), lambda r: stream(bomb))
    with pytest.raises(E.DecompressionLimit):
        await c.results.download(SAS, tmp_path / "bomb", max_decompressed=1 << 20)
    assert list(tmp_path.iterdir()) == []
    assert h.records[-1].error == "DecompressionLimit"


async def test_received_cap_by_header_and_by_stream(h, tmp_path):
    c = h.client(lambda r: httpx.Response(200), lambda r: stream(b"y" * 5000, headers={"Content-Length": "5000"}))
    with pytest.raises(E.DownloadTooLarge):
        await c.results.download(SAS, tmp_path / "a", max_received=4000)
    c2 = h.client(lambda r: httpx.Response(200), lambda r: stream(b"y" * 5000, 1000))
    with pytest.raises(E.DownloadTooLarge):
        await c2.results.download(SAS, tmp_path / "b", max_received=4000)
    assert list(tmp_path.iterdir()) == []


async def test_truncated_gzip_and_garbage(h, tmp_path):
    gz = gzip.compress(b"q" * 100_000)
    c = h.client(lambda r: httpx.Response(200), lambda r: stream(gz[: len(gz) // 2]))
    with pytest.raises(E.CorruptDownload, match="truncated"):
        await c.results.download(SAS, tmp_path / "t")
    c2 = h.client(lambda r: httpx.Response(200), lambda r: stream(gz + b"GARBAGE"))
    with pytest.raises(E.CorruptDownload, match="trailing data"):
        await c2.results.download(SAS, tmp_path / "g")
    c3 = h.client(lambda r: httpx.Response(200), lambda r: stream(b"\x1f\x8b" + b"\xff" * 50))
    with pytest.raises(E.CorruptDownload, match="corrupt"):
        await c3.results.download(SAS, tmp_path / "c")
    assert list(tmp_path.iterdir()) == []


async def test_connection_drop_mid_stream(h, tmp_path):
    class Drop(httpx.AsyncByteStream):
        async def __aiter__(self):
            yield b"x" * 1000
            raise httpx.ReadError("connection reset")

    c = h.client(lambda r: httpx.Response(200), lambda r: httpx.Response(200, stream=Drop()))
    with pytest.raises(E.TransportError) as ei:
        await c.results.download(SAS, tmp_path / "d")
    assert "TOPSECRETSIG" not in ei.value.user_message()
    assert list(tmp_path.iterdir()) == []


async def test_memory_stays_flat(h, tmp_path):
    original = bytes(range(256)) * (128 * 1024)  # 32 MiB
    gz = gzip.compress(original, compresslevel=1)
    chunks = [gz[i : i + (1 << 20)] for i in range(0, len(gz), 1 << 20)]
    c = h.client(lambda r: httpx.Response(200), lambda r: httpx.Response(200, stream=Chunks(chunks)))
    tracemalloc.start()
    try:
        res = await c.results.download(SAS, tmp_path / "big")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert res.size == len(original) and res.sha256 == sha(original)
    assert peak < 12 << 20, peak  # a few chunks, never the 32 MiB file


async def test_fetch_script_result_json_bom_and_gzip(h):
    doc = {
        "script_name": "collect.ps1",
        "exit_code": 0,
        "script_output": "Transcript started\nDone\n",
        "script_errors": "",
    }
    raw = json.dumps(doc).encode()
    bodies = iter([raw, b"\xef\xbb\xbf" + raw, gzip.compress(raw)])
    c = h.client(lambda r: httpx.Response(200), lambda r: stream(next(bodies)))
    for _ in range(3):
        s = await c.results.fetch_script_result(SAS)
        assert (s.script_name, s.exit_code, s.script_output, s.script_errors) == tuple(doc.values())
    c2 = h.client(lambda r: httpx.Response(200), lambda r: stream(b"<html>nope</html>"))
    with pytest.raises(E.UnexpectedResponse):
        await c2.results.fetch_script_result(SAS)
    with pytest.raises(E.UnsafeDownload):
        await c2.results.fetch_script_result("http://example.com/x")
    assert all("TOPSECRETSIG" not in r.url for r in h.records)


async def test_api_client_and_blob_client_are_separate(h):
    c = h.client(lambda r: httpx.Response(200, json={"id": MID}), auth=BearerAuth(StaticToken("tok")))
    assert c.transport.blob is not c.transport.http
    assert c.transport.blob.auth is None
    assert "authorization" not in {k.lower() for k in c.transport.blob.headers.keys()}


@pytest.mark.parametrize("offload", [True, False])
async def test_both_processing_modes_give_the_same_result(tmp_path, offload):
    from lrtui.api.download import download_to_file

    data = gzip.compress(b"a" * 300_000) + gzip.compress(b"b" * 5)
    transport = httpx.MockTransport(lambda r: stream(data, 4096))
    async with httpx.AsyncClient(transport=transport) as c:
        res = await download_to_file(c, SAS, tmp_path / "o", offload=offload, chunk=4096)
        assert res.path.read_bytes() == b"a" * 300_000 + b"bbbbb"
        assert (res.sha256_received, res.compression) == (sha(data), "gzip")
        bomb = gzip.compress(b"\0" * (8 << 20))
        c2 = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: stream(bomb)))
        with pytest.raises(E.DecompressionLimit):
            await download_to_file(c2, SAS, tmp_path / "b", offload=offload, max_decompressed=1 << 20)
        await c2.aclose()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


async def test_event_loop_keeps_running_while_inflating(h, tmp_path):
    import asyncio

    turns = 0

    async def other_task():
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    gz = gzip.compress(b"\0" * (64 << 20))  # one small chunk that inflates to 64 MiB
    c = h.client(lambda r: httpx.Response(200), lambda r: stream(gz, 1 << 20))
    t = asyncio.create_task(other_task())
    await asyncio.sleep(0)
    start = turns
    res = await c.results.download(SAS, tmp_path / "z")
    t.cancel()
    assert res.size == 64 << 20
    assert turns - start >= 60  # the loop ran between inflate steps, not once per chunk


async def test_many_member_gzip_download_and_script_result(h, tmp_path):
    parts = [b"line %d\n" % i for i in range(100_000)]
    payload = b"".join(gzip.compress(p, mtime=0) for p in parts)
    c = h.client(lambda r: httpx.Response(200), lambda r: stream(payload, 1 << 20))
    res = await c.results.download(SAS, tmp_path / "many.bin")
    assert (tmp_path / "many.bin").read_bytes() == b"".join(parts) and res.compression == "gzip"
    doc = json.dumps({"script_name": "a", "exit_code": 0, "script_output": "x" * 1000, "script_errors": None})
    doc_gz = b"".join(gzip.compress(doc[i : i + 10].encode(), mtime=0) for i in range(0, len(doc), 10))
    c2 = h.client(lambda r: httpx.Response(200), lambda r: stream(doc_gz))
    s = await c2.results.fetch_script_result(SAS)
    assert s.script_output == "x" * 1000 and s.script_errors == ""  # null stderr reads as ""


async def test_slow_drip_download_hits_the_deadline(h, tmp_path):
    import asyncio

    from lrtui.api.retry import RetryPolicy

    class Drip(httpx.AsyncByteStream):
        async def __aiter__(self):
            for _ in range(100):
                await asyncio.sleep(0.05)
                yield b"x"

    retry = RetryPolicy(download_grace_s=0.3, download_min_bytes_per_s=1000.0)
    c = h.client(lambda r: httpx.Response(200), lambda r: httpx.Response(200, stream=Drip()), retry=retry)
    with pytest.raises(E.RequestDeadlineExceeded, match="slower than 1,000 bytes/s"):
        await c.results.download(SAS, tmp_path / "drip.bin")
    assert not (tmp_path / "drip.bin").exists() and not (tmp_path / "drip.bin.part").exists()
    with pytest.raises(E.RequestDeadlineExceeded):
        await c.results.fetch_script_result(SAS)
    assert [r.error for r in h.records] == ["RequestDeadlineExceeded", "RequestDeadlineExceeded"]


async def test_deep_script_result_is_a_clear_error(h):
    c = h.client(lambda r: httpx.Response(200), lambda r: stream(b"[" * 5000 + b"]" * 5000))
    with pytest.raises(E.ResponseTooDeep):
        await c.results.fetch_script_result(SAS)
