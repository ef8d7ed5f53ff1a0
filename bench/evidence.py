"""Evidence benchmark: RunScript outputs of 3 x 40 MB, and one of 50 MB of escape-laden text, through the engine.

The simulator runs in a child process (its memory is not ours). Prints, measured in this run:
  * peak RSS growth of this process while the engine collects 3 x 40 MB outputs (target <= 150 MiB), against
    the baseline of the same 3 results read the old way (``fetch_script_result``: the document parsed in memory)
    and the floor of a plain httpx streaming download of the same 3 documents into files
  * journal growth per job (target <= 1 MiB)
  * a 50 MB escape-laden output stored whole (the old way refuses its document: escaped, it passes 64 MiB)

    .venv/bin/python bench/evidence.py [--mb 40] [--escaped-mb 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lrtui.api.auth import BearerAuth, StaticToken  # noqa: E402
from lrtui.api.client import MdeClient  # noqa: E402
from lrtui.api.errors import LrtuiError  # noqa: E402
from lrtui.api.models import CommandType  # noqa: E402
from lrtui.api.records import RequestHub  # noqa: E402
from lrtui.api.sequence import Sequence, make_command  # noqa: E402
from lrtui.engine.budget import Budget, BudgetSettings  # noqa: E402
from lrtui.engine.engine import Engine  # noqa: E402
from lrtui.engine.jobs import Job, Outcome  # noqa: E402
from lrtui.engine.journal import Journal  # noqa: E402

CHILD = """
import sys
from lrtui.sim.config import SimConfig
from lrtui.sim.library import behaviours
from lrtui.sim.testing import running_simulator

MB, EMB = int(sys.argv[1]), int(sys.argv[2])
LINE = 'C:\\\\Users\\\\alice\\\\AppData "quoted" \\tcolumn  0123456789 abcdefghijklmnopqrstuvwxyz\\n'
NASTY = "\\x1b[31m\\x00\\u202e\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00 text\\n"

