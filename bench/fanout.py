"""Fan-out benchmark on the simulator over loopback, with scaled clocks.

Prints, measured in this run:
  * shared general budget (the old bench): makespan / lower bound of a rate-bound and a session-bound fan-out
    (target <= 1.05), 429 answers (target 0), general calls per minute at 5 and 25 sessions (target: equal);
  * per-API budgets with EVERY clock scaled by the same factor (rate window, general windows, poll cadence,
    session length, grace and back-off): session-bound fan-outs at 5 and at 25 sessions, makespan / lower bound
    (target <= 1.03) and 429 answers (target 0);
  * a simulated 2-hour run of 600 machines: the most calls any API received in any (scaled) hour
    (target <= 1500) and 429 answers (target 0).

    .venv/bin/python bench/fanout.py [--machines 200] [--scale 0.02] [--only old|scaled|hours]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lrtui.api.auth import BearerAuth, StaticToken
from lrtui.api.client import MdeClient
from lrtui.api.models import CommandType, Machine
from lrtui.api.records import RequestHub
from lrtui.api.sequence import Sequence, make_command
from lrtui.engine.budget import Budget, BudgetSettings
from lrtui.engine.engine import Engine
from lrtui.engine.jobs import JobState, Outcome
from lrtui.engine.journal import Journal
from lrtui.sim.config import SimConfig
from lrtui.sim.testing import running_simulator

GENERAL_ENDPOINTS_EXCLUDED = {"runliveresponse"}


def usable(sim, n: int) -> list[Machine]:
    out = []
    for rec in sim.state.machines:
        g = sim.group_of(rec)
        if (
            rec.supported
            and g.remediation_level
            and not rec.agent_too_old
            and rec.family == "windows"
            and rec.wire.get("healthStatus") == "Active"
            and rec.online_at <= sim.now()
        ):
            out.append(Machine.model_validate(rec.wire))
        if len(out) == n:
            break
    if len(out) < n:
        raise SystemExit(f"only {len(out)} usable machines in the demo tenant; raise --tenant")
    return out


def settings_for(scale: float, **kw) -> BudgetSettings:
    """The old bench's settings: one general budget shared by every API, a 5-second poll floor."""
    base = dict(
        rate_window_s=60 * scale,
        general_window_s=60 * scale,
        poll_fast_s=5 * scale,
        poll_slow_s=60 * scale,
        reconcile_grace_s=120 * scale,
        general_budget="shared",
    )
    base.update(kw)
    return BudgetSettings(**base)


def all_clocks_scaled(scale: float, **kw) -> BudgetSettings:
    """Every clock of the engine scaled by ``scale`` (the simulator scales its own by the same factor)."""
    d = BudgetSettings()
    base = dict(
        rate_window_s=d.rate_window_s * scale,
        general_window_s=d.general_window_s * scale,
        poll_fast_s=d.poll_fast_s * scale,
        poll_slow_s=d.poll_slow_s * scale,
        reconcile_grace_s=d.reconcile_grace_s * scale,
        retry_after_default_s=d.retry_after_default_s * scale,
        expected_action_s=d.expected_action_s * scale,
        general_budget="per-endpoint",
    )
    base.update(kw)
    return BudgetSettings(**base)


def make_engine(
    api_url: str, settings: BudgetSettings, journal: Journal, data_dir: Path, requests: RequestHub | None = None
) -> Engine:
    """The client and the engine wired as the app wires them (one budget, one request hub)."""
    budget = Budget(settings)
    requests = requests or RequestHub()
    client = MdeClient(
        api_url, auth=BearerAuth(StaticToken("demo-token")), on_request=requests, general_gate=budget.general_gate
    )
    return Engine(client, journal, budget, requests=requests, data_dir=data_dir)


def general_calls(sim) -> int:
    return sum(sum(c.values()) for ep, c in sim.state.calls_per_minute.items() if ep not in GENERAL_ENDPOINTS_EXCLUDED)


