"""Serve a :class:`Simulator` over HTTP with uvicorn: the API and the blob origin on two ports."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Generator

import uvicorn

from .config import SimConfig
from .simulator import Simulator

__all__ = ["SimServer", "serve"]

log = logging.getLogger("lrtui.sim")


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling (the caller decides how to stop)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    async def main_loop(self) -> None:
        # like uvicorn's, but notices should_exit within 10 ms (fast test teardown)
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            for _ in range(10):
                await asyncio.sleep(0.01)
                if self.should_exit:
                    return
            counter = (counter + 1) % 864000
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # like uvicorn's, polling every 10 ms instead of sleeping 100 ms
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.config.timeout_graceful_shutdown or 2)
        await asyncio.sleep(0)
        # uvicorn's server state offers no event to wait on: poll it, as uvicorn does
        while (self.server_state.connections or self.server_state.tasks) and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        for t in self.server_state.tasks:
            t.cancel()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted connections (else Nagle + delayed ACK
    # add ~40 ms to every answer written in two parts)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _url(host: str, port: int) -> str:
    h = f"[{host}]" if ":" in host else host
    return f"http://{h}:{port}"


class SimServer:
    """Both origins of one simulator. ``await run(ready)``; ``request_stop()`` from any thread."""

    def __init__(
        self,
        simulator: Simulator,
        host: str = "127.0.0.1",
        port: int = 8765,
        blob_port: int = 0,
        *,
        blob_host: str | None = None,
        log_level: str = "warning",
    ) -> None:
        self.simulator = simulator
        self.host = host
        self.port = port
        self.blob_host = blob_host or host
        self.blob_port = blob_port
        self.log_level = log_level
        self.api_url = ""
        self.blob_url = ""
        self._servers: list[_Server] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested = False

    def request_stop(self) -> None:
        self._stop_requested = True
        loop = self._loop
        if loop is None or loop.is_closed():
            return

        def stop() -> None:
            for s in self._servers:
                s.should_exit = True

        try:
            loop.call_soon_threadsafe(stop)
        except RuntimeError:
            pass

    async def run(self, ready: Callable[[str, str], None] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        api_sock = _bind(self.host, self.port)
        blob_sock = _bind(self.blob_host, self.blob_port)
        api_port = api_sock.getsockname()[1]
        blob_port = blob_sock.getsockname()[1]
        self.api_url = _url(self.host, api_port)
        self.blob_url = _url(self.blob_host, blob_port)
        # listening on every interface: result links use the host name the client called the API with
        every_interface = self.blob_host in ("0.0.0.0", "::", "")  # noqa: S104 (a check, not a bind)
        self.simulator.links.serve_at(self.blob_url, port_for_request_host=blob_port if every_interface else None)
        common = dict(
            lifespan="off",
            log_level=self.log_level,
            access_log=False,
            http="h11",
            ws="none",
            timeout_keep_alive=30,
            timeout_graceful_shutdown=2,
        )
        api = _Server(uvicorn.Config(self.simulator.api_app, **common))  # type: ignore[arg-type]
        blob = _Server(uvicorn.Config(self.simulator.blob_app, **common))  # type: ignore[arg-type]
        self._servers = [api, blob]
        tasks = [
            asyncio.create_task(api.serve(sockets=[api_sock])),
            asyncio.create_task(blob.serve(sockets=[blob_sock])),
        ]
        try:
            while not (api.started and blob.started):
                if any(t.done() for t in tasks):
                    for t in tasks:
                        if t.done() and t.exception():
                            raise t.exception()  # type: ignore[misc]
                    raise RuntimeError("the simulator servers stopped during start-up")
                await asyncio.sleep(0.01)
            if self._stop_requested:
                for s in self._servers:
                    s.should_exit = True
            elif ready is not None:
                ready(self.api_url, self.blob_url)
            await asyncio.gather(*tasks)
        finally:
            for s in self._servers:
                s.should_exit = True
            for t in tasks:
                if not t.done():
                    with contextlib.suppress(BaseException):
                        await asyncio.wait_for(t, 5)
            for sock in (api_sock, blob_sock):
                with contextlib.suppress(OSError):
                    sock.close()


async def serve(
    config: SimConfig | Simulator | None = None,
    host: str = "127.0.0.1",
    port: int = 8765,
    blob_port: int = 0,
    ready: Callable[[str, str], None] | None = None,
    *,
    simulator: Simulator | None = None,
    log_level: str = "warning",
) -> None:
    """Serve until cancelled. ``ready(api_url, blob_url)`` is called once both ports listen."""
    if isinstance(config, Simulator):
        simulator = config
    sim = simulator or Simulator(config if isinstance(config, SimConfig) else SimConfig())
    srv = SimServer(sim, host, port, blob_port, log_level=log_level)
    try:
        await srv.run(ready)
    except asyncio.CancelledError:
        srv.request_stop()
        raise
