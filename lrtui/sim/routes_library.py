"""Library endpoints: list, upload (multipart) and delete."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from .clock import iso7
from .multipart import parse_multipart
from .responses import HttpError, Responder

__all__ = ["LIB_NAME_RE", "LibraryRoutes"]

LIB_NAME_RE = re.compile(r"^[A-Za-z0-9._-]+$")


class LibraryRoutes(Responder):
    async def list_library(self, request: Request, now: float, body: bytes) -> Response:
        items = [it.to_wire(iso7) for it in self.sim.state.library.values()]
        return self.ok({"@odata.context": self.ctx(request, "LibraryFiles"), "value": items})

    async def upload_library(self, request: Request, now: float, raw: bytes) -> Response:
        from .library import LibraryItem

        sim = self.sim
        ctype = request.headers.get("content-type", "")
        if "multipart/form-data" not in ctype.lower():
            raise HttpError(400, "InvalidRequestBody", "The request must be multipart/form-data with a 'file' part.")
        try:
            parts = parse_multipart(raw, ctype)
        except ValueError as e:
            raise HttpError(400, "InvalidRequestBody", f"The multipart body is malformed: {e}") from None
        low = {k.lower(): v for k, v in parts.items()}
        f = low.get("file")
        if f is None or f[0] is None:
            raise HttpError(400, "InvalidRequestBody", "The 'file' part (with a file name) is required.")
        fname, content = f
        fname = re.split(r"[\\/]", fname)[-1]
        if not LIB_NAME_RE.match(fname):
            raise HttpError(
                400,
                "InvalidRequestBody",
                f"The file name '{fname}' is not valid: use only letters, digits, '-', '_' and '.'.",
            )
        if len(content) > sim.config.library_max_bytes:
            raise HttpError(
                400,
                "InvalidRequestBody",
                f"The file is {len(content)} bytes; the maximum is {sim.config.library_max_bytes // (1024 * 1024)} MB.",
            )

        def text(key: str, default: str = "") -> str:
            v = low.get(key.lower())
            return v[1].decode("utf-8", "replace") if v else default

        def boolean(key: str) -> bool:
            v = text(key, "false").strip().lower()
            if v not in ("true", "false", ""):
                raise HttpError(400, "InvalidRequestBody", f"{key} must be 'true' or 'false', not '{v}'.")
            return v == "true"

        has_params = boolean("HasParameters")
        override = boolean("OverrideIfExists")
        with sim.lock:
            existing = sim.state.library.get(fname)
            if existing is not None and not override:
                raise HttpError(
                    400,
                    "BadRequest",
                    f"A file named '{fname}' already exists in the library. Set OverrideIfExists to replace it.",
                )
            item = LibraryItem(
                fname,
                content,
                text("Description") or None,
                text("ParametersDescription") or None,
                has_params,
                created_by=existing.created_by if existing else sim.config.app_name,
                creation_time=existing.creation_time if existing else now,
                last_updated_time=now,
            )
            sim.state.library[fname] = item
        return self.ok({"@odata.context": self.ctx(request, "LibraryFiles/$entity"), **item.to_wire(iso7)})

    async def delete_library(self, request: Request, now: float, body: bytes, name: str) -> Response:
        if name not in self.sim.state.library:
            raise HttpError(404, "NotFound", f"Library file {name} was not found")
        del self.sim.state.library[name]
        return Response(b"", status_code=204)
