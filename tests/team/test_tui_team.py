"""The app with a team profile (the simulator over loopback, a real redis-server): the Activity gauges show the
team's sessions, and in words that budgets are local while the store is gone, as a user sees them (key 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrtui.sim.config import SimConfig
from lrtui.sim.testing import running_simulator
from tests.team.engines import SCALE, sequence, upload_script, usable
from tests.team.helpers import APP, connect
from tests.team.redis_server import RedisServer
from tests.tui.conftest import wait_ready, wait_until
from tests.tui.pane_helpers import screen_text

CONFIG = """default_profile = "soc"
[profiles.soc]
tenant_id = "{tenant}"
client_id = "{app}"
auth = "token"
api_url = "{api}"
comment_prefix = "analyst=dana case=IR-3: "
[profiles.soc.team]
redis_url = "{url}"
ttl_s = 3
"""


async def test_the_gauges_show_the_team_and_the_fallback_in_words(
    own_redis: RedisServer, tenant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lrtui.cli.compose import runtime_factory
    from lrtui.settings import load_settings
    from lrtui.tui.app import make_app

    cfg = SimConfig(seed=5, machines=80, time_scale=SCALE, scale_rate_window=True)
    with running_simulator(cfg) as (api, _blob, sim):
        await upload_script(api, 600)
        home = tmp_path / "home"
        (home / "config").mkdir(parents=True, mode=0o700)
        conf = home / "config" / "config.toml"
        conf.write_text(CONFIG.format(tenant=tenant, app=APP, api=api, url=own_redis.url), encoding="utf-8")
        conf.chmod(0o600)
        for k in ("LRTUI_PROFILE", "LRTUI_API_URL", "LRTUI_DEMO"):
            monkeypatch.delenv(k, raising=False)
        monkeypatch.setenv("LRTUI_HOME", str(home))
        monkeypatch.setenv("LRTUI_ACCESS_TOKEN", "demo-token")
        monkeypatch.setenv("LRTUI_RATE_WINDOW_S", str(60 * SCALE))
        monkeypatch.setenv("LRTUI_GENERAL_WINDOW_S", str(60 * SCALE))
        settings = load_settings()
        app = make_app(settings, demo=False, runtime_factory=runtime_factory(settings, demo=False), cursor_blink=False)
        alice = await connect(own_redis.url, tenant, "alice")
        try:
            for i in range(3):
                await alice.acquire_session(f"a{i}", f"elsewhere-{i}")
            async with app.run_test(size=(120, 40)) as pilot:
                await wait_ready(pilot, timeout=20)
                await pilot.press("3")
                engine = app.runtime.engine
                await engine.submit(sequence("analyst=dana case=IR-3: sweep"), usable(sim, 2))
                await wait_until(pilot, lambda: "Team Sessions 5/25, 2 yours" in screen_text(app), timeout=20)
                own_redis.stop()
                await wait_until(
                    pilot, lambda: "team store unavailable: local half budgets" in screen_text(app), timeout=20
                )
                assert "Team Sessions" not in screen_text(app)
                own_redis.start()
                await wait_until(pilot, lambda: "Team Sessions" in screen_text(app), timeout=20)
                await pilot.press("ctrl+q")
        finally:
            await alice.aclose()
