"""Library endpoints: list, upload (multipart) and delete."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from starlette.responses import Response

from ..clock import iso7
from ..config import SimConfig
from ..library import LibraryItem
from ..state import TenantState
from .call import Call, Route
from .multipart import parse_multipart
from .replies import HttpError, Replies, context_url

__all__ = ["LIB_NAME_RE", "LibraryRoutes", "Upload", "parse_upload"]

LIB_NAME_RE = re.compile(r"^[A-Za-z0-9._-]+$")


@dataclass(frozen=True)
class Upload:
    file_name: str
    content: bytes
    description: str | None
    parameters_description: str | None
    has_parameters: bool
    override: bool


class LibraryRoutes:
    def __init__(self, config: SimConfig, state: TenantState, lock: threading.RLock, replies: Replies) -> None:
        self._config = config
        self._state = state
        self._lock = lock
        self._replies = replies

    def routes(self) -> list[Route]:
        return [
            ("libraryfiles", re.compile(r"^libraryfiles$", re.I), {"GET": self.list, "POST": self.upload}),
            ("libraryfile", re.compile(r"^libraryfiles/([^/]+)$", re.I), {"DELETE": self.delete}),
        ]

    def list(self, call: Call) -> Response:
        items = [it.to_wire(iso7) for it in self._state.library.values()]
        return self._replies.ok({"@odata.context": context_url(call.request, "LibraryFiles"), "value": items})

    def upload(self, call: Call) -> Response:
        up = parse_upload(call.body, call.request.headers.get("content-type", ""), self._config.library_max_bytes)
        now = call.now
        with self._lock:
            existing = self._state.library.get(up.file_name)
            if existing is not None and not up.override:
                raise HttpError(
                    400,
                    "BadRequest",
                    f"A file named '{up.file_name}' already exists in the library. Set OverrideIfExists to replace it.",
                )
            item = LibraryItem(
                up.file_name,
                up.content,
                up.description,
                up.parameters_description,
                up.has_parameters,
                created_by=existing.created_by if existing else self._config.app_name,
                creation_time=existing.creation_time if existing else now,
                last_updated_time=now,
            )
            self._state.library[up.file_name] = item
        return self._replies.ok(
            {"@odata.context": context_url(call.request, "LibraryFiles/$entity"), **item.to_wire(iso7)}
        )

    def delete(self, call: Call) -> Response:
        name = call.args[0]
        if name not in self._state.library:
            raise HttpError(404, "ResourceNotFound", f"Library file {name} was not found")
        del self._state.library[name]
        return Response(b"", status_code=204)


def parse_upload(raw: bytes, ctype: str, max_bytes: int) -> Upload:
    """The parts of a library upload: the ``file`` part (its file name is the library name) and the form fields
    (any case), checked for a valid name, the size limit and true/false flags."""
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
    fname = re.split(r"[\\/]", f[0])[-1]
    content = f[1]
    if not LIB_NAME_RE.match(fname):
        raise HttpError(
            400,
            "InvalidRequestBody",
            f"The file name '{fname}' is not valid: use only letters, digits, '-', '_' and '.'.",
        )
    if len(content) > max_bytes:
        raise HttpError(
            400,
            "InvalidRequestBody",
            f"The file is {len(content)} bytes; the maximum is {max_bytes // (1024 * 1024)} MB.",
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
    return Upload(
        fname, content, text("Description") or None, text("ParametersDescription") or None, has_params, override
    )
