"""Test helper: serve a simulator on free loopback ports in a background thread.

with running_simulator(SimConfig(time_scale=0.001)) as (api_url, blob_url, sim):
    httpx.get(f"{api_url}/api/machines", headers={"Authorization": "Bearer demo-token"})
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
from collections.abc import Iterator
from typing import Any

from .config import SimConfig
from .server import SimServer
from .simulator import Simulator

__all__ = ["AUTH", "DEMO_TOKEN", "running_simulator"]

DEMO_TOKEN = "demo-token"  # noqa: S105 (the demo tenant accepts any bearer token)
AUTH = {"Authorization": f"Bearer {DEMO_TOKEN}"}


@contextlib.contextmanager
def running_simulator(
    config: SimConfig | Simulator | None = None, *, host: str = "127.0.0.1", timeout: float = 30.0, **overrides: Any
) -> Iterator[tuple[str, str, Simulator]]:
    """Yield ``(api_url, blob_url, simulator)`` while both origins listen on free ports of ``host``.
    ``overrides`` replace SimConfig fields (``running_simulator(time_scale=0.001, machines=50)``)."""
    if isinstance(config, Simulator):
        sim = config
    else:
        cfg = config or SimConfig()
        if overrides:
            cfg = dataclasses.replace(cfg, **overrides)
        sim = Simulator(cfg)
    srv = SimServer(sim, host, 0, 0)
    started = threading.Event()
    failure: list[BaseException] = []

    def ready(api: str, blob: str) -> None:
        started.set()

    def run() -> None:
        try:
            asyncio.run(srv.run(ready))
        except BaseException as e:
            failure.append(e)
        finally:
            started.set()

    t = threading.Thread(target=run, name="lrtui-sim", daemon=True)
    t.start()
    if not started.wait(timeout):
        srv.request_stop()
        raise TimeoutError("the simulator did not start in time")
    if failure:
        raise RuntimeError("the simulator failed to start") from failure[0]
    try:
        yield srv.api_url, srv.blob_url, sim
    finally:
        srv.request_stop()
        t.join(timeout)
