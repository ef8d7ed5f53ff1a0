"""Team budgets: two lrtui-like processes share one app registration's budgets through one Redis.

One ``lrtui sim`` (its own process, loopback, every clock and window scaled), one ``redis-server`` (a temporary
folder, no persistence), and two worker processes with 30 machines each, 15 of them the same machines, so the
machine lock matters. Before each POST a worker takes a session hold (the machine's lock) and a rate slot from
the TeamStore, and before each poll (one list call for all its actions) a slot of the ``machineactions`` windows; it releases the hold once the
action is final. Prints, measured in this run:
  * 429 answers (target 0);
  * machines with two sessions at once (target 0: answers of 400 ActiveRequestAlreadyExists, or overlapping
    [POST, final] intervals of the two workers on one machine);
  * combined makespan / the budgets' lower bound (target <= 1.10), the lower bound computed from the action
    durations measured in this run (rate waves, and the sessions carrying every action's seconds).

    .venv/bin/python bench/team.py [--scale 0.01] [--script-s 540] [--baseline]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.team.redis_server import RedisServer  # noqa: E402

from lrtui.engine.team import Busy, Hold, Holder, SessionsFull, TeamLimits  # noqa: E402
from lrtui.engine.team.store import TeamStore  # noqa: E402

TENANT = "7d3c1e7a-5b2f-4c1d-9e8a-0f6b2a4c9e11"
APP = "3f1b6c2e-8d4a-4e7b-9c5d-1a2b3c4d5e6f"
SCRIPT = "bench-team.ps1"
FINAL = {"Succeeded", "Failed", "TimeOut", "Cancelled"}
GUARD_S = 0.05  # windows a little longer than the service's: the POST reaches it a few ms after the grant


def limits(scale: float) -> TeamLimits:
    return TeamLimits(rate_window_s=60 * scale + GUARD_S, minute_s=60 * scale + GUARD_S, hour_s=3600 * scale + GUARD_S)


# -- the worker (one lrtui-like process) ----------------------------------------------------------------------


async def _wait_for(store: TeamStore, take: str) -> None:
    while (wait := await (store.try_rate() if take == "rate" else store.try_general(take))) > 0:
        await asyncio.sleep(wait)


async def _hold(store: TeamStore, job: str, machine: str) -> Hold:
    while True:
        answer = await store.acquire_session(job, machine)
        if isinstance(answer, Hold):
            return answer
        await asyncio.sleep(min(answer.retry_after_s, 0.05) if isinstance(answer, SessionsFull) else 0.05)
        assert isinstance(answer, Busy | SessionsFull)


async def _one(store: TeamStore, http: object, machine: str, stats: dict, held: set[Hold], pending: dict) -> None:
    import httpx

    assert isinstance(http, httpx.AsyncClient)
    hold = await _hold(store, "bench", machine)
    held.add(hold)
    body = {"Commands": [{"type": "RunScript", "params": [{"key": "ScriptName", "value": SCRIPT}]}], "Comment": "team"}
    while True:
        await _wait_for(store, "rate")
        r = await http.post(f"machines/{machine}/runliveresponse", json=body)
        if r.status_code != 429:
            break
        stats["429"] += 1
        stats["429s"].append(["runliveresponse", r.text[:160]])
        await asyncio.sleep(float(r.headers.get("Retry-After", "1")))
    posted = time.time()
    if r.status_code == 201:
        final: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        pending[r.json()["id"]] = final
        await final
        stats["actions"].append([machine, posted, time.time()])
    else:
        stats["refused"].append([machine, r.status_code, r.text[:200]])
    held.discard(hold)
    await store.release(hold)


async def _poll(store: TeamStore, http: object, stats: dict, pending: dict, every: float) -> None:
    """One list call for every action of this process (the ``machineactions`` windows), each ``every`` s."""
    import httpx

    assert isinstance(http, httpx.AsyncClient)
    while True:
        await asyncio.sleep(every)
        ids = list(pending)[:50]
        if not ids:
            continue
        await _wait_for(store, "machineactions")
        quoted = ",".join(f"'{i}'" for i in ids)
        g = await http.get("machineactions", params={"$filter": f"id in ({quoted})"})
        if g.status_code == 429:
            stats["429"] += 1
            stats["429s"].append(["machineactions", g.text[:160]])
            continue
        g.raise_for_status()
        for a in g.json()["value"]:
            if a.get("status") in FINAL and a["id"] in pending:
                pending.pop(a["id"]).set_result(None)


async def _renew_forever(store: TeamStore, held: set[Hold], every: float) -> None:
    while True:
        await asyncio.sleep(every)
        await store.renew(list(held))


async def worker(api: str, redis_url: str, name: str, machines: list[str], scale: float, *, isolated: bool) -> None:
    import httpx

    holder = Holder(uuid.uuid4().hex, f"{name}@bench", f"bench-{name}")
    store = await TeamStore.connect(
        redis_url,
        password=None,
        tenant_id=f"{TENANT}-{name}" if isolated else TENANT,  # the baseline: each process its own budgets
        app_id=APP,
        holder=holder,
        ttl_s=10,
        limits=limits(scale),
    )
    stats: dict = {"429": 0, "429s": [], "refused": [], "actions": []}
    held: set[Hold] = set()
    pending: dict[str, asyncio.Future[None]] = {}
    renewer = asyncio.create_task(_renew_forever(store, held, 3))
    limits_ = httpx.Limits(max_connections=64)
    headers = {"Authorization": "Bearer demo-token"}
    async with httpx.AsyncClient(
        base_url=api.rstrip("/") + "/api/", headers=headers, limits=limits_, timeout=30
    ) as http:
        # one list call for all of this process's actions, 10 a (scaled) minute: within 1500 an hour for two
        poller = asyncio.create_task(_poll(store, http, stats, pending, 6 * scale))
        await asyncio.gather(*(_one(store, http, m, stats, held, pending) for m in machines))
        poller.cancel()
    renewer.cancel()
    await store.aclose()
    print(json.dumps(stats), flush=True)


# -- the driver -----------------------------------------------------------------------------------------------


def usable_machines(n: int, machines: int) -> list[str]:
    """Machine ids the simulator (same seed) accepts live response on: Windows, Active, online, supported."""
    from lrtui.sim.config import SimConfig
    from lrtui.sim.simulator import Simulator

    sim = Simulator(SimConfig(seed=1, machines=machines))
    out = []
    for rec in sim.state.machines:
        g = sim.group_of(rec)
        ok = rec.supported and g.remediation_level and not rec.agent_too_old and rec.family == "windows"
        if ok and rec.wire.get("healthStatus") == "Active" and rec.online_at <= sim.now():
            out.append(str(rec.wire["id"]))
    if len(out) < n:
        raise SystemExit(f"only {len(out)} usable machines; raise --tenant")
    return out[:n]


def start_sim(scale: float, machines: int) -> tuple[subprocess.Popen[str], str]:
    argv = [sys.executable, "-m", "lrtui.sim", "--port", "0", "--seed", "1", "--machines", str(machines)]
    argv += ["--time-scale", str(scale), "--scale-rate-window", "--workshop-online-after", "-1"]
    sim = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert sim.stdout is not None
    api = ""
    for line in sim.stdout:
        if line.startswith("api "):
            api = line.split(" ", 1)[1].strip()
        if line.strip() == "ready":
            return sim, api
    raise SystemExit("the simulator did not start")


async def upload_script(api: str, script_s: float) -> None:
    from lrtui.api.auth import BearerAuth, StaticToken
    from lrtui.api.client import MdeClient

    client = MdeClient(api, auth=BearerAuth(StaticToken("demo-token")))
    body = f"# sim: duration={script_s:g}\nWrite-Output done\n".encode()
    await client.library.upload(SCRIPT, body, description="bench: runs a fixed time", override=True)
    await client.aclose()


def lower_bound(actions: list[list], lim: TeamLimits, window: float) -> tuple[float, float, float]:
    """(lower bound, rate bound, session bound) from the measured action durations (as bench/fanout.py)."""
    n = len(actions)
    durations = sorted(end - start for _, start, end in actions)
    waves = math.ceil(n / lim.rate_calls)
    k = n - lim.rate_calls * (waves - 1)
    rate_lb = (waves - 1) * window + durations[k - 1]
    ramp = sum((j // lim.rate_calls) * window for j in range(min(n, lim.max_sessions)))
    session_lb = max((sum(durations) + ramp) / lim.max_sessions, math.ceil(n / lim.max_sessions) * durations[0])
    return max(rate_lb, session_lb), rate_lb, session_lb


def overlaps(a: list[list], b: list[list]) -> int:
    """Machines on which the two workers' [POST, final] intervals overlap."""
    spans = {m: (s, e) for m, s, e in a}
    return sum(1 for m, s, e in b if m in spans and s < spans[m][1] and spans[m][0] < e)


