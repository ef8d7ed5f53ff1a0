"""Collecting what finished commands produced: result links, RunScript JSON, GetFile evidence files.

* A result link is a 30-minute SAS URL. It is asked for right before use, never stored or logged, and asked
  for again when it is older than ``link_ttl_s`` minus a margin or when the blob answers 403/404 (expired).
* RunScript results are parsed into ``ScriptResult``.
* GetFile results go to ``<evidence>/<machine>/<action id>/<index>-<safe name>`` through the client's
  streaming download (``.part`` file renamed when complete, gzip detected and decompressed while streaming,
  both sha256 recorded, decompression capped).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

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
from lrtui.engine.jobs import CommandResult, Job
from lrtui.engine.safe_names import evidence_path

if TYPE_CHECKING:
    from lrtui.api.client import MdeClient
    from lrtui.api.download import DownloadResult
    from lrtui.api.models import ActionCommand, MachineAction, ScriptResult

T = TypeVar("T")

GIB = 1 << 30
#: statuses from the blob that mean the link expired or was refused: ask for a new one
LINK_GONE = (401, 403, 404, 410)


@dataclass(frozen=True, slots=True)
class ResultLimits:
    max_received: int = 4 * GIB  #: the portal documents getfile up to 3 GB
    max_decompressed: int = 4 * GIB  #: gzip-bomb cap
    link_ttl_s: float = 1800.0
    link_margin_s: float = 60.0
    link_attempts: int = 3  #: links asked for one result at most (first + regenerations)


def private_dirs(root: Path, leaf: Path) -> None:
    """Create ``root`` and every folder down to ``leaf`` as 0700 (evidence is nobody else's business)."""
    if not root.parent.exists():
        root.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    chain = [leaf, *leaf.parents]
    todo = [p for p in chain[: chain.index(root) + 1]] if root in chain else [leaf]
    for p in reversed(todo):
        if not p.exists():
            p.mkdir(mode=0o700, exist_ok=True)
            p.chmod(0o700)


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
    def __init__(
        self,
        client: MdeClient,
        evidence_root: Path,
        *,
        limits: ResultLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.root = Path(evidence_root)
        self.limits = limits or ResultLimits()
        self.clock = clock
        self._links: dict[tuple[str, int], tuple[str, float]] = {}  # in memory only, never persisted

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

    async def fetch_script(self, action_id: str, index: int) -> ScriptResult:
        return await self._with_link(action_id, index, self.client.results.fetch_script_result)

    async def fetch_file(self, action_id: str, index: int, dest: Path) -> DownloadResult:
        await asyncio.to_thread(private_dirs, self.root, dest.parent)

        async def use(url: str) -> DownloadResult:
            return await self.client.results.download(
                url, dest, max_received=self.limits.max_received, max_decompressed=self.limits.max_decompressed
            )

        return await self._with_link(action_id, index, use)

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

    async def collect_one(self, job: Job, action: MachineAction, cmd: ActionCommand, r: CommandResult) -> bool:
        """Fetch one command's result into ``r``. True when something new was stored."""
        if r.downloaded or cmd.command_status != CommandStatus.COMPLETED:
            return False
        if r.type == CommandType.PUT_FILE:
            return False  # PutFile produces no result
        try:
            if r.type == CommandType.RUN_SCRIPT:
                r.script = await self.fetch_script(action.id, cmd.index)
            elif r.type == CommandType.GET_FILE:
                dest = evidence_path(
                    self.root, job.machine_name or job.machine_id, action.id, cmd.index, device_path(cmd, job)
                )
                res = await self.fetch_file(action.id, cmd.index, dest)
                r.file_path, r.size = str(res.path), res.size
                r.sha256, r.sha256_received = res.sha256, res.sha256_received
            else:
                return False
            r.downloaded, r.download_error = True, None
        except (DecompressionLimit, DownloadTooLarge) as e:
            r.download_error = f"{type(e).__name__}: {e.message}"
            r.downloaded = True  # final: retrying would only download the bomb again
        except (UnsafeDownload, ValueError) as e:
            r.download_error = f"UnsafeDownload: {e}"
            r.downloaded = True
        except LrtuiError as e:
            r.download_error = e.user_message()
        return True
