"""Evidence bundles with RunScript output (issue 9): the seed's sequence (RunScript + GetFile) on 3 machines,
exported; the manifest lists 6 commands with hashes (both RunScript output files too); verify passes; one
altered byte of any file, or one altered journal entry, makes it fail naming what changed."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import stat

import pytest

from lrtui.api.errors import ValidationError
from lrtui.engine.export import export_bundle, verify_bundle
from lrtui.engine.jobs import Outcome

from .conftest import make_sim, usable
from .helpers import seq as sequence

SEED_SEQUENCE = (("RunScript", "Get-Processes.ps1"), ("GetFile", r"C:\Windows\System32\drivers\etc\hosts"))


def _flip(path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.fixture
async def bundle(engine_factory, journal, tmp_path):
    sim = make_sim()
    eng = await engine_factory(sim)
    jobs = await eng.submit(sequence(*SEED_SEQUENCE), usable(sim, 3))
    await eng.wait_idle(timeout=60)
    assert [j.outcome for j in jobs] == [Outcome.SUCCEEDED] * 3, [j.error_message for j in jobs]
    result = await export_bundle(journal, "case-42", tmp_path / "bundle")
    return result, jobs


async def test_manifest_lists_every_command_with_its_files_and_hashes(bundle):
    result, jobs = bundle
    out, manifest = result.out, result.manifest
    assert result.ok and result.problems == [] and manifest["ok"] is True
    assert (result.jobs, result.commands, result.files) == (3, 6, 12)
    rows = list(csv.DictReader(open(out / "manifest.csv", encoding="utf-8")))
    assert len(rows) == 6 and rows == [{k: str(v) for k, v in r.items()} for r in manifest["records"]]
    for row in rows:
        assert row["sha256"] and row["file"], row  # no empty hash column, RunScript rows included
        if row["command"].startswith("RunScript"):
            assert row["stdout_file"].endswith("0-stdout.txt") and row["stderr_file"].endswith("0-stderr.txt")
            assert row["stdout_sha256"] and row["stderr_sha256"] and row["file"].endswith("0-result.json")
            assert row["exit_code"] == "0"
    by_role = {}
    for f in manifest["files"]:
        by_role.setdefault(f["role"], []).append(f)
    assert {k: len(v) for k, v in by_role.items()} == {"file": 3, "result": 3, "stdout": 3, "stderr": 3}
    job = next(j for j in jobs if j.id == by_role["stdout"][0]["job_id"])
    assert (out / by_role["stdout"][0]["file"]).read_bytes() == open(job.results[0].stdout_path, "rb").read()
    assert verify_bundle(out) == []
    # 0600 files in 0700 folders
    for dirpath, _dirnames, filenames in os.walk(out):
        assert stat.S_IMODE(os.stat(dirpath).st_mode) == 0o700, dirpath
        for name in filenames:
            assert stat.S_IMODE(os.stat(os.path.join(dirpath, name)).st_mode) == 0o600, name


@pytest.mark.parametrize("role", ["stdout", "stderr", "result", "file"])
async def test_one_altered_byte_of_any_file_is_named(bundle, role):
    result, _ = bundle
    f = next(f for f in result.manifest["files"] if f["role"] == role)
    path = result.out / f["file"]
    if role == "stderr" and not path.stat().st_size:
        path.write_bytes(b"x")
    else:
        _flip(path)
    problems = verify_bundle(result.out)
    assert problems and all(f["file"] in p for p in problems), problems


async def test_a_hash_changed_in_the_manifest_with_its_file_is_named(bundle):
    result, _ = bundle
    manifest = json.loads((result.out / "manifest.json").read_text())
    f = next(f for f in manifest["files"] if f["role"] == "stdout")
    path = result.out / f["file"]
    path.write_bytes(b"forged output\n")
    f["sha256"] = hashlib.sha256(b"forged output\n").hexdigest()
    (result.out / "manifest.json").write_text(json.dumps(manifest))
    problems = verify_bundle(result.out)
    assert any(f["file"] in p and "journal recorded" in p for p in problems), problems


async def test_one_altered_journal_entry_is_named(bundle):
    result, _ = bundle
    lines = (result.out / "entries.jsonl").read_text().splitlines()
    entries = [json.loads(x) for x in lines]
    i = next(k for k, e in enumerate(entries) if e.get("kind") == "result")
    entries[i]["data"]["stdout_sha256"] = "0" * 64
    (result.out / "entries.jsonl").write_text("\n".join(json.dumps(e) for e in entries) + "\n")
    problems = verify_bundle(result.out)
    assert any(f"entry {entries[i]['seq']} was changed" in p for p in problems), problems
    assert any(p.startswith("entries.jsonl: changed") for p in problems)


async def test_a_tampered_journal_is_never_exported_as_ok(engine_factory, journal, tmp_path):
    sim = make_sim()
    eng = await engine_factory(sim)
    await eng.submit(sequence(*SEED_SEQUENCE), usable(sim, 1))
    await eng.wait_idle(timeout=60)
    journal.db.execute("DROP TRIGGER entries_no_update")
    journal.db.execute("UPDATE entries SET data = replace(data, 'Completed', 'Failed') WHERE kind = 'result'")
    result = await export_bundle(journal, "case-42", tmp_path / "b")
    assert not result.ok and any("was changed after it was written" in p for p in result.problems)
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["ok"] is False and manifest["problems"] == result.problems
    assert verify_bundle(tmp_path / "b")


async def test_export_refuses_an_existing_file_or_folder(journal, tmp_path):
    (tmp_path / "taken").write_text("mine")
    with pytest.raises(ValidationError, match="already exists"):
        await export_bundle(journal, "case-42", tmp_path / "taken")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    with pytest.raises(ValidationError, match="already exists"):
        await export_bundle(journal, "case-42", tmp_path / "full")
    [problem] = verify_bundle(tmp_path / "nothing-here")
    assert "not a readable bundle" in problem and "manifest.json" in problem
