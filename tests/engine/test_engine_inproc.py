"""The Engine facade end to end against the in-process simulator: submit -> poll -> results -> outcomes."""

from __future__ import annotations

import asyncio
import json
import stat

from lrtui.api.models import CommandType
from lrtui.api.sequence import Sequence, make_command
from lrtui.engine.jobs import JobChanged, JobState, Outcome, Priority, RequestLogged

from .conftest import lr_actions_per_machine, make_sim, scaled_settings, usable


def sequence(*cmds, comment="case-42 triage by alice"):
    s = Sequence(comment=comment)
    for t, v, *args in cmds:
        s = s.add(make_command(CommandType(t), v, args[0] if args else None, os_family="windows"))
    return s


async def test_submit_poll_collect(engine_factory, tmp_path):
    sim = make_sim()
    eng = await engine_factory(sim)
    events = []
    eng.subscribe(events.append)
    machines = usable(sim, 3)
    seq = sequence(("RunScript", "Get-Processes.ps1"), ("GetFile", r"C:\Windows\System32\drivers\etc\hosts"))
    jobs = await eng.submit(seq, machines)
    await eng.wait_idle(timeout=30)
    for j in jobs:
        assert j.state is JobState.DONE and j.outcome is Outcome.SUCCEEDED, (j.outcome, j.error_message, j.results)
        script, got = j.results
        assert script.script is not None and script.script.exit_code == 0
        p = tmp_path / "data" / "evidence"
        assert got.file_path and got.file_path.startswith(str(p)) and got.file_path.endswith("1-hosts")
        assert got.sha256 and got.sha256_received and got.size and got.size > 0
        assert stat.S_IMODE((tmp_path / "data" / "evidence").stat().st_mode) & 0o077 == 0
    assert lr_actions_per_machine(sim) == {m.id: 1 for m in machines}
    kinds = {e.what for e in events if isinstance(e, JobChanged)}
    assert {"new", "action", "result", "final"} <= kinds
    assert any(isinstance(e, RequestLogged) for e in events)
    # nothing secret reached the journal
    dump = json.dumps([e.to_dict() for e in eng.journal.entries()])
    assert "sig=" not in dump and "Bearer" not in dump
    assert eng.journal.verify().ok
    # the marker went into the Comment
    a = sim.state.actions[jobs[0].action_id]
    assert f"lrtui-job:{jobs[0].id}" in a.comment and a.comment.startswith("case-42")


async def test_outcome_classes(engine_factory):
    sim = make_sim(quirk_portal_session=[])
    eng = await engine_factory(sim)
    m1, m2, m3, m4 = usable(sim, 4)
    jobs = []
    jobs += await eng.submit(sequence(("RunScript", "Get-BitLockerStatus.ps1")), [m1])
    jobs += await eng.submit(sequence(("GetFile", r"C:\Temp\missing\x.txt")), [m2])
    jobs += await eng.submit(sequence(("RunScript", "Watch-ProcessCreation.ps1")), [m3])
    jobs += await eng.submit(sequence(("RunScript", "NoSuchScript.ps1")), [m4])  # pre-flight: not in library
    await eng.wait_idle(timeout=40)
    got = {j.machine_id: j.outcome for j in jobs}
    assert got[m2.id] is Outcome.COMMAND_FAILED
    assert got[m3.id] is Outcome.TIMED_OUT
    assert got[m4.id] is Outcome.REFUSED and jobs[3].action_id is None
    assert got[m1.id] in (Outcome.SUCCEEDED, Outcome.SCRIPT_FAILED)  # depends on whether the demo box has BitLocker
    assert m4.id not in lr_actions_per_machine(sim)


async def test_blocked_by_invisible_portal_session_and_not_allowed(engine_factory):
    probe = make_sim()
    target = usable(probe, 1)[0]
    sim = make_sim(quirk_portal_session=[target.id])
    eng = await engine_factory(sim)
    kiosk = next(r for r in sim.state.machines if not sim.group_of(r).remediation_level and r.supported)
    from lrtui.api.models import Machine

    jobs = await eng.submit(
        sequence(("GetFile", r"C:\Windows\System32\drivers\etc\hosts")), [target, Machine.model_validate(kiosk.wire)]
    )
    await eng.wait_idle(timeout=20)
    blocked, kiosk_job = jobs
    assert blocked.outcome is Outcome.BLOCKED and "portal" in blocked.error_message
    assert kiosk_job.outcome is Outcome.NOT_ALLOWED and kiosk_job.error_code == "DisallowedOperation"
    assert len(await eng.retry_failed(Outcome.BLOCKED)) == 1
    sim.end_portal_session(target.id)
    await eng.wait_idle(timeout=20)
    assert eng.jobs[-1].outcome is Outcome.SUCCEEDED
    assert await eng.retry_failed(Outcome.BLOCKED) == []  # already retried


async def test_offline_is_submitted_and_shown_queued(engine_factory):
    sim = make_sim()
    eng = await engine_factory(sim)
    off = usable(sim, 1, online=False)[0]
    [job] = await eng.submit(sequence(("GetFile", r"C:\Windows\System32\drivers\etc\hosts")), [off])
    for _ in range(200):
        if job.state is JobState.OFFLINE:
            break
        await asyncio.sleep(0.02)
    assert job.state is JobState.OFFLINE and job.action_id
    assert eng.poller.interval() >= eng.settings.poll_slow_s  # nothing can move: slow polling
    await eng.cancel(job.id, "not needed any more")
    await eng.wait_idle(timeout=10)
    assert job.outcome is Outcome.CANCELLED