async def fanout(
    api_url: str,
    sim,
    n: int,
    scale: float,
    tmp: Path,
    script_s: float | None = None,
    settings: BudgetSettings | None = None,
    requests: RequestHub | None = None,
) -> dict:
    """Run one batch; ``script_s``: a library script that runs that many service seconds (sessions bind)."""
    settings = settings or settings_for(scale)
    tag = ("short" if script_s is None else f"long{script_s:g}") + f"-s{settings.max_sessions}-n{n}"
    eng = make_engine(api_url, settings, Journal(tmp / f"fanout-{tag}.sqlite3"), tmp / f"data-{tag}", requests)
    client = eng.client
    await eng.start()
    machines = usable(sim, n)
    script = "Get-Processes.ps1"
    if script_s is not None:
        script = f"bench-{tag}.ps1"
        await client.library.upload(
            script,
            f"# sim: duration={script_s:g}\nWrite-Output done\n".encode(),
            description="bench: runs a fixed time",
            override=True,
        )
    seq = (
        Sequence(comment=f"bench fan-out {tag}")
        .add(make_command(CommandType.RUN_SCRIPT, script))
        .add(make_command(CommandType.GET_FILE, r"C:\Windows\System32\drivers\etc\hosts", os_family="windows"))
    )
    t0 = time.monotonic()
    w0 = sim.now()
    jobs = await eng.submit(seq, machines)
    await eng.wait_idle(timeout=3600)
    makespan = time.monotonic() - t0
    await eng.stop()
    await client.aclose()
    ours = [a for a in sim.state.actions.values() if f"bench fan-out {tag} [lrtui-job:" in (a.comment or "")]
    durations = []
    for a in ours:
        final = next((t for t, s in a.history if s in ("Succeeded", "Failed", "TimeOut", "Cancelled")), None)
        durations.append(final - a.created)
    w = sim.lr_window.window_s
    # the last wave holds k submissions that cannot start before (waves - 1) windows; even if the scheduler knew
    # every duration and kept the k shortest for last, the batch ends no earlier than the k-th shortest of them
    waves = math.ceil(n / settings.rate_calls)
    k = n - settings.rate_calls * (waves - 1)
    rate_lb = (waves - 1) * w + sorted(durations)[k - 1]
    # work conservation: the sessions must carry every action's seconds; the j-th session to be used cannot start
    # before the j-th submission, which the rate allows no earlier than floor(j / rate) windows in (ramp-up)
    ramp = sum((j // settings.rate_calls) * w for j in range(min(n, settings.max_sessions)))
    session_lb = max(
        (sum(durations) + ramp) / settings.max_sessions, math.ceil(n / settings.max_sessions) * min(durations)
    )
    lb = max(rate_lb, session_lb)
    ok = sum(1 for j in jobs if j.outcome is Outcome.SUCCEEDED)
    created = sorted(a.created for a in ours)
    first_create = created[0] - w0
    gaps = [created[i + settings.rate_calls] - created[i] - w for i in range(len(created) - settings.rate_calls)]
    last_final = max(a.created + d for a, d in zip(ours, durations)) - w0
    print(
        f"  first POST {first_create:.3f} s after submit; last action final {last_final:.2f} s; "
        f"mean slack per wave {sum(gaps) / len(gaps) * 1000:.1f} ms",
        file=sys.stderr,
    )
    finals = sorted(a.created + d for a, d in zip(ours, durations))
    refill = []
    for f in finals[: n - settings.max_sessions]:
        nxt = next((c for c in created if c >= f), None)
        if nxt is not None:
            refill.append(nxt - f)
    if refill:
        print(
            f"  mean sessions busy {sum(durations) / (last_final - first_create):.1f}; mean wait from an action's end "
            f"to the next POST {sum(refill) / len(refill) * 1000:.0f} ms",
            file=sys.stderr,
        )
    return {
        "makespan": makespan,
        "lower_bound": lb,
        "rate_lb": rate_lb,
        "session_lb": session_lb,
        "ok": ok,
        "n": n,
        "mean_action_s": sum(durations) / len(durations),
        "first_post_after_s": first_create,
    }


async def polling_rate(api_url: str, sim, n: int, scale: float, tmp: Path, measure_s: float) -> tuple[float, int]:
    """General calls per (real) minute while ``n`` sessions run; and how many were running."""
    settings = settings_for(scale, rate_calls=50, max_sessions=50)
    eng = make_engine(api_url, settings, Journal(tmp / f"poll{n}.sqlite3"), tmp / "data")
    client = eng.client
    await eng.start()
    busy = {a.machine.id for a in sim.state.actions.values() if a.is_active}
    machines = [m for m in usable(sim, n + len(busy) + 5) if m.id not in busy][:n]
    seq = Sequence(comment="bench polling").add(make_command(CommandType.RUN_SCRIPT, "Watch-ProcessCreation.ps1"))
    jobs = await eng.submit(seq, machines)
    while not all(j.state is JobState.RUNNING for j in jobs):
        await asyncio.sleep(0.01)
    c0, t0 = general_calls(sim), time.monotonic()
    await asyncio.sleep(measure_s)
    running = sum(1 for j in jobs if j.state is JobState.RUNNING)
    rate = (general_calls(sim) - c0) / (time.monotonic() - t0) * 60.0
    for j in jobs:
        await eng.cancel(j.id, "bench done")
    await eng.wait_idle(timeout=60)
    await eng.stop()
    await client.aclose()
    return rate, running


def max_per_window(times: list[float], window: float) -> int:
    """The most calls in any rolling window of ``window`` seconds."""
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


async def old_bench(args, tmp: Path) -> None:
    """The old bench, in the shared-budget mode (one general budget for every API, on both sides)."""
    cfg = SimConfig(
        seed=5, machines=args.tenant, time_scale=args.scale, scale_rate_window=True, rate_calls=10, max_sessions=25
    )
    with running_simulator(cfg) as (api_url, _blob, sim):
        r = await fanout(api_url, sim, args.machines, args.scale, tmp)
        throttled = sim.state.throttled_count
        reasons = dict(sim.state.throttled_by_reason)
    # the same fan-out with a 5-minute script: now the 25 sessions, not the call rate, set the pace
    with running_simulator(dataclasses.replace(cfg, seed=7)) as (api_url, _blob, sim):
        rl = await fanout(api_url, sim, args.machines, args.scale, tmp, script_s=args.long_script_s)
        throttled += sim.state.throttled_count
        reasons.update({f"long:{k}": v for k, v in sim.state.throttled_by_reason.items()})
    # polling at 5 and at 25 sessions: a simulator of its own, generous limits so both fit
    cfg2 = SimConfig(
        seed=6, machines=200, time_scale=args.scale, scale_rate_window=True, rate_calls=50, max_sessions=50
    )
    with running_simulator(cfg2) as (api_url, _blob, sim2):
        measure = 300 * args.scale  # 5 scaled minutes, well inside the 10-minute script run
        r5, run5 = await polling_rate(api_url, sim2, 5, args.scale, tmp, measure)
        r25, run25 = await polling_rate(api_url, sim2, 25, args.scale, tmp, measure)
        throttled2 = sim2.state.throttled_count
    scaled_minute = 60 * args.scale
    print(f"SHARED general budget (the old bench), rate window {60 * args.scale:.2f} s")
    for name, x in (("fan-out", r), ("session-bound fan-out", rl)):
        print(f"{name}: {x['n']} machines, {x['ok']} succeeded, mean action {x['mean_action_s']:.2f} s")
        print(
            f"  makespan {x['makespan']:.2f} s; lower bound {x['lower_bound']:.2f} s "
            f"(rate {x['rate_lb']:.2f} s, sessions {x['session_lb']:.2f} s)"
        )
        print(f"  makespan / lower bound = {x['makespan'] / x['lower_bound']:.3f}   (target <= 1.05)")
    print(f"  429 answers received = {throttled + throttled2}   (target 0) {reasons or ''}")
    print(
        f"general calls per scaled minute: {r5 * scaled_minute / 60:.1f} at 5 sessions ({run5} running), "
        f"{r25 * scaled_minute / 60:.1f} at 25 sessions ({run25} running)"
    )
    print(f"  ratio 25/5 = {r25 / r5:.3f}   (target 1.0)")


async def scaled_bench(args, tmp: Path) -> None:
    """Sessions bind; every clock of the engine and the simulator scaled by ``--clock-scale``; budgets per API."""
    scale = args.clock_scale
    print(f"PER-API budgets, every clock scaled by {scale:g} (session-bound, {args.scaled_script_s:g} s scripts)")
    for sessions in (5, 25):
        cfg = SimConfig(
            seed=11 + sessions,
            machines=args.tenant,
            time_scale=scale,
            scale_rate_window=True,
            rate_calls=10,
            max_sessions=sessions,
            general_per_endpoint=True,
        )
        n = args.waves * sessions
        settings = all_clocks_scaled(scale, max_sessions=sessions)
        with running_simulator(cfg) as (api_url, _blob, sim):
            x = await fanout(api_url, sim, n, scale, tmp, script_s=args.scaled_script_s, settings=settings)
            throttled, reasons = sim.state.throttled_count, dict(sim.state.throttled_by_reason)
        print(
            f"{sessions} sessions: {x['n']} machines, {x['ok']} succeeded, mean action {x['mean_action_s']:.2f} s; "
            f"makespan {x['makespan']:.2f} s; lower bound {x['lower_bound']:.2f} s "
            f"(rate {x['rate_lb']:.2f} s, sessions {x['session_lb']:.2f} s)"
        )
        print(f"  makespan / lower bound = {x['makespan'] / x['lower_bound']:.3f}   (target <= 1.03)")
        print(f"  429 answers received = {throttled}   (target 0) {reasons or ''}")


async def hours_bench(args, tmp: Path) -> None:
    """A simulated 2-hour run of 600 machines (25 sessions, 5-minute scripts): calls per hour per API."""
    scale = args.hours_scale
    cfg = SimConfig(
        seed=21,
        machines=args.hours_tenant,
        time_scale=scale,
        scale_rate_window=True,
        rate_calls=10,
        max_sessions=25,
        general_per_endpoint=True,
    )
    calls: dict[str, list[float]] = {}
    requests = RequestHub()
    requests.add(lambda rec: calls.setdefault(rec.endpoint or "blob", []).append(rec.at))
    settings = all_clocks_scaled(scale)
    with running_simulator(cfg) as (api_url, _blob, sim):
        x = await fanout(
            api_url, sim, 600, scale, tmp, script_s=args.long_script_s, settings=settings, requests=requests
        )
        throttled, reasons = sim.state.throttled_count, dict(sim.state.throttled_by_reason)
    hour = 3600 * scale
    print(
        f"2-hour run: {x['n']} machines, {x['ok']} succeeded, {x['makespan'] / hour:.2f} scaled hours "
        f"(makespan / lower bound = {x['makespan'] / x['lower_bound']:.3f})"
    )
    for ep in sorted(calls):
        if ep in ("blob", "runliveresponse"):
            continue
        print(
            f"  {ep}: {len(calls[ep])} calls, at most {max_per_window(calls[ep], hour)} in any hour   (target <= 1500)"
        )
    print(f"  429 answers received = {throttled}   (target 0) {reasons or ''}")


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--machines", type=int, default=200)
    ap.add_argument("--scale", type=float, default=0.02, help="service seconds -> simulator seconds")
    ap.add_argument("--tenant", type=int, default=600)
    ap.add_argument("--long-script-s", type=float, default=300.0, help="service seconds of the session-bound run")
    ap.add_argument("--clock-scale", type=float, default=0.01, help="every clock's factor in the per-API cases")
    ap.add_argument("--waves", type=int, default=10, help="machines per session in the per-API cases")
    ap.add_argument("--scaled-script-s", type=float, default=540.0, help="service seconds of a per-API case's script")
    ap.add_argument("--hours-scale", type=float, default=0.005, help="clock factor of the 2-hour run")
    ap.add_argument("--hours-tenant", type=int, default=1500)
    ap.add_argument("--only", choices=("old", "scaled", "hours"), default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        os.environ.setdefault("LRTUI_HOME", str(tmp / "home"))
        if args.only in (None, "old"):
            await old_bench(args, tmp)
        if args.only in (None, "scaled"):
            await scaled_bench(args, tmp)
        if args.only in (None, "hours"):
            await hours_bench(args, tmp)


if __name__ == "__main__":
    asyncio.run(main())
