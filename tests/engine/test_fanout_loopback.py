"""End-to-end fan-out over loopback: ~30 machines, scaled windows, the headless ``run_batch``; 0 429s."""

from __future__ import annotations

from lrtui.api.models import CommandType
from lrtui.api.sequence import Sequence, make_command
from lrtui.cli.render import progress_line, render_summary
from lrtui.engine.batch import run_batch
from lrtui.engine.jobs import Outcome
from lrtui.engine.journal import Journal
from lrtui.sim.config import SimConfig
from lrtui.sim.testing import running_simulator

from .conftest import loopback_client, lr_actions_per_machine, scaled_settings, usable
from .helpers import wire_engine


async def test_fanout_30_machines_no_429(tmp_path):
    cfg = SimConfig(seed=3, machines=150, time_scale=0.01, scale_rate_window=True)
    with running_simulator(cfg) as (api_url, _blob, sim):
        machines = usable(sim, 30)
        refs = [m.id for m in machines[:15]] + [m.computer_dns_name for m in machines[15:]] + ["no-such-host"]
        seq = (
            Sequence(comment="case-fan triage")
            .add(make_command(CommandType.RUN_SCRIPT, "Get-Processes.ps1"))
            .add(make_command(CommandType.GET_FILE, r"C:\Windows\System32\drivers\etc\hosts", os_family="windows"))
        )
        lines: list[str] = []
        journal = Journal(tmp_path / "j.sqlite3").open()
        engine = wire_engine(
            lambda **kw: loopback_client(api_url, **kw),
            journal,
            scaled_settings(max_sessions=25),
            data_dir=tmp_path / "out",
        )
        try:
            jobs = await run_batch(
                engine,
                seq,
                refs,
                tmp_path / "out",
                lambda snapshot, jobs: lines.append(progress_line(snapshot, jobs)),
                progress_every=0.2,
            )
        finally:
            await engine.stop()
            await engine.client.aclose()
            journal.close()
        assert sim.state.throttled_count == 0, dict(sim.state.throttled_by_reason)
        by = {j.machine_name: j for j in jobs}
        assert by["no-such-host"].outcome is Outcome.REFUSED
        ok = [j for j in jobs if j.machine_name != "no-such-host"]
        assert len(ok) == 30 and all(j.outcome is Outcome.SUCCEEDED for j in ok), render_summary(jobs)
        assert lr_actions_per_machine(sim) == {m.id: 1 for m in machines}
        # the rate window held: no 10 submissions closer than one window
        times = sorted(a.created for a in sim.state.actions.values() if "lrtui-job:" in (a.comment or ""))
        window = sim.lr_window.window_s
        assert all(times[i + 10] - times[i] >= window - 1e-6 for i in range(len(times) - 10))
        assert lines and "31/31 done" in lines[-1]
        assert {j.out_dir for j in jobs} == {str(tmp_path / "out")}  # recorded for `lrtui resume`
        assert "succeeded: 30" in render_summary(jobs)