async def test_interactive_goes_first_and_cancel_queued(engine_factory):
    sim = make_sim()
    eng = await engine_factory(sim, scaled_settings(rate_calls=2, rate_window_s=0.5))
    eng.pause()
    ms = usable(sim, 6)
    seq = sequence(("GetFile", r"C:\Windows\System32\drivers\etc\hosts"))
    bulk = await eng.submit(seq, ms[:5])
    [inter] = await eng.submit(seq, ms[5:], priority=Priority.INTERACTIVE)
    assert all(j.state is JobState.PAUSED for j in bulk + [inter])
    await eng.cancel(bulk[4].id)
    assert bulk[4].outcome is Outcome.CANCELLED and bulk[4].action_id is None
    eng.resume()
    await eng.wait_idle(timeout=30)
    order = sorted([inter] + bulk[:4], key=lambda j: j.submitted_at)
    assert order[0] is inter
    assert [j.id for j in order[1:]] == [j.id for j in bulk[:4]]


async def test_link_regenerated_after_expiry(engine_factory, tmp_path):
    sim = make_sim(link_ttl_s=50, link_min_ttl_s=0.5)  # 0.5 s at this scale, rounded up to a whole second
    eng = await engine_factory(sim)
    [m] = usable(sim, 1)
    [job] = await eng.submit(sequence(("GetFile", r"C:\Windows\System32\drivers\etc\hosts")), [m])
    await eng.wait_idle(timeout=20)
    assert job.outcome is Outcome.SUCCEEDED
    # fetch again with a link that has expired in the meantime
    collector = eng.collector
    url = await collector._link(job.action_id, 0)
    await asyncio.sleep(1.6)
    links = []
    eng.subscribe(
        lambda e: (
            isinstance(e, RequestLogged) and "GetLiveResponseResultDownloadLink" in e.record.url and links.append(e)
        )
    )
    res = await collector.fetch_file(job.action_id, 0, tmp_path / "again" / "0-hosts")
    assert res.sha256 == job.results[0].sha256
    assert len(links) == 1  # one regenerated link
    assert url not in str(links)


async def test_gzip_bomb_is_capped(engine_factory):
    """16 MiB of zeros (about 16 KiB as gzip) against a 1 MiB cap: stopped, nothing left on disk."""
    from lrtui.engine.results import ResultLimits
    from lrtui.sim.library import DOWNLOADS_DIR_WIN

    sim = make_sim()
    eng = await engine_factory(sim, limits=ResultLimits(max_decompressed=1 << 20))
    await eng.client.library.upload("zeros.bin", bytes(16 << 20), description="bomb")
    [m] = usable(sim, 1)
    seq = sequence(("PutFile", "zeros.bin"), ("GetFile", DOWNLOADS_DIR_WIN + "zeros.bin"))
    [job] = await eng.submit(seq, [m])
    await eng.wait_idle(timeout=20)
    r = job.results[1]
    assert r.download_error and r.download_error.startswith("DecompressionLimit"), job.results
    assert job.outcome is Outcome.API_ERROR and r.file_path is None
    ev = eng.data_dir / "evidence"
    leftovers = [p for p in ev.rglob("*") if p.is_file()] if ev.exists() else []
    assert leftovers == []  # no partial file left behind
    assert sim.state.blob_bytes < 1 << 20  # the download stopped early: the bomb was small on the wire


async def test_unforeseen_429_backs_off(engine_factory):
    sim = make_sim(rate_calls=2)
    # the engine thinks it may send 10 per window: the simulator disagrees
    eng = await engine_factory(sim, scaled_settings(rate_calls=10))
    ms = usable(sim, 6)
    jobs = await eng.submit(sequence(("GetFile", r"C:\Windows\System32\drivers\etc\hosts")), ms)
    await eng.wait_idle(timeout=30)
    assert all(j.outcome is Outcome.SUCCEEDED for j in jobs)
    assert lr_actions_per_machine(sim) == {m.id: 1 for m in ms}
    assert eng.budget.unforeseen_429 >= 1


async def test_stop_and_start_again_resumes(engine_factory):
    sim = make_sim()
    eng = await engine_factory(sim)
    ms = usable(sim, 3)
    jobs = await eng.submit(sequence(("GetFile", r"C:\Windows\System32\drivers\etc\hosts")), ms)
    await asyncio.sleep(0.001)  # some POSTs in flight
    await eng.stop()  # whatever was in flight stays consistent in the journal
    assert any(j.state is not JobState.DONE for j in jobs)
    await eng.start()
    await eng.wait_idle(timeout=20)
    assert all(j.outcome is Outcome.SUCCEEDED for j in eng.jobs)
    assert len(eng.jobs) == len(jobs) and all(j.outcome is Outcome.SUCCEEDED for j in jobs)  # the same objects
    assert lr_actions_per_machine(sim) == {m.id: 1 for m in ms}


async def test_library_uploaded_after_first_look_is_seen(engine_factory):
    sim = make_sim()
    eng = await engine_factory(sim)
    [m] = usable(sim, 1)
    await eng.library()  # cached
    await eng.client.library.upload("fresh.ps1", b"# sim: duration=1\nWrite-Output hi\n")
    [job] = await eng.submit(sequence(("RunScript", "fresh.ps1")), [m])
    await eng.wait_idle(timeout=20)
    assert job.outcome is Outcome.SUCCEEDED, job.error_message
