"""Budgets against the simulator: a restart keeps the rate window and the sessions; an unforeseen 429 on one API
lowers that API's budget and says so."""

from __future__ import annotations

from lrtui.api.models import CommandType
from lrtui.api.sequence import Sequence, make_command
from lrtui.engine.jobs import EngineNotice, Outcome, RequestLogged
from lrtui.engine.journal import Journal

from .conftest import inproc_client, make_sim, scaled_settings, usable
from .helpers import wire_engine

HOSTS = r"C:\Windows\System32\drivers\etc\hosts"


def _engine(sim, journal, settings, tmp_path):
    return wire_engine(lambda **kw: inproc_client(sim, **kw), journal, settings, data_dir=tmp_path / "data")


async def test_a_restart_inside_a_full_rate_window_sends_no_unforeseen_429(tmp_path):
    # 3 submissions per 3 s and 3 sessions, on both sides; the first life's actions last about 1 s
    sim = make_sim(rate_calls=3, rate_window_s=300.0, max_sessions=3)
    settings = scaled_settings(rate_calls=3, rate_window_s=3.0, max_sessions=3)
    machines = usable(sim, 6)
    path = tmp_path / "journal.sqlite3"
    first = _engine(sim, Journal(path), settings, tmp_path)
    await first.start()
    await first.client.library.upload("one-second.ps1", b"# sim: duration=100\nWrite-Output done\n", override=True)
    running = Sequence(comment="case-7 restart by alice").add(make_command(CommandType.RUN_SCRIPT, "one-second.ps1"))
    jobs_a = await first.submit(running, machines[:3])
    while not all(j.action_id for j in jobs_a):  # every POST answered: the window and the sessions are full
        await first.budget.changed(0.05)
    await first.stop()  # the process ends; its actions keep running on the service
    await first.client.aclose()
    first.journal.close()

    second = _engine(sim, Journal(path), settings, tmp_path)  # a new process on the same journal
    await second.start()
    assert second.budget.rate_used() == 3 and second.budget.sessions_used == 3
    quick = Sequence(comment="case-7 restart by alice").add(
        make_command(CommandType.GET_FILE, HOSTS, os_family="windows")
    )
    jobs_b = await second.submit(quick, machines[3:])
    await second.wait_idle(timeout=30)
    await second.stop()
    await second.client.aclose()
    second.journal.close()
    assert dict(sim.state.throttled_by_reason) == {}  # no 429: neither the rate nor the sessions
    assert all(j.outcome is Outcome.SUCCEEDED for j in jobs_b)
    assert all(j.outcome is Outcome.SUCCEEDED for j in second.jobs if j.id in {a.id for a in jobs_a})


async def test_an_unforeseen_429_lowers_that_api_and_says_so(tmp_path):
    # the simulator allows 8 calls per scaled minute on each API; the engine believes in 100
    sim = make_sim(general_per_minute=8, general_per_hour=1000, general_per_endpoint=True)
    eng = _engine(sim, Journal(tmp_path / "journal.sqlite3"), scaled_settings(poll_fast_s=0.01), tmp_path)
    events: list[object] = []
    eng.subscribe(events.append)
    await eng.start()
    try:
        await eng.client.library.upload("one-second.ps1", b"# sim: duration=100\nWrite-Output done\n", override=True)
        seq = Sequence(comment="case-9 by bob").add(make_command(CommandType.RUN_SCRIPT, "one-second.ps1"))
        jobs = await eng.submit(seq, usable(sim, 4))
        await eng.wait_idle(timeout=30)
    finally:
        await eng.stop()
        await eng.client.aclose()
        eng.journal.close()
    assert all(j.outcome is Outcome.SUCCEEDED for j in jobs)
    limited = [e.record for e in events if isinstance(e, RequestLogged) and e.record.status == 429]
    assert limited and all(r.endpoint for r in limited)
    notices = [e.message for e in events if isinstance(e, EngineNotice) and "429" in e.message]
    hit = {r.endpoint for r in limited}
    assert notices and all(any(f"the {ep} API" in n for n in notices) for ep in hit)
    snap = eng.budget_snapshot()
    lowered = {e.endpoint: e for e in snap.endpoints if e.lowered}
    assert set(lowered) == hit
    assert all(e.limit_minute < 100 for e in lowered.values())
