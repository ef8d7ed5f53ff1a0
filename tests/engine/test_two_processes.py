"""Two lrtui processes on one journal (issue 14): each runs 30 machines against one loopback simulator at the
same time. Neither fails (no ``UNIQUE constraint failed: entries.seq``), neither hangs, no machine gets two
actions (a process never adopts the other's queued jobs), and the shared hash chain still verifies."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from lrtui.engine.journal import Journal
from lrtui.sim.config import SimConfig
from lrtui.sim.testing import running_simulator

from .conftest import lr_actions_per_machine, usable

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import asyncio, json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from lrtui.api.auth import BearerAuth, StaticToken
from lrtui.api.client import MdeClient
from lrtui.api.models import CommandType
from lrtui.api.records import RequestHub
from lrtui.api.sequence import Sequence, make_command
from lrtui.engine.batch import run_batch
from lrtui.engine.budget import Budget, BudgetSettings
from lrtui.engine.engine import Engine
from lrtui.engine.journal import Journal

async def main(api_url, journal_path, data_dir, ids):
    settings = BudgetSettings(rate_window_s=0.6, general_window_s=0.6, poll_fast_s=0.05, poll_slow_s=0.6,
                              reconcile_grace_s=1.0, retry_after_default_s=0.5)
    budget, requests = Budget(settings), RequestHub()
    client = MdeClient(api_url, auth=BearerAuth(StaticToken("demo-token")), on_request=requests,
                       general_gate=budget.general_gate)
    journal = Journal(journal_path).open()
    engine = Engine(client, journal, budget, requests=requests, data_dir=Path(data_dir))
    seq = Sequence(comment="case-two").add(
        make_command(CommandType.GET_FILE, r"C:\\Windows\\System32\\drivers\\etc\\hosts", os_family="windows"))
    try:
        jobs = await run_batch(engine, seq, ids, None)
    finally:
        await engine.stop()
        await client.aclose()
        journal.close()
    print(json.dumps([[j.machine_id, j.outcome.value if j.outcome else None] for j in jobs]))

asyncio.run(main(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]))
"""


def test_two_processes_on_one_journal(tmp_path):
    cfg = SimConfig(seed=5, machines=160, time_scale=0.01, scale_rate_window=True)
    with running_simulator(cfg) as (api_url, _blob, sim):
        machines = usable(sim, 60)
        journal = tmp_path / "journal.sqlite3"
        procs = []
        for k in range(2):
            ids = [m.id for m in machines[30 * k : 30 * (k + 1)]]
            args = [sys.executable, "-c", CHILD, str(ROOT), api_url, str(journal), str(tmp_path / f"d{k}"), *ids]
            procs.append(subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
            time.sleep(0.3)  # the second starts while the first still has queued jobs
        results = []
        try:
            for p in procs:
                out, err = p.communicate(timeout=120)
                assert p.returncode == 0, err[-3000:]
                results.append(json.loads(out.strip().splitlines()[-1]))
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
        for k, rows in enumerate(results):
            assert sorted(mid for mid, _ in rows) == sorted(m.id for m in machines[30 * k : 30 * (k + 1)])
            assert all(outcome == "succeeded" for _, outcome in rows), rows
        counts = lr_actions_per_machine(sim)
        assert len(counts) == 60 and set(counts.values()) == {1}, counts
    with Journal(journal) as j:
        assert j.verify().ok
        assert len(j.all_jobs()) == 60
