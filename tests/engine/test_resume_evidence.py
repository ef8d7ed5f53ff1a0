"""Resume and downloads (issue 14): ``resume`` collects into the folder the run recorded (``results.json`` there is
the CLI's document: ``tests/cli/test_resume_results_shape.py``); a download that failed for want of disk space is
not marked done and ``resume`` collects it; the GetFile cap is the portal's 3 GB."""

from __future__ import annotations

import asyncio
import os
import stat

from lrtui.engine.batch import resume
from lrtui.engine.jobs import JobChanged, JobState, Outcome
from lrtui.engine.results import GIB, ResultLimits

from .conftest import inproc_client, make_sim, scaled_settings, usable
from .helpers import seq as sequence
from .helpers import wire_engine

SLOW = b"# sim: duration=200\nWrite-Output slow\n"  # 2 s at the tests' time scale


def _engine(sim, journal, data_dir, **kw):
    return wire_engine(lambda **ckw: inproc_client(sim, **ckw), journal, scaled_settings(), data_dir=data_dir, **kw)


async def _close(eng):
    await eng.stop()
    await eng.client.aclose()


async def test_resume_collects_where_the_run_did(journal, tmp_path):
    sim = make_sim()
    out = tmp_path / "case-out"
    first = _engine(sim, journal, out)  # `lrtui run --out case-out --no-wait`, then the process ends
    await first.start()
    await first.client.library.upload("slow.ps1", SLOW)
    jobs = await first.submit(
        sequence(("RunScript", "slow.ps1"), ("GetFile", r"C:\Windows\System32\drivers\etc\hosts")),
        usable(sim, 3),
        out_dir=out,
    )
    while any(j.action_id is None for j in jobs):
        await asyncio.sleep(0.02)
    await _close(first)
    assert not any(j.is_final for j in jobs)

    second = _engine(sim, journal, tmp_path / "default-data")  # `lrtui resume` without --out
    try:
        done = await resume(second, progress_every=0.1)
    finally:
        await _close(second)
    assert sorted(j.id for j in done) == sorted(j.id for j in jobs)
    assert all(j.outcome is Outcome.SUCCEEDED for j in done), [j.error_message for j in done]
    for j in done:
        for r in j.results:
            for p in (r.file_path, r.stdout_path, r.stderr_path, r.result_path):
                assert p is None or p.startswith(str(out / "evidence")), p
    assert not (tmp_path / "default-data" / "evidence").exists()
    assert stat.S_IMODE(os.stat(out / "evidence").st_mode) == 0o700
    assert not (out / "results.json").exists()  # the engine writes no document of its own: the CLI does


async def test_a_download_without_disk_space_is_not_done_and_resume_collects_it(journal, tmp_path):
    sim = make_sim()
    data = tmp_path / "data"
    greedy = ResultLimits(disk_margin=1 << 62)  # no disk has this much room left over
    first = _engine(sim, journal, data, limits=greedy)
    await first.start()
    try:
        [job] = await first.submit(
            sequence(("RunScript", "Get-Processes.ps1"), ("GetFile", r"C:\Windows\System32\drivers\etc\hosts")),
            usable(sim, 1),
            out_dir=data,
        )
        await first.wait_idle(timeout=60)
    finally:
        await _close(first)
    assert job.outcome is Outcome.API_ERROR
    for r in job.results:
        assert not r.downloaded and r.download_error and "Not enough free space in" in r.download_error
        assert str(data / "evidence") in r.download_error and "bytes are needed" in r.download_error
    assert journal.get_job(job.id).results[0].downloaded is False  # never journalled as done

    second = _engine(sim, journal, data)
    try:
        [again] = await resume(second, progress_every=0.1)
    finally:
        await _close(second)
    assert again.id == job.id and again.state is JobState.DONE and again.outcome is Outcome.SUCCEEDED
    assert all(r.downloaded and r.download_error is None for r in again.results)
    assert os.path.getsize(again.results[1].file_path) > 0 and os.path.getsize(again.results[0].stdout_path) > 0
    assert journal.get_job(job.id).outcome is Outcome.SUCCEEDED


def test_getfile_cap_defaults_to_the_portals_3_gb():
    assert ResultLimits().max_decompressed == 3 * GIB


async def test_a_full_journal_ends_the_collection_with_a_message_and_resume_collects(journal, tmp_path):
    sim = make_sim()
    first = _engine(sim, journal, tmp_path / "data")
    await first.start()

    def fill_the_disk(event) -> None:  # SQLite's own SQLITE_FULL once the action is final
        if isinstance(event, JobChanged) and event.job.state is JobState.COLLECTING:
            pages = journal.db.execute("PRAGMA page_count").fetchone()[0]
            journal.db.execute(f"PRAGMA max_page_count = {pages}")

    first.subscribe(fill_the_disk)
    try:
        await first.client.library.upload("chatty.ps1", b"# sim: duration=1 output_bytes=300000\n")
        [job] = await first.submit(sequence(("RunScript", "chatty.ps1")), usable(sim, 1))
        await first.wait_idle(timeout=60)  # never hangs on the journal
    finally:
        await _close(first)
    assert job.outcome is Outcome.API_ERROR and f"Disk full (ENOSPC) writing {journal.path}" in job.error_message
    assert "rollback" not in job.error_message
    assert journal.get_job(job.id).state is JobState.COLLECTING

    journal.db.execute("PRAGMA max_page_count = 1000000")
    second = _engine(sim, journal, tmp_path / "data")
    try:
        [again] = await resume(second, progress_every=0.1)
    finally:
        await _close(second)
    assert again.outcome is Outcome.SUCCEEDED and os.path.getsize(again.results[0].stdout_path) > 300_000 - 1
