"""Collecting what finished commands produced: result links, RunScript documents, GetFile evidence files.

* A result link is a 30-minute SAS URL. It is asked for right before use, never stored or logged, and asked
  for again when it is older than ``link_ttl_s`` minus a margin or when the blob answers 403/404 (expired).
* Every result is streamed to a file under ``<evidence>/<machine>/<action id>/`` through the client's
  streaming download (``.part`` file renamed when complete, gzip detected and decompressed while streaming,
  both sha256 recorded, capped): GetFile as ``<index>-<safe name>``; RunScript as ``<index>-result.json`` (the
  document), from which ``script_output`` and ``script_errors`` are streamed to ``<index>-stdout.txt`` and
  ``<index>-stderr.txt`` (``codec.extract_script_document``); the job keeps previews, paths and hashes.
* Before each download the folder's free space is checked: a download may use what is free minus
  ``disk_margin`` minus what downloads in progress reserved. Running out of room (or ENOSPC) is not final:
  the result stays not downloaded and ``lrtui resume`` tries it again.
"""

from __future__ import annotations

import asyncio
import errno
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pydantic

from lrtui.api.enums import CommandStatus, CommandType
from lrtui.api.errors import (
    ApiCallError,
    CorruptDownload,
    DecompressionLimit,
    DownloadTooLarge,
    LrtuiError,
    ResultLinkError,
    UnsafeDownload,
)
from lrtui.api.models import ScriptResult
from lrtui.engine.codec import DocumentError, extract_script_document
from lrtui.engine.jobs import PREVIEW_CHARS, CommandResult, Job
from lrtui.engine.private_files import private_dirs
from lrtui.engine.safe_names import evidence_path

if TYPE_CHECKING:
    from lrtui.api.client import MdeClient
    from lrtui.api.download import DownloadResult
    from lrtui.api.models import ActionCommand, MachineAction

T = TypeVar("T")

GIB = 1 << 30
MIB = 1 << 20
#: statuses from the blob that mean the link expired or was refused: ask for a new one
LINK_GONE = (401, 403, 404, 410)


@dataclass(frozen=True, slots=True)
class ResultLimits:
    max_received: int = 3 * GIB  #: the portal documents getfile up to 3 GB
    max_decompressed: int = 3 * GIB  #: gzip-bomb cap (the portal's getfile limit)
    disk_margin: int = 256 * MIB  #: free space every download leaves on the evidence folder's disk
    link_ttl_s: float = 1800.0
    link_margin_s: float = 60.0
    link_attempts: int = 3  #: links asked for one result at most (first + regenerations)


class DiskSpaceError(LrtuiError):
    """Not enough free space for a result (checked before and while writing, or ENOSPC). Not final."""

    hint = "Free some space (or give another --out) and run `lrtui resume`: the result is collected again."


def disk_full(path: Path | str) -> DiskSpaceError:
    return DiskSpaceError(f"Disk full (ENOSPC) writing {path}.")


def command_type(cmd: ActionCommand, job: Job) -> str:
    if cmd.command is not None and cmd.command.type:
        return cmd.command.type
    if 0 <= cmd.index < len(job.sequence.commands):
        return job.sequence.commands[cmd.index].type.value
    return ""


def device_path(cmd: ActionCommand, job: Job) -> str:
    if cmd.command is not None:
        v = cmd.command.param("Path")
        if v:
            return v
    if 0 <= cmd.index < len(job.sequence.commands):
        return job.sequence.commands[cmd.index].value
    return f"result-{cmd.index}"


