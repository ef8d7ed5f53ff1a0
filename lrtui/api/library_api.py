"""Live response library endpoints: list, upload (size and name checked first), delete."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from lrtui.api import errors as E
from lrtui.api.ids import _seg
from lrtui.api.models import LibraryFile
from lrtui.api.paging import Paging

#: API upload limit for a library file (DOC: 20 MB; taken as MiB, the service answers if it means less).
LIBRARY_MAX_BYTES = 20 * 1024 * 1024
_LIBRARY_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


class LibraryApi(Paging):
    async def list_library(self) -> list[LibraryFile]:
        resp = await self._send("GET", "/api/libraryfiles")
        items, _ = self._values(self._json(resp), resp)
        return [self._parse(LibraryFile, it, resp) for it in items]

    async def upload_library(
        self,
        name: str,
        content: bytes | Path,
        *,
        description: str = "",
        parameters_description: str = "",
        has_parameters: bool = False,
        override: bool = False,
    ) -> LibraryFile:
        if not name or not _LIBRARY_NAME.match(name):
            raise E.ValidationError(
                f"{name!r} is not a usable library file name.", hint="Use only letters, digits, '-', '_' and '.'."
            )
        if isinstance(content, (str, Path)):
            p = Path(content)
            size = p.stat().st_size
            if size > LIBRARY_MAX_BYTES:
                raise E.ValidationError(_too_big(name, size))
            payload = await asyncio.to_thread(p.read_bytes)
        else:
            payload = bytes(content)
        if len(payload) > LIBRARY_MAX_BYTES:
            raise E.ValidationError(_too_big(name, len(payload)))
        form = {
            "Description": description,
            "ParametersDescription": parameters_description,
            "HasParameters": "true" if has_parameters else "false",
            "OverrideIfExists": "true" if override else "false",
        }
        files = {"file": (name, payload, "application/octet-stream")}
        resp = await self._send("POST", "/api/libraryfiles", files=files, data=form, retry="connect")
        data = self._json(resp)
        if isinstance(data, dict) and "fileName" not in data and "file_name" not in data:
            data = {**data, "fileName": name}
        return self._parse(LibraryFile, data, resp)

    async def delete_library(self, name: str) -> None:
        if not name:
            raise E.ValidationError("A library file name is required.")
        await self._send("DELETE", f"/api/libraryfiles/{_seg(name)}", retry="connect")


def _too_big(name: str, size: int) -> str:
    return f"{name} is {size:,} bytes; the API accepts library files up to {LIBRARY_MAX_BYTES:,} bytes (20 MB)."
