"""The ASGI entry shared by the API and blob apps: lifespan handshake, then one Request per HTTP call."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from starlette.requests import Request


async def serve_asgi(scope: dict, receive: Callable, send: Callable, handle: Callable[[Request], Any]) -> None:
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
    response = handle(Request(scope, receive))
    if inspect.isawaitable(response):
        response = await response
    await response(scope, receive, send)


__all__ = ["serve_asgi"]