def big(run):
    return run.plan(1.0, lambda: ((LINE * (MB * 1_000_000 // len(LINE) + 1))[: MB * 1_000_000], ""))

def escapes(run):
    return run.plan(1.0, lambda: ((NASTY * (EMB * 1_000_000 // len(NASTY) + 1))[: EMB * 1_000_000], ""))

behaviours.BEHAVIOURS["big.ps1"] = big
behaviours.BEHAVIOURS["escapes.ps1"] = escapes
with running_simulator(SimConfig(seed=2, machines=20, time_scale=0.001, scale_rate_window=True)) as (api, blob, sim):
    print(api, flush=True)
    sys.stdin.read()
"""
MIB = 1 << 20


class PeakRss:
    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.base = self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.005)

    def __enter__(self) -> PeakRss:
        self.base = self.peak = self.proc.memory_info().rss
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()

    @property
    def growth_mib(self) -> float:
        return (self.peak - self.base) / MIB


def journal_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


async def engine_run(api_url: str, script: str, n: int, tmp: Path) -> tuple[list[Job], float, float]:
    """Run ``script`` on ``n`` machines through the engine: (jobs, peak RSS growth MiB, journal growth per job)."""
    budget = Budget(BudgetSettings(rate_window_s=0.06, general_window_s=0.06, poll_fast_s=0.02, poll_slow_s=0.1))
    requests = RequestHub()
    client = MdeClient(
        api_url,
        auth=BearerAuth(StaticToken("demo-token")),
        download_timeout=600,
        on_request=requests,
        general_gate=budget.general_gate,
    )
    jpath = tmp / f"{script}.sqlite3"
    journal = Journal(jpath).open()
    eng = Engine(client, journal, budget, requests=requests, data_dir=tmp / f"data-{script}")
    await eng.start()
    try:
        await client.library.upload(script, b"Write-Output bench\n", override=True)
        machines = await client.machines.list(filter="healthStatus eq 'Active' and osPlatform eq 'Windows11'")
        seq = Sequence(comment="bench evidence").add(make_command(CommandType.RUN_SCRIPT, script))
        before = journal_bytes(jpath)
        with PeakRss() as rss:
            jobs = await eng.submit(seq, machines[:n])
            await eng.wait_idle(timeout=900)
        grown = (journal_bytes(jpath) - before) / n
    finally:
        await eng.stop()
        journal.close()
        await client.aclose()
    for j in jobs:
        if j.outcome is not Outcome.SUCCEEDED:
            raise SystemExit(f"{script}: {j.outcome} {j.error_message} {j.results}")
    return jobs, rss.growth_mib, grown


async def old_way(api_url: str, jobs: list[Job]) -> tuple[float, str]:
    """The baseline: the same results read as before (whole document in memory, parsed, 1 GiB cap)."""
    client = MdeClient(api_url, auth=BearerAuth(StaticToken("demo-token")), download_timeout=600)
    urls = [await client.results.get_link(j.action_id or "", 0) for j in jobs]
    outcome = "read"
    with PeakRss() as rss:
        try:
            got = await asyncio.gather(*(client.results.fetch_script_result(u, limit=1 << 30) for u in urls))
            del got
        except LrtuiError as e:
            outcome = f"refused ({type(e).__name__})"
    await client.aclose()
    return rss.growth_mib, outcome


async def plain_way(api_url: str, jobs: list[Job], tmp: Path) -> float:
    """The floor: the same documents streamed into files with plain httpx."""
    client = MdeClient(api_url, auth=BearerAuth(StaticToken("demo-token")), download_timeout=600)
    urls = [await client.results.get_link(j.action_id or "", 0) for j in jobs]
    await client.aclose()

    async def one(k: int, url: str, plain: httpx.AsyncClient) -> None:
        async with plain.stream("GET", url) as resp:
            with open(tmp / f"plain-{k}.json", "wb") as f:
                async for chunk in resp.aiter_bytes(1 << 20):
                    f.write(chunk)

    with PeakRss() as rss:
        async with httpx.AsyncClient(timeout=600) as plain:
            await asyncio.gather(*(one(k, u, plain) for k, u in enumerate(urls)))
    return rss.growth_mib


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=40)
    ap.add_argument("--escaped-mb", type=int, default=50)
    args = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(args.mb), str(args.escaped_mb)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert child.stdout is not None
        api_url = child.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            os.environ.setdefault("LRTUI_HOME", str(tmp / "home"))
            jobs, growth, per_job = await engine_run(api_url, "big.ps1", 3, tmp)
            sizes = [r.stdout_size or 0 for j in jobs for r in j.results]
            plain = await plain_way(api_url, jobs, tmp)
            old, old_outcome = await old_way(api_url, jobs)
            [esc], esc_growth, esc_journal = await engine_run(api_url, "escapes.ps1", 1, tmp)
            esc_doc = os.path.getsize(esc.results[0].result_path or "")
            _old_esc, old_esc_outcome = await old_way_default_cap(api_url, esc)
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=30)
    print(f"evidence: 3 RunScript outputs of {args.mb} MB each (stdout files: {', '.join(f'{s:,}' for s in sizes)} B)")
    print(f"  engine (stream to files):   peak RSS growth {growth:7.1f} MiB   (target <= 150 MiB)")
    print(f"  baseline, old way (parse):  peak RSS growth {old:7.1f} MiB   ({old_outcome})")
    print(f"  floor, plain httpx to file: peak RSS growth {plain:7.1f} MiB")
    print(f"  engine / old way = {growth / old:.2f}" if old > 0 else "  old way: no growth measured")
    print(f"  journal growth per job = {per_job / MIB:.3f} MiB   (target <= 1 MiB)")
    print(
        f"escape-laden: {args.escaped_mb} MB of output, document {esc_doc / MIB:.0f} MiB as received;"
        f" stdout stored whole: {esc.results[0].stdout_size:,} B (outcome {esc.outcome.value if esc.outcome else '-'})"
    )
    print(f"  engine peak RSS growth {esc_growth:.1f} MiB, journal growth {esc_journal / MIB:.3f} MiB")
    print(f"  old way with its 64 MiB cap: {old_esc_outcome}")


async def old_way_default_cap(api_url: str, job: Job) -> tuple[float, str]:
    client = MdeClient(api_url, auth=BearerAuth(StaticToken("demo-token")), download_timeout=600)
    url = await client.results.get_link(job.action_id or "", 0)
    try:
        await client.results.fetch_script_result(url)
        outcome = "read"
    except LrtuiError as e:
        outcome = f"refused ({type(e).__name__}: {e.message[:80]})"
    await client.aclose()
    return 0.0, outcome


if __name__ == "__main__":
    asyncio.run(main())