def run_pair(args: argparse.Namespace, sets: list[list[str]], *, shared: bool) -> tuple[list[dict], float]:
    """One fresh simulator and redis-server; two worker processes; their results and the start time."""
    sim, api = start_sim(args.scale, args.tenant)
    redis = RedisServer(Path(tempfile.mkdtemp(prefix="lrtui-bench-redis-")))
    redis.start()
    try:
        asyncio.run(upload_script(api, args.script_s))
        started = time.time()
        flags = ["--scale", str(args.scale)] + ([] if shared else ["--isolated"])
        procs = [
            subprocess.Popen(
                [sys.executable, __file__, *flags, "--worker", api, redis.url, f"w{i}", ",".join(s)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )
            for i, s in enumerate(sets)
        ]
        results = [json.loads(p.communicate(timeout=600)[0].strip().splitlines()[-1]) for p in procs]
    finally:
        redis.stop()
        sim.terminate()
        sim.wait(10)
    return results, started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=0.01, help="every service clock and window (default 0.01)")
    ap.add_argument("--script-s", type=float, default=540.0, help="service seconds of each script (< 600 s timeout)")
    ap.add_argument("--tenant", type=int, default=200, help="machines in the simulated tenant")
    ap.add_argument("--baseline", action="store_true", help="first run the same without sharing (each its own)")
    ap.add_argument("--isolated", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--worker", nargs=4, metavar=("API", "REDIS", "NAME", "MACHINES"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        api, redis_url, name, machines = args.worker
        asyncio.run(worker(api, redis_url, name, machines.split(","), args.scale, isolated=args.isolated))
        return
    ids = usable_machines(45, args.tenant)
    sets = [ids[:30], ids[15:45]]  # 15 machines both workers want
    if args.baseline:
        report(*run_pair(args, sets, shared=False), args.scale, "BASELINE, budgets NOT shared (each its own)")
    results, started = run_pair(args, sets, shared=True)
    if not all(r["actions"] for r in results):
        raise SystemExit(f"a worker completed nothing: {json.dumps(results)[:600]}")
    report(results, started, args.scale, "TEAM budgets shared through one redis-server")


def report(results: list[dict], started: float, scale: float, title: str) -> None:
    actions = [a for r in results for a in r["actions"]]
    refused = [x for r in results for x in r["refused"]]
    doubles = overlaps(results[0]["actions"], results[1]["actions"])
    doubles += sum(1 for x in refused if "ActiveRequestAlreadyExists" in x[2])
    lim = limits(scale)
    if not actions:
        print(f"  nothing completed; refused {len(refused)}, 429 answers {sum(r['429'] for r in results)}")
        return
    lb, rate_lb, session_lb = lower_bound(actions, lim, 60 * scale)
    first_post = min(s for _, s, _ in actions)
    makespan = max(e for _, _, e in actions) - first_post
    print(f"{title}: 2 processes x 30 machines (15 wanted by both), one sim (scale {scale:g})")
    codes = sorted({x[2].split('"code":"', 1)[-1].split('"', 1)[0] for x in refused})
    print(f"  actions completed {len(actions)} of 60; refused {len(refused)} {codes}")
    kinds = sorted({x[0] for r in results for x in r["429s"]})
    print(f"  429 answers: {sum(r['429'] for r in results)}   (target 0) {kinds}")
    print(f"  machines with two sessions (overlapping, or the second refused): {doubles}   (target 0)")
    print(f"  first POST {first_post - started:.2f} s after start; makespan {makespan:.2f} s")
    print(f"  lower bound {lb:.2f} s (rate {rate_lb:.2f} s, sessions {session_lb:.2f} s)")
    print(f"  combined makespan / lower bound = {makespan / lb:.3f}   (target <= 1.10)")


if __name__ == "__main__":
    main()
