"""RunScript output is evidence, not a column (issues 14 and 9): stdout, stderr and the raw result document are
streamed to files with their sha256; the job, the journal, results.json and --json keep only previews."""

from __future__ import annotations

import hashlib
import json
import os
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrtui.engine import codec
from lrtui.engine.codec import DocumentError, extract_script_document
from lrtui.engine.jobs import PREVIEW_CHARS, Outcome, job_to_json
from lrtui.sim.library import behaviours

from .conftest import make_sim, usable
from .helpers import seq as sequence

#: enough NULs and ESCs that the escaped document (\u0000 is 6 bytes) passes the old 64 MiB in-memory cap
NASTY = "\x00\x1b[31m\u202e\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
REPEAT = 1_000_000


def _escapes(run):
    return run.plan(1.0, lambda: ("start\n" + NASTY * REPEAT + "end\n\x00\x00\x00", ""))


async def _upload_and_run(engine_factory, monkeypatch, name, behaviour, n=1, tail=()):
    monkeypatch.setitem(behaviours.BEHAVIOURS, name, behaviour)
    sim = make_sim()
    eng = await engine_factory(sim)
    await eng.client.library.upload(name, b"# sim: duration=1\nWrite-Output hi\n")
    machines = usable(sim, n)
    jobs = await eng.submit(sequence(("RunScript", name), *tail), machines)
    await eng.wait_idle(timeout=120)
    return sim, eng, jobs


def _mode(p) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


async def test_script_output_streams_to_files_whole_with_hashes(engine_factory, journal, monkeypatch):
    sim, eng, [job] = await _upload_and_run(engine_factory, monkeypatch, "escapes.ps1", _escapes)
    assert job.outcome is Outcome.SUCCEEDED, (job.error_message, job.results)
    [r] = job.results
    out, err = sim.state.actions[job.action_id].commands[0].plan.render()
    doc = json.dumps({"script_name": "escapes.ps1", "exit_code": 0, "script_output": out, "script_errors": err})
    assert len(doc.encode()) > 64 << 20  # escaped, the document is past the old cap: it was refused whole
    # the whole stdout, NULs and escapes kept, in its file with its hash; the raw document as received
    with open(r.stdout_path, "rb") as f:
        data = f.read()
    assert data == out.encode() and data.endswith(b"end\n\x00\x00\x00")
    assert r.stdout_sha256 == hashlib.sha256(data).hexdigest() and r.stdout_size == len(data)
    assert open(r.stderr_path, "rb").read() == b"" and r.stderr_size == 0
    raw = hashlib.sha256(open(r.result_path, "rb").read()).hexdigest()
    assert r.result_sha256 == raw
    # the job keeps a preview only
    assert r.script is not None and r.script.exit_code == 0 and r.output_truncated
    assert r.script.script_output == out[:PREVIEW_CHARS]
    # private files and folders
    for p in (r.stdout_path, r.stderr_path, r.result_path):
        assert _mode(p) == 0o600 and _mode(os.path.dirname(p)) == 0o700
    # the journal's rows and entries and results.json/--json stay small; the files are named in them
    rows = journal.db.execute("SELECT length(data) FROM jobs").fetchall()
    assert max(n for (n,) in rows) < 1 << 20
    entry = [e for e in journal.entries() if e.kind == "result"][-1]
    assert entry.data["stdout_sha256"] == r.stdout_sha256 and "script_output" not in entry.data["script"]
    assert len(json.dumps(entry.data)) < 4096
    doc_json = json.dumps(job_to_json(job))
    assert len(doc_json) < 1 << 20
    files = job_to_json(job)["results"][0]["script_files"]
    assert files["stdout"]["sha256"] == r.stdout_sha256 and files["result"]["path"] == r.result_path
    # read back from the journal: same paths, hashes and preview
    back = journal.get_job(job.id).results[0]
    assert (back.stdout_path, back.stdout_sha256, back.output_truncated) == (r.stdout_path, r.stdout_sha256, True)


async def test_stderr_and_exit_code_still_decide_the_outcome(engine_factory, monkeypatch):
    def failing(run):
        return run.plan(1.0, lambda: ("partial\n", "Access denied\n" * 10_000), exit_code=5)

    _sim, _eng, [job] = await _upload_and_run(engine_factory, monkeypatch, "fails.ps1", failing)
    [r] = job.results
    assert job.outcome is Outcome.SCRIPT_FAILED and r.script.exit_code == 5
    assert open(r.stderr_path, encoding="utf-8").read() == "Access denied\n" * 10_000
    assert r.output_truncated and r.script.script_errors == ("Access denied\n" * 10_000)[:PREVIEW_CHARS]
    assert r.script.script_output == open(r.stdout_path, encoding="utf-8").read()


@settings(max_examples=150, deadline=None)
@given(
    out=st.text(alphabet=st.sampled_from(list('ab"\\\n\r\x00\x1bé😀\ud800\u202e{} ')), max_size=300),
    err=st.text(max_size=40),
    chunk=st.integers(min_value=1, max_value=9),
    ascii_only=st.booleans(),
    indent=st.sampled_from([None, 1]),
)
def test_extractor_round_trips_any_text_at_any_chunk_size(tmp_path_factory, out, err, chunk, ascii_only, indent):
    d = tmp_path_factory.mktemp("x")
    if not ascii_only:  # a lone surrogate cannot be written as UTF-8; only its \\ud800 escape can carry it
        out, err = out.replace("\ud800", "?"), "".join(c for c in err if not "\ud800" <= c <= "\udfff")
    doc = {
        "exit_code": 3,
        "script_output": out,
        "script_name": "s.ps1",
        "extra": [1, {"a": None}],
        "script_errors": err,
    }
    (d / "doc.json").write_bytes(
        json.dumps(doc, ensure_ascii=ascii_only, indent=indent).encode("utf-8", "surrogatepass")
    )
    old = codec.READ_CHARS
    codec.READ_CHARS = chunk
    try:
        got = extract_script_document(d / "doc.json", d / "out", d / "err", 7)
    finally:
        codec.READ_CHARS = old
    assert (d / "out").read_bytes() == out.encode("utf-8", "surrogatepass")
    assert (d / "err").read_bytes() == err.encode("utf-8", "surrogatepass")
    assert got.fields["exit_code"] == 3 and got.fields["script_name"] == "s.ps1"
    assert got.stdout.preview == out[:7] and got.stdout.truncated == (len(out) > 7)


@pytest.mark.parametrize(
    "text",
    [
        b"not json",
        b'{"script_output": "abc',  # cut inside a text
        b'{"script_output": 5}',
        b'{"script_output": "a\\uZZZZb"}',
        b'{"script_output": "a", "script_output": "b"}',
        b"[" * 100_000,
        b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"script_output": "x"} trailing',
        b'{"script_output": "\xff"}',
    ],
)
def test_extractor_names_a_bad_document_and_leaves_no_part_files(tmp_path, text):
    (tmp_path / "doc.json").write_bytes(text)
    with pytest.raises(DocumentError):
        extract_script_document(tmp_path / "doc.json", tmp_path / "out", tmp_path / "err", 10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.json"]