class ResultCollector:
    """Downloads results into the evidence folder: the job's recorded folder (``Job.evidence_dir``) when
    ``job_folders`` (the engine), else ``evidence_root`` (a copy asked for with ``lrtui results --out``)."""

    def __init__(
        self,
        client: MdeClient,
        evidence_root: Path,
        *,
        limits: ResultLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        job_folders: bool = True,
    ) -> None:
        self.client = client
        self.root = Path(evidence_root)
        self.limits = limits or ResultLimits()
        self.clock = clock
        self.job_folders = job_folders
        self._links: dict[tuple[str, int], tuple[str, float]] = {}  # in memory only, never persisted
        self._reserved = 0  #: bytes promised to downloads in progress

    def root_for(self, job: Job) -> Path:
        return Path(job.evidence_dir) if self.job_folders and job.evidence_dir else self.root

    async def _link(self, action_id: str, index: int, *, fresh: bool = False) -> str:
        key = (action_id, index)
        cached = self._links.get(key)
        now = self.clock()
        if cached and not fresh and now - cached[1] < self.limits.link_ttl_s - self.limits.link_margin_s:
            return cached[0]
        url = await self.client.results.get_link(action_id, index)
        self._links[key] = (url, now)
        return url

    def forget_links(self, action_id: str) -> None:
        for k in [k for k in self._links if k[0] == action_id]:
            del self._links[k]

    async def _with_link(self, action_id: str, index: int, use: Callable[[str], Awaitable[T]]) -> T:
        """Run ``use(url)``; on an expired/refused link (403/404 from the blob) get a new link and try again."""
        last: Exception | None = None
        for attempt in range(self.limits.link_attempts):
            url = await self._link(action_id, index, fresh=attempt > 0)
            try:
                return await use(url)
            except (ApiCallError, CorruptDownload) as e:
                if isinstance(e, ApiCallError) and not isinstance(e, ResultLinkError) and e.status not in LINK_GONE:
                    raise
                last = e
        assert last is not None
        raise last

    def _room(self, folder: Path) -> int:
        """Bytes a new download may write into ``folder`` (raises ``DiskSpaceError`` when there are none)."""
        free = shutil.disk_usage(folder).free
        room = free - self.limits.disk_margin - self._reserved
        if room <= 0:
            need = self.limits.disk_margin + self._reserved - free + MIB
            raise DiskSpaceError(
                f"Not enough free space in {folder}: {free:,} bytes free; lrtui keeps {self.limits.disk_margin:,}"
                f" free and downloads in progress hold {self._reserved:,}, so at least {need:,} more bytes"
                " are needed before this result can be downloaded."
            )
        return room

    async def fetch_file(
        self, action_id: str, index: int, dest: Path, *, root: Path | None = None, copies: int = 1
    ) -> DownloadResult:
        """Download one result to ``dest`` (folders from ``root`` down made 0700); ``copies``: how many times its
        size the collection writes (a RunScript document is split into two more files), for the disk check."""
        await asyncio.to_thread(private_dirs, root or self.root, dest.parent)
        room = (await asyncio.to_thread(self._room, dest.parent)) // copies
        cap = min(room, self.limits.max_decompressed)
        self._reserved += cap * copies

        async def use(url: str) -> DownloadResult:
            return await self.client.results.download(
                url, dest, max_received=min(self.limits.max_received, cap), max_decompressed=cap
            )

        try:
            return await self._with_link(action_id, index, use)
        except (DecompressionLimit, DownloadTooLarge) as e:
            if cap < self.limits.max_decompressed:  # the disk's room was the cap, not the configured limit
                raise DiskSpaceError(
                    f"Not enough free space in {dest.parent} for this result: it is larger than the {cap:,}"
                    f" bytes that fit while keeping {self.limits.disk_margin:,} free ({e.message})"
                ) from None
            raise
        except OSError as e:
            if e.errno == errno.ENOSPC:
                raise disk_full(dest) from None
            raise
        finally:
            self._reserved -= cap * copies

    async def fetch_script(self, job: Job, action_id: str, r: CommandResult) -> None:
        """Download a RunScript result document and stream its stdout and stderr into their files."""
        root, machine = self.root_for(job), job.machine_name or job.machine_id
        doc, out, err = (evidence_path(root, machine, action_id, r.index, n) for n in SCRIPT_FILES)
        res = await self.fetch_file(action_id, r.index, doc, root=root, copies=2)
        r.result_path, r.result_sha256 = str(res.path), res.sha256
        try:
            parsed = await asyncio.to_thread(extract_script_document, res.path, out, err, PREVIEW_CHARS)
            script = ScriptResult.model_validate(
                {
                    "script_name": parsed.fields.get("script_name"),
                    "exit_code": parsed.fields.get("exit_code"),
                    "script_output": parsed.stdout.preview,
                    "script_errors": parsed.stderr.preview,
                }
            )
        except OSError as e:
            if e.errno == errno.ENOSPC:
                raise disk_full(out.parent) from None
            raise
        except (DocumentError, pydantic.ValidationError) as e:
            reason = str(e) if isinstance(e, DocumentError) else f"unexpected fields {e.errors()[0].get('loc')}"
            raise BadScriptDocument(f"The script result is not a RunScript document: {reason}.") from None
        r.script, r.output_truncated = script, parsed.stdout.truncated or parsed.stderr.truncated
        r.stdout_path, r.stdout_sha256, r.stdout_size = str(out), parsed.stdout.sha256, parsed.stdout.size
        r.stderr_path, r.stderr_sha256, r.stderr_size = str(err), parsed.stderr.sha256, parsed.stderr.size

    def base_results(self, job: Job, action: MachineAction) -> list[CommandResult]:
        """One CommandResult per command, statuses from the action, keeping what was already collected."""
        have = {r.index: r for r in job.results}
        out: list[CommandResult] = []
        for cmd in sorted(action.commands, key=lambda c: c.index):
            r = have.get(cmd.index) or CommandResult(index=cmd.index, type=command_type(cmd, job))
            r.status = cmd.command_status
            r.errors = cmd.error_text
            out.append(r)
        return out

    async def _fetch(self, job: Job, action: MachineAction, cmd: ActionCommand, r: CommandResult) -> None:
        if r.type == CommandType.RUN_SCRIPT:
            await self.fetch_script(job, action.id, r)
        else:
            root, machine = self.root_for(job), job.machine_name or job.machine_id
            dest = evidence_path(root, machine, action.id, cmd.index, device_path(cmd, job))
            res = await self.fetch_file(action.id, cmd.index, dest, root=root)
            r.file_path, r.size = str(res.path), res.size
            r.sha256, r.sha256_received = res.sha256, res.sha256_received

    async def collect_one(self, job: Job, action: MachineAction, cmd: ActionCommand, r: CommandResult) -> bool:
        """Fetch one command's result into ``r``. True when something new was stored. A result that failed for
        a reason that may pass (network, disk space) stays ``downloaded=False`` with ``download_error``."""
        if r.downloaded or cmd.command_status != CommandStatus.COMPLETED:
            return False
        if r.type not in (CommandType.RUN_SCRIPT, CommandType.GET_FILE):
            return False  # PutFile produces no result
        try:
            await self._fetch(job, action, cmd, r)
            r.downloaded, r.download_error = True, None
        except (DecompressionLimit, DownloadTooLarge, BadScriptDocument) as e:
            r.download_error = f"{type(e).__name__}: {e.message}"
            r.downloaded = True  # final: retrying would only download the same again
        except (UnsafeDownload, ValueError) as e:
            r.download_error = f"UnsafeDownload: {e}"
            r.downloaded = True
        except LrtuiError as e:
            r.download_error = e.user_message()
        except OSError as e:
            r.download_error = f"Writing the result failed: {e.strerror or e} ({e.filename or self.root_for(job)})."
        return True


class BadScriptDocument(LrtuiError):
    """A RunScript result that is not the expected JSON document (the raw document is kept as evidence)."""


#: a RunScript result's files: the document as received, the whole stdout, the whole stderr
SCRIPT_FILES = ("result.json", "stdout.txt", "stderr.txt")
