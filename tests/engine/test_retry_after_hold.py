"""A Retry-After past the limit never hangs a run: the work is held for the limit at most, said with the
resume path, and the job waits in the queue (issue 14: one 429 with Retry-After 10^9 hung the run)."""

from __future__ import annotations

import asyncio

import httpx

from lrtui.engine.jobs import EngineNotice, JobState

from .conftest import demo_auth, make_sim, scaled_settings, usable
from .helpers import seq, wire_engine


class HugeRetryAfterOnce:
    """The simulator's API, except that the first runliveresponse POST is answered 429, Retry-After 10^9."""

    def __init__(self, app) -> None:
        self.app, self.sent = app, False

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/runliveresponse") and not self.sent:
            self.sent = True
            body = b'{"error":{"code":"TooManyRequests","message":"slow down"}}'
            await send({"type": "http.response.start", "status": 429,
                        "headers": [(b"content-type", b"application/json"), (b"retry-after", b"1000000000")]})  # fmt: skip
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


async def test_a_huge_retry_after_holds_the_job_for_the_limit_and_says_how_to_resume(tmp_path, journal):
    sim = make_sim()
    api = HugeRetryAfterOnce(sim.api_app)
    settings = scaled_settings(retry_after_limit_s=3600.0)

    def client(**kw):
        from lrtui.api.client import MdeClient

        return MdeClient("http://api.localhost", auth=demo_auth(), transport=httpx.ASGITransport(app=api),
                         blob_transport=httpx.ASGITransport(app=sim.blob_app), **kw)  # fmt: skip

    engine = wire_engine(client, journal, settings, data_dir=tmp_path / "data")
    notices: list[str] = []
    engine.subscribe(lambda ev: notices.append(ev.message) if isinstance(ev, EngineNotice) else None)
    await engine.start()
    try:
        [job] = await engine.submit(seq(("GetFile", r"C:\Windows\win.ini")), usable(sim, 1))
        for _ in range(200):
            if api.sent and job.state in (JobState.QUEUED, JobState.PAUSED) and job.attempts == 1:
                break
            await asyncio.sleep(0.01)
        assert api.sent and job.state is JobState.QUEUED and job.outcome is None  # waiting, not failed
        left = engine.budget.backoff_left()
        assert 3500 < left <= 3600  # held for the limit, not 10^9 s
        said = " ".join([*notices, job.error_message or ""])
        assert "lrtui resume" in said and "1000000000" in said
    finally:
        await engine.stop()
        await engine.client.aclose()
