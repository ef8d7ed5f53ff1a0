"""``lrtui serve``: the app in browsers, for a workshop room (the optional extra ``lrtui[serve]``).

Each browser tab gets its own app process (``python -m lrtui --demo``, so its own demo tenant and its own
temporary home) speaking textual's web driver protocol over a websocket; the page and its scripts are
textual-serve's. Every URL carries a random access token in its path (``/TOKEN/``); anything else is refused.

Not textual-serve's ``Server`` as is: it starts each app through ``/bin/sh -c`` (a signal to the pid it knows
never reaches the app), waits for the app's output with no bound after "quit", and stops reading that output
once a websocket write fails (the app then blocks in a write to a full pipe, its event loop and SIGTERM handler
stuck). Here each app runs without a shell in its own process group (and dies with this server on Linux); when
its browser goes away (websocket closed, a write stalled, idle too long) the session sends "quit", then SIGTERM
and SIGKILL to the group, each after a short grace; a watchdog checks every session once a second.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import importlib.util
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrtui.cli.commands.serve_options import ServeConfig, config_from_args, main
from lrtui.cli.exits import EXIT_OK, EXIT_USAGE
from lrtui.engine.waits import finished_within, within

if TYPE_CHECKING:
    from aiohttp import web

#: bounds on what a browser or an app may send
MAX_WS_MESSAGE = 64 * 1024
MAX_APP_PACKET = 8 * 1024 * 1024
WRITE_TIMEOUT_S = 10.0
QUIT_GRACE_S = 1.5
TERM_GRACE_S = 1.5
#: environment the app processes inherit (no secrets: no LRTUI_*, AZURE_* or token variables pass)
_ENV_KEEP = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH", "VIRTUAL_ENV", "TEXTUAL_ANIMATIONS")


def run(ns: argparse.Namespace) -> int:
    """Serve until Ctrl+C or SIGTERM; exit 2 for bad options or a missing extra."""
    cfg = config_from_args(ns)
    if isinstance(cfg, str):
        print(f"lrtui serve: {cfg}", file=sys.stderr)
        return EXIT_USAGE
    if any(importlib.util.find_spec(m) is None for m in ("aiohttp", "jinja2", "textual_serve")):
        print("lrtui serve: needs the serve extra: pip install 'lrtui[serve]'", file=sys.stderr)
        return EXIT_USAGE
    try:
        asyncio.run(ServeServer(cfg).serve_forever())
    except OSError as e:
        print(f"lrtui serve: cannot listen on {cfg.host}:{cfg.port}: {e.strerror or e}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _die_with_parent() -> None:
    """In the app process before exec (Linux): SIGKILL when the server dies, even by kill -9."""
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _packet(kind: bytes, payload: bytes) -> bytes:
    return kind + len(payload).to_bytes(4, "big") + payload


class Session:
    """One browser tab: one app process in its own process group, bridged to one websocket."""

    def __init__(self, cfg: ServeConfig, ws: web.WebSocketResponse) -> None:
        self._cfg = cfg
        self.ws = ws
        self.proc: asyncio.subprocess.Process | None = None
        self.last_input = time.monotonic()
        self._home = Path(tempfile.mkdtemp(prefix="lrtui-serve-")) if cfg.demo else None
        self._pump: asyncio.Task[None] | None = None
        self._stopping: asyncio.Task[None] | None = None

    def _env(self, width: int, height: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k in _ENV_KEEP}
        env.update(HOME=os.environ.get("HOME", "/"), COLUMNS=str(width), ROWS=str(height), TERM_PROGRAM="textual")
        env.update(TEXTUAL_DRIVER="textual.drivers.web_driver:WebDriver", TEXTUAL_COLOR_SYSTEM="truecolor")
        if self._home is not None:
            env["LRTUI_HOME"] = str(self._home)
        elif "LRTUI_HOME" in os.environ:
            env["LRTUI_HOME"] = os.environ["LRTUI_HOME"]
        return env

    async def start(self, width: int, height: int) -> None:
        linux = sys.platform.startswith("linux")
        self.proc = await asyncio.create_subprocess_exec(
            *self._cfg.command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=self._env(width, height),
            start_new_session=True,
            preexec_fn=_die_with_parent if linux else None,
        )
        self._pump = asyncio.create_task(self._pump_output())

    async def _send(self, kind: bytes, payload: bytes) -> None:
        proc = self.proc
        if proc is None or proc.stdin is None or proc.returncode is not None:
            return
        with contextlib.suppress(OSError, RuntimeError, ConnectionError, TimeoutError):
            proc.stdin.write(_packet(kind, payload))
            async with asyncio.timeout(WRITE_TIMEOUT_S):
                await proc.stdin.drain()

    async def send_meta(self, meta: dict[str, Any]) -> None:
        await self._send(b"M", json.dumps(meta).encode())

    async def on_browser(self, text: str) -> None:
        """One message from the page: ``["stdin", s]``, ``["resize", {...}]``, ``["ping", x]``, focus/blur."""
        try:
            envelope = json.loads(text)
        except ValueError:
            return
        if not isinstance(envelope, list) or not envelope:
            return
        kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
        if kind == "stdin" and isinstance(data, str):
            self.last_input = time.monotonic()
            await self._send(b"D", data.encode("utf-8", "replace"))
        elif kind == "resize" and isinstance(data, dict):
            w, h = data.get("width"), data.get("height")
            if isinstance(w, int) and isinstance(h, int) and 1 <= w <= 1000 and 1 <= h <= 500:
                self.last_input = time.monotonic()
                await self.send_meta({"type": "resize", "width": w, "height": h})
        elif kind == "ping":
            await self.ws.send_json(["pong", data])
        elif kind in ("focus", "blur"):
            await self.send_meta({"type": kind})

    async def _pump_output(self) -> None:
        """The app's packets to the browser; a write that stalls or fails ends the session."""
        assert self.proc is not None and self.proc.stdout is not None
        out = self.proc.stdout
        try:
            while (line := await out.readline()) != b"__GANGLION__\n":
                if not line:
                    return
            while True:
                head = await out.readexactly(5)
                size = int.from_bytes(head[1:], "big")
                if size > MAX_APP_PACKET:
                    break
                payload = await out.readexactly(size)
                async with asyncio.timeout(WRITE_TIMEOUT_S):
                    if head[:1] == b"D":
                        await self.ws.send_bytes(payload)
                    elif head[:1] == b"M" and json.loads(payload).get("type") == "exit":
                        break
        except (asyncio.IncompleteReadError, ConnectionError, RuntimeError, TimeoutError, ValueError):
            pass
        finally:
            self.stop_soon()

    def stop_soon(self) -> asyncio.Task[None]:
        """Start stopping (once); the task ends when the app's process group is gone."""
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop())
        return self._stopping

    async def _stop(self) -> None:
        with contextlib.suppress(Exception):
            await within(self.ws.close(), 2)
        proc = self.proc
        if proc is not None and proc.returncode is None:
            await self.send_meta({"type": "quit"})
            if not await self._wait(proc, QUIT_GRACE_S):
                self._signal_group(proc.pid, signal.SIGTERM)
                if not await self._wait(proc, TERM_GRACE_S):
                    self._signal_group(proc.pid, signal.SIGKILL)
                    await self._wait(proc, 5)
        if proc is not None:
            self._signal_group(proc.pid, signal.SIGKILL)  # anything the app left in its group
        if self._pump is not None and self._pump is not asyncio.current_task():
            self._pump.cancel()
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)

    @staticmethod
    async def _wait(proc: asyncio.subprocess.Process, seconds: float) -> bool:
        await finished_within(proc.wait(), seconds)
        return proc.returncode is not None

    @staticmethod
    def _signal_group(pid: int, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)  # the app leads its own session: its pgid is its pid


