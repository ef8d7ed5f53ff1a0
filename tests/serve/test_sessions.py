"""The server's own rules, over a plain websocket client: at most --max-sessions tabs, an idle tab's app ends,
and every app dies with the server even when the server is killed with -9."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import aiohttp
import psutil
import pytest

from tests.serve.conftest import Served


def _ws_url(served: Served) -> str:
    return "ws" + served.url.removeprefix("http") + "ws?width=100&height=30"


async def _until_gone(pid: int, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"app {pid} still running after {seconds} s")


async def _first_output(ws: aiohttp.ClientWebSocketResponse) -> None:
    msg = await asyncio.wait_for(ws.receive(), 20)
    assert msg.type == aiohttp.WSMsgType.BINARY


async def test_more_tabs_than_max_sessions_are_refused_and_a_closed_tab_frees_its_place() -> None:
    served = Served("--max-sessions", "1")
    try:
        async with aiohttp.ClientSession() as http:
            first = await http.ws_connect(_ws_url(served))
            await _first_output(first)
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(_ws_url(served))
            assert refused.value.status == 503
            [app] = served.apps()
            await first.close()
            await _until_gone(app, 5)
            again = await http.ws_connect(_ws_url(served))
            await _first_output(again)
            await again.close()
    finally:
        served.stop()


async def test_an_idle_tab_is_ended_after_the_idle_timeout() -> None:
    served = Served("--idle-timeout", "2s")
    try:
        async with aiohttp.ClientSession() as http:
            connected = time.monotonic()
            ws = await http.ws_connect(_ws_url(served))
            await _first_output(ws)
            [app] = served.apps()
            await _until_gone(app, 8)
            assert time.monotonic() - connected >= 2.0  # not before the idle timeout
            while not ws.closed:  # the server closed the tab's websocket too
                if (await asyncio.wait_for(ws.receive(), 5)).type in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSED,
                ):
                    break
    finally:
        served.stop()


async def test_apps_die_with_the_server_even_after_kill_9() -> None:
    served = Served()
    try:
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(_ws_url(served))
            await _first_output(ws)
            [app] = served.apps()
            os.kill(served.proc.pid, signal.SIGKILL)
            assert await _until_gone(app, 5) < 1.5  # at once (the parent-death signal), not at its next write
            await ws.close()
    finally:
        served.stop()


async def test_each_tab_gets_its_own_home_and_none_of_the_servers_secrets() -> None:
    env = dict(os.environ, LRTUI_CLIENT_SECRET="s3cret", LRTUI_REDIS_PASSWORD="pw", AZURE_CLIENT_SECRET="az")
    served = Served(env=env)
    try:
        async with aiohttp.ClientSession() as http:
            tabs = [await http.ws_connect(_ws_url(served)) for _ in range(2)]
            for ws in tabs:
                await _first_output(ws)
            homes = []
            for pid in served.apps():
                child_env = psutil.Process(pid).environ()
                assert not {"LRTUI_CLIENT_SECRET", "LRTUI_REDIS_PASSWORD", "AZURE_CLIENT_SECRET"} & set(child_env)
                homes.append(child_env["LRTUI_HOME"])
            assert len(set(homes)) == 2
            for ws in tabs:
                await ws.close()
    finally:
        served.stop()


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--profile", "work"], "--profile needs --allow-tenant"),
        (["--max-sessions", "0"], "--max-sessions 0: say 1 to 500"),
        (["--port", "70000"], "--port 70000 is not a port"),
    ],
)
def test_bad_options_are_refused_with_a_clear_message(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from lrtui.cli.commands.serve_options import main

    assert main(argv) == 2
    assert says in capsys.readouterr().err
