"""``lrtui run`` / ``lrtui resume`` as a user runs them with a team profile: real processes, the simulator over
loopback, a real redis-server. A teammate's machine is named; a killed process's holds end within the TTL and
``resume`` finishes its jobs once; an unreachable store is a notice, not a crash; without the extra, a clear
message."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from lrtui.engine.team import Hold
from lrtui.sim.config import SimConfig
from lrtui.sim.testing import running_simulator
from tests.team.engines import SCALE, SCRIPT, upload_script, usable
from tests.team.helpers import APP, connect
from tests.team.redis_server import RedisServer, free_port

CONFIG = """default_profile = "soc"
[profiles.soc]
tenant_id = "{tenant}"
client_id = "{app}"
auth = "token"
api_url = "{api}"
comment_prefix = "analyst=carol case=IR-9: "
[profiles.soc.team]
redis_url = "{url}"
ttl_s = {ttl}
"""
CFG = SimConfig(seed=5, machines=120, time_scale=SCALE, scale_rate_window=True)


def _home(tmp_path: Path, tenant: str, api: str, url: str, ttl: float = 3.0) -> Path:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True, mode=0o700)
    cfg = home / "config" / "config.toml"
    cfg.write_text(CONFIG.format(tenant=tenant, app=APP, api=api, url=url, ttl=ttl), encoding="utf-8")
    cfg.chmod(0o600)
    return home


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LRTUI_")}
    w = str(60 * SCALE)
    env.update(LRTUI_HOME=str(home), LRTUI_ACCESS_TOKEN="demo-token", LRTUI_RATE_WINDOW_S=w)
    env.update(LRTUI_GENERAL_WINDOW_S=w, LRTUI_POLL_FAST_S="0.05", LRTUI_POLL_SLOW_S=w, LRTUI_RECONCILE_GRACE_S="1")
    env.update(extra)
    return env


def _run_args(machines: list[str]) -> list[str]:
    args = [sys.executable, "-m", "lrtui", "run", "--run-script", SCRIPT, "-c", "team check", "--json"]
    for m in machines:
        args += ["-m", m]
    return args


async def test_run_names_the_teammate_and_gives_its_holds_back(redis_server: RedisServer, tenant: str, tmp_path):
    with running_simulator(CFG) as (api, _blob, sim):
        await upload_script(api, 60)
        ms = usable(sim, 3)
        home = _home(tmp_path, tenant, api, redis_server.url)
        alice = await connect(redis_server.url, tenant, "alice")
        try:
            hold = await alice.acquire_session("alice-job", ms[0].id)
            assert isinstance(hold, Hold)
            proc = await asyncio.create_subprocess_exec(
                *_run_args([m.id for m in ms]), env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            await asyncio.sleep(2.0)
            await alice.release(hold)
            out, err = await asyncio.wait_for(proc.communicate(), 90)
            assert proc.returncode == 0, err.decode()
            assert "busy with a teammate's action (alice@jump" in err.decode() and "IR-alice" in err.decode()
            doc = json.loads(out)
            assert [j["outcome"] for j in doc["jobs"]] == ["succeeded"] * 3
            assert (await alice.usage()).sessions_used == 0  # every hold given back at the end
        finally:
            await alice.aclose()
        assert sim.state.throttled_count == 0 and sim.state.lr_post_count == sim.state.lr_created_count == 3


async def test_a_killed_run_frees_its_holds_within_the_ttl_and_resume_finishes_once(
    redis_server: RedisServer, tenant: str, tmp_path
) -> None:
    ttl = 1.0
    with running_simulator(CFG) as (api, _blob, sim):
        await upload_script(api, 600)  # 6 s at this scale: still running when the process dies
        ms = usable(sim, 4)
        home = _home(tmp_path, tenant, api, redis_server.url, ttl=ttl)
        watcher = await connect(redis_server.url, tenant, "watcher")
        try:
            proc = subprocess.Popen(_run_args([m.id for m in ms]), env=_env(home), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)  # fmt: skip
            deadline = time.monotonic() + 60
            while (await watcher.usage()).sessions_used < 4 and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            assert (await watcher.usage()).sessions_used == 4
            proc.kill()  # -9: no release
            proc.wait(10)
            killed = time.monotonic()
            while (await watcher.usage()).sessions_used and time.monotonic() - killed < ttl + 3:
                await asyncio.sleep(0.02)
            assert (await watcher.usage()).sessions_used == 0
            assert time.monotonic() - killed <= ttl + 0.5
            resume = subprocess.Popen([sys.executable, "-m", "lrtui", "resume", "--json"], env=_env(home),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
            seen = 0  # the resumed jobs' actions still run: their holds are taken again
            while seen < 4 and resume.poll() is None:
                seen = max(seen, (await watcher.usage()).sessions_used)
                await asyncio.sleep(0.02)
            out, err = resume.communicate(timeout=90)
            assert resume.returncode == 0, err
            assert seen == 4
            jobs = json.loads(out)["jobs"]
            assert sorted(j["machine_id"] for j in jobs) == sorted(m.id for m in ms)
            assert all(j["outcome"] == "succeeded" for j in jobs)
        finally:
            await watcher.aclose()
        assert sim.state.lr_post_count == sim.state.lr_created_count == 4  # each job sent once
        assert sim.state.throttled_count == 0


async def test_an_unreachable_store_is_a_notice_and_the_run_goes_on(tenant: str, tmp_path) -> None:
    with running_simulator(CFG) as (api, _blob, sim):
        await upload_script(api, 30)
        ms = usable(sim, 2)
        home = _home(tmp_path, tenant, api, f"redis://127.0.0.1:{free_port()}/0")
        r = subprocess.run(_run_args([m.id for m in ms]), env=_env(home), capture_output=True, text=True, timeout=90)
        assert r.returncode == 0, r.stderr
        assert r.stderr.count("The team's budget store is unavailable") == 1
        assert "Traceback" not in r.stderr
        assert [j["outcome"] for j in json.loads(r.stdout)["jobs"]] == ["succeeded"] * 2


def test_without_the_redis_package_the_message_says_to_install_the_extra(tenant: str, tmp_path) -> None:
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "redis.py").write_text('raise ImportError("no module named redis (blocked for the test)")\n')
    home = _home(tmp_path, tenant, "http://127.0.0.1:9", "redis://127.0.0.1:6379/0")
    env = _env(home, PYTHONPATH=os.pathsep.join([str(blocker), *sys.path]))
    r = subprocess.run(_run_args(["m1"]), env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "pip install 'lrtui[team]'" in r.stderr and "redis package is not installed" in r.stderr
    assert "Traceback" not in r.stderr
