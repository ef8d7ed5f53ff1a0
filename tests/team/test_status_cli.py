"""``lrtui team status`` as a user runs it: a profile with a team store, teammates holding machines, the
status printed (text and JSON), and clear exits without a store or with it down."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.team.helpers import APP, connect

TENANT_FILE = """
default_profile = "soc"
[profiles.soc]
tenant_id = "{tenant}"
client_id = "{app}"
auth = "token"
comment_prefix = "analyst=carol case=IR-7: "
[profiles.soc.team]
redis_url = "{url}"
ttl_s = 30
"""


def _lrtui(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LRTUI_")}
    env.update(LRTUI_HOME=str(home), LRTUI_ACCESS_TOKEN="t")
    return subprocess.run([sys.executable, "-m", "lrtui", *args], capture_output=True, text=True, env=env, timeout=60)


def _home(tmp_path: Path, tenant: str, url: str) -> Path:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True, mode=0o700)
    cfg = home / "config" / "config.toml"
    cfg.write_text(TENANT_FILE.format(tenant=tenant, app=APP, url=url), encoding="utf-8")
    cfg.chmod(0o600)
    return home


async def test_status_names_who_holds_each_machine(redis_server, tenant, tmp_path):
    home = _home(tmp_path, tenant, redis_server.url)
    alice = await connect(redis_server.url, tenant, "alice")
    try:
        hold = await alice.acquire_session("job-1", "m" * 40)
        assert hold.__class__.__name__ == "Hold"
        out = _lrtui(home, "team", "status")
        assert out.returncode == 0, out.stderr
        assert "Sessions 1/25" in out.stdout and "held by alice@jump (IR-alice)" in out.stdout
        doc = json.loads(_lrtui(home, "team", "status", "--json").stdout)
        assert doc["kind"] == "team-status" and doc["sessions"] == {"used": 1, "limit": 25}
        assert doc["machines"] == [{"machine_id": "m" * 40, "holder": "alice@jump", "comment_prefix": "IR-alice",
                                    "job_id": "job-1"}]  # fmt: skip
    finally:
        await alice.aclose()


def test_without_a_store_or_with_it_down_the_exit_says_why(own_redis, tenant, tmp_path):
    home = _home(tmp_path, tenant, own_redis.url)
    own_redis.stop()
    down = _lrtui(home, "team", "status")
    assert down.returncode == 3 and "cannot be reached" in down.stdout + down.stderr
    assert "Traceback" not in down.stderr
    cfg = home / "config" / "config.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8").split("[profiles.soc.team]")[0], encoding="utf-8")
    none = _lrtui(home, "team", "status")
    assert none.returncode == 3 and "has no team store" in none.stdout + none.stderr
