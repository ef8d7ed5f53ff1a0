"""The ASGI entry shared by the API and blob apps: lifespan handshake, then one Request per HTTP call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ASGIApp", "Message", "Receive", "Scope", "Send", "serve_asgi"]


async def serve_asgi(
    scope: Scope, receive: Receive, send: Send, handle: Callable[[Request], Awaitable[Response]]
) -> None:
    if scope["type"] == "lifespan":
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    response = await handle(Request(scope, receive))
    await response(scope, receive, send)
