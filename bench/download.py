"""Download benchmark: a 1 GiB GetFile result over loopback, through the engine, against plain httpx.

The simulator runs in a child process (its memory is not ours). Prints, measured in this run:
  * peak RSS growth of this process while the engine collects the result (target <= 64 MiB)
  * throughput of the engine's download (gunzip, two sha256, .part + rename) against plain httpx streaming of
    the same link into a file (target >= 0.9)

    .venv/bin/python bench/download.py [--size 1gib] [--rounds 2]
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
from lrtui.api.models import CommandType  # noqa: E402
from lrtui.api.records import RequestHub  # noqa: E402
from lrtui.api.sequence import Sequence, make_command  # noqa: E402
from lrtui.engine.budget import Budget, BudgetSettings  # noqa: E402
from lrtui.engine.engine import Engine  # noqa: E402
from lrtui.engine.jobs import JobChanged, JobState, Outcome, RequestLogged  # noqa: E402
from lrtui.engine.journal import Journal  # noqa: E402

CHILD = """
import sys
from lrtui.sim.config import SimConfig
from lrtui.sim.testing import running_simulator
with running_simulator(SimConfig(seed=2, machines=20, time_scale=0.001, scale_rate_window=True)) as (api, blob, sim):
    print(api, flush=True)
    sys.stdin.read()
"""


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

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._t.join()

    @property
    def growth(self) -> int:
        return self.peak - self.base


async def engine_round(api_url: str, machine_id: str, path: str, tmp: Path, k: int):
    """Submit the GetFile through the engine; time the collecting phase; return (seconds, job, rss growth)."""
    budget = Budget(BudgetSettings(rate_window_s=0.06, general_window_s=0.06, poll_fast_s=0.02, poll_slow_s=0.1))
    requests = RequestHub()
    client = MdeClient(
        api_url,
        auth=BearerAuth(StaticToken("demo-token")),
        download_timeout=600,
        on_request=requests,
        general_gate=budget.general_gate,
    )
    eng = Engine(client, Journal(tmp / f"dl{k}.sqlite3"), budget, requests=requests, data_dir=tmp / f"data{k}")
    marks: dict[str, float] = {}

    def on(e) -> None:
        if isinstance(e, RequestLogged) and "CustomPlaybookCommandOutput" in e.record.url:
            marks["blob_s"] = e.record.elapsed_ms / 1000.0
        if isinstance(e, JobChanged):
            if e.job.state is JobState.COLLECTING and "collect" not in marks:
                marks["collect"] = time.perf_counter()
            if e.job.state is JobState.DONE:
                marks["done"] = time.perf_counter()

    eng.subscribe(on)
    await eng.start()
    machine = await client.machines.get(machine_id)
    seq = Sequence(comment="bench download").add(make_command(CommandType.GET_FILE, path, os_family="windows"))
    with PeakRss() as rss:
        [job] = await eng.submit(seq, [machine])
        await eng.wait_idle(timeout=600)
    await eng.stop()
    eng.journal.close()
    await client.aclose()
    if job.outcome is not Outcome.SUCCEEDED:
        raise SystemExit(f"download failed: {job.outcome} {job.error_message} {job.results}")
    return marks["done"] - marks["collect"], job, rss.growth, marks.get("blob_s", 0.0)


async def plain_round(client: MdeClient, action_id: str, dest: Path) -> tuple[float, int]:
    url = await client.results.get_link(action_id, 0)
    t0 = time.perf_counter()
    n = 0
    async with httpx.AsyncClient(timeout=600) as plain:
        async with plain.stream("GET", url) as resp:
            resp.raise_for_status()
            with open(dest, "wb") as f:
                async for chunk in resp.aiter_bytes(1 << 20):
                    f.write(chunk)
                    n += len(chunk)
    return time.perf_counter() - t0, n


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="1gib", help="bench file size: 64mib, 1gib, ...")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    try:
        api_url = child.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            os.environ.setdefault("LRTUI_HOME", str(tmp / "home"))
            client = MdeClient(api_url, auth=BearerAuth(StaticToken("demo-token")), download_timeout=600)
            machines = await client.machines.list(filter="healthStatus eq 'Active' and osPlatform eq 'Windows11'")
            path = rf"C:\bench\{args.size}.bin"
            ours, plain, growths, size, blob = [], [], [], 0, []
            for k in range(args.rounds):
                secs, job, growth, blob_s = await engine_round(api_url, machines[k % len(machines)].id, path, tmp, k)
                r = job.results[0]
                size = r.size
                ours.append(secs)
                blob.append(blob_s)
                growths.append(growth)
                Path(r.file_path).unlink()
                p_secs, n = await plain_round(client, job.action_id, tmp / "plain.bin")
                plain.append(p_secs)
                (tmp / "plain.bin").unlink()
            await client.aclose()
    finally:
        child.stdin.close()
        child.wait(timeout=30)
    best_ours, best_plain = min(ours), min(plain)
    mib = size / (1 << 20)
    print(f"download: {mib:.0f} MiB result (received {n / (1 << 20):.0f} MiB as gzip), {args.rounds} rounds")
    print(
        f"  engine: best {best_ours:.2f} s = {mib / best_ours:.0f} MiB/s (rounds: {', '.join(f'{x:.2f}' for x in ours)})"
    )
    print(f"  of which the client's blob GET (gunzip, 2x sha256, write): {', '.join(f'{x:.2f}' for x in blob)} s")
    print(
        f"  plain httpx: best {best_plain:.2f} s = {mib / best_plain:.0f} MiB/s "
        f"(rounds: {', '.join(f'{x:.2f}' for x in plain)})"
    )
    print(f"  throughput ratio engine/plain = {best_plain / best_ours:.3f}   (target >= 0.9)")
    print(f"  peak RSS growth = {max(growths) / (1 << 20):.1f} MiB   (target <= 64 MiB)")


if __name__ == "__main__":
    asyncio.run(main())
