"""``client.library``: the live response library: list, upload (size and name checked first), delete."""

from __future__ import annotations

import asyncio
import builtins
import re
from pathlib import Path

from lrtui.api import errors as E
from lrtui.api.ids import segment
from lrtui.api.models import LibraryFile
from lrtui.api.resources.paging import list_values
from lrtui.api.transport import ApiTransport

#: API upload limit for a library file (DOC: 20 MB; taken as MiB, the service answers if it means less).
LIBRARY_MAX_BYTES = 20 * 1024 * 1024
LIBRARY_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


class LibraryResource:
    """The library endpoints over one ``ApiTransport``."""

    def __init__(self, transport: ApiTransport) -> None:
        self._t = transport

    async def list(self) -> builtins.list[LibraryFile]:
        """Every file in the tenant's live response library."""
        resp = await self._t.send("GET", "/api/libraryfiles")
        items, _ = list_values(self._t.decode_json(resp), resp)
        return self._t.parse_items(LibraryFile, items, resp)

    async def upload(
        self,
        name: str,
        content: bytes | Path,
        *,
        description: str = "",
        parameters_description: str = "",
        has_parameters: bool = False,
        override: bool = False,
    ) -> LibraryFile:
        """Upload ``content`` (bytes or a file) as ``name``; the 20 MB limit is checked before the call."""
        if not name or not LIBRARY_NAME.match(name):
            raise E.ValidationError(
                f"{name!r} is not a usable library file name.", hint="Use only letters, digits, '-', '_' and '.'."
            )
        payload = await _payload(name, content)
        form = {
            "Description": description,
            "ParametersDescription": parameters_description,
            "HasParameters": "true" if has_parameters else "false",
            "OverrideIfExists": "true" if override else "false",
        }
        files = {"file": (name, payload, "application/octet-stream")}
        resp = await self._t.send("POST", "/api/libraryfiles", files=files, data=form, retry="connect")
        data = self._t.decode_json(resp)
        if isinstance(data, dict) and "fileName" not in data and "file_name" not in data:
            data = {**data, "fileName": name}
        return self._t.parse(LibraryFile, data, resp)

    async def delete(self, name: str) -> None:
        """Remove ``name`` from the library."""
        if not name:
            raise E.ValidationError("A library file name is required.")
        await self._t.send("DELETE", f"/api/libraryfiles/{segment(name)}", retry="connect")


async def _payload(name: str, content: bytes | str | Path) -> bytes:
    """The bytes to upload, refused past ``LIBRARY_MAX_BYTES`` (a file's size is checked before reading it)."""
    if isinstance(content, (str, Path)):
        p = Path(content)
        size = (await asyncio.to_thread(p.stat)).st_size
        if size > LIBRARY_MAX_BYTES:
            raise E.ValidationError(too_big(name, size))
        payload = await asyncio.to_thread(p.read_bytes)
    else:
        payload = bytes(content)
    if len(payload) > LIBRARY_MAX_BYTES:
        raise E.ValidationError(too_big(name, len(payload)))
    return payload


def too_big(name: str, size: int) -> str:
    """The message for a library file over the API's size limit."""
    return f"{name} is {size:,} bytes; the API accepts library files up to {LIBRARY_MAX_BYTES:,} bytes (20 MB)."
