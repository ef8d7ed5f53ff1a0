"""Under injected 5xx, dropped connections (before and after the service acted) and unforeseen 429s: nothing is
submitted twice, every job ends, and no submission follows a 429 before its wait."""

from __future__ import annotations

from lrtui.api.models import CommandType
from lrtui.api.sequence import Sequence, make_command
from lrtui.engine.jobs import RequestLogged
from lrtui.engine.journal import Journal
from lrtui.sim.config import SimConfig
from lrtui.sim.testing import running_simulator

from .conftest import loopback_client, scaled_settings, usable
from .helpers import wire_engine


async def test_faults_never_double_submit(tmp_path):
    cfg = SimConfig(
        seed=21, machines=80, time_scale=0.01, scale_rate_window=True, faults="5xx=0.12,drop=0.08,429=0.08,after=0.5"
    )
    with running_simulator(cfg) as (api_url, _blob, sim):
        machines = usable(sim, 12)
        from lrtui.api.retry import RetryPolicy

        retry = RetryPolicy(
            base_delay_s=0.05, max_delay_s=0.2, reconcile_delay_s=0.3, reconcile_attempts=4, max_attempts=6
        )
        eng = wire_engine(
            lambda **kw: loopback_client(api_url, retry=retry, **kw),
            Journal(tmp_path / "j.sqlite3"),
            scaled_settings(retry_after_default_s=3.0, reconcile_grace_s=2.0),
            data_dir=tmp_path / "data",
        )
        client = eng.client
        posts: list[tuple[float, float, int | None]] = []  # (start, end, status)
        eng.subscribe(
            lambda e: (
                isinstance(e, RequestLogged)
                and e.record.url.endswith("/runliveresponse")
                and posts.append((e.record.at - e.record.elapsed_ms / 1000, e.record.at, e.record.status))
            )
        )
        await eng.start()
        seq = Sequence(comment="case-faults").add(
            make_command(CommandType.GET_FILE, r"C:\Windows\System32\drivers\etc\hosts", os_family="windows")
        )
        jobs = await eng.submit(seq, machines)
        await eng.wait_idle(timeout=45)
        await eng.stop()
        await client.aclose()
        ours = [a for a in sim.state.actions.values() if "lrtui-job:" in (a.comment or "")]
        per_machine: dict[str, list] = {}
        for a in ours:
            per_machine.setdefault(a.machine.id, []).append(a)
        assert all(len(v) == 1 for v in per_machine.values()), {k: len(v) for k, v in per_machine.items()}
        for j in jobs:
            on_sim = per_machine.get(j.machine_id)
            if on_sim:
                assert j.action_id == on_sim[0].id, (j.machine_name, j.state, j.outcome, j.error_message)
            assert j.outcome is not None
        assert sum(1 for j in jobs if j.outcome.value == "succeeded") >= len(jobs) // 2
        assert sum(sim.state.faults_injected.values()) > 0
        print(dict(sim.state.faults_injected), [j.outcome.value for j in jobs], [p[2] for p in posts])
        for t429 in [end for _, end, st in posts if st == 429]:
            later = [start for start, _, _ in posts if start > t429]
            assert all(s >= t429 + 1.0 - 0.02 for s in later), (t429, later)