class ServeServer:
    """The aiohttp application: the page, its static files, the websocket, the token check, the watchdog."""

    def __init__(self, cfg: ServeConfig) -> None:
        self.cfg = cfg
        self.sessions: set[Session] = set()
        self._base = f"/{cfg.token}/"

    def url(self, port: int) -> str:
        host = self.cfg.host if self.cfg.host not in ("0.0.0.0", "::", "") else socket.gethostname()  # noqa: S104
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}{self._base}"

    def make_app(self) -> web.Application:
        from aiohttp import web
        from textual_serve import server as ts

        static = Path(ts.__file__).parent / "static"
        app = web.Application(middlewares=[self._token_middleware()], client_max_size=MAX_WS_MESSAGE)
        app.router.add_get(self._base, self._index)
        app.router.add_get(self._base + "ws", self._websocket)
        app.router.add_static(self._base + "static", static)
        app.on_startup.append(self._start_watchdog)
        app.on_shutdown.append(self._stop_all)
        return app

    def _token_middleware(self) -> Any:
        """Refuses every request whose path does not start with ``/TOKEN/`` (compared in constant time)."""
        from aiohttp import web

        token = self._base.encode()

        @web.middleware
        async def check(request: web.Request, handler: Any) -> web.StreamResponse:
            given = request.path.encode()[: len(token)]
            if not hmac.compare_digest(given.ljust(len(token), b"\0"), token):
                return web.Response(
                    status=403, text="lrtui serve: this URL needs the access token the server printed.\n"
                )
            response: web.StreamResponse = await handler(request)
            response.headers["Referrer-Policy"] = "no-referrer"
            return response

        return check

    async def _index(self, request: web.Request) -> web.Response:
        import jinja2
        from aiohttp import web
        from textual_serve import server as ts

        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(Path(ts.__file__).parent / "templates"), autoescape=True
        )
        base = f"http://{request.host}{self._base}"
        html = env.get_template("app_index.html").render(
            font_size=16,
            app_websocket_url="ws://" + base.split("://", 1)[1] + "ws",
            config={"static": {"url": base + "static/"}},
            application={"name": "lrtui (demo tenant)" if self.cfg.demo else "lrtui"},
            ping_url="",
        )
        return web.Response(text=html, content_type="text/html")

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        from aiohttp import WSMsgType, web

        if len(self.sessions) >= self.cfg.max_sessions:
            return web.Response(status=503, text=f"lrtui serve: all {self.cfg.max_sessions} sessions are in use.\n")
        ws = web.WebSocketResponse(heartbeat=5, max_msg_size=MAX_WS_MESSAGE)
        await ws.prepare(request)
        session = Session(self.cfg, ws)
        self.sessions.add(session)
        try:
            size = [_query_int(request, "width", 80, 1000), _query_int(request, "height", 24, 500)]
            await session.start(*size)
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await session.on_browser(msg.data)
        finally:
            await asyncio.shield(session.stop_soon())
            self.sessions.discard(session)
        return ws

    async def _start_watchdog(self, app: web.Application) -> None:
        app["lrtui_watchdog"] = asyncio.create_task(self._watchdog())

    async def _watchdog(self) -> None:
        """Once a second: end sessions whose browser is gone, whose app has exited, or that sat idle too long."""
        while True:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            for s in list(self.sessions):
                app_gone = s.proc is not None and s.proc.returncode is not None
                if s.ws.closed or app_gone or now - s.last_input > self.cfg.idle_timeout_s:
                    s.stop_soon()

    async def _stop_all(self, app: web.Application) -> None:
        app["lrtui_watchdog"].cancel()
        await asyncio.gather(*(s.stop_soon() for s in list(self.sessions)), return_exceptions=True)

    async def serve_forever(self) -> None:
        from aiohttp import web

        sock = socket.socket(socket.AF_INET6 if ":" in self.cfg.host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.cfg.host, self.cfg.port))
        runner = web.AppRunner(self.make_app(), handle_signals=False, access_log=None)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        print(
            f"Serving lrtui ({'demo tenant' if self.cfg.demo else 'YOUR tenant'}) at {self.url(sock.getsockname()[1])}"
        )
        print(f"Up to {self.cfg.max_sessions} tabs; Ctrl+C stops the server and every tab's app.", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()


def _query_int(request: web.Request, name: str, default: int, most: int) -> int:
    value = request.query.get(name, "")
    return min(max(1, int(value)), most) if value.isdigit() and len(value) < 6 else default


if __name__ == "__main__":
    raise SystemExit(main())
