"""``client.results``: the download link for a command, then the download over the token-free blob client."""

from __future__ import annotations

from pathlib import Path

import pydantic

from lrtui.api import errors as E
from lrtui.api.download import DownloadResult, download_to_file, fetch_bytes
from lrtui.api.download.link import Deadline
from lrtui.api.ids import check_action_id, segment
from lrtui.api.jsonsafe import JsonTooDeep, loads_bounded
from lrtui.api.models import ScriptResult
from lrtui.api.transport import ApiTransport


class ResultsResource:
    """Live response results over one ``ApiTransport``: links from the API, bytes from the blob client."""

    def __init__(self, transport: ApiTransport) -> None:
        self._t = transport

    async def get_link(self, action_id: str, index: int) -> str:
        """The (short-lived, SAS-signed) download link for command ``index`` of an action."""
        aid = check_action_id(action_id)
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise E.ValidationError(f"{index!r} is not a command index (0, 1, 2...).")
        resp = await self._t.send(
            "GET", f"/api/machineactions/{segment(aid)}/GetLiveResponseResultDownloadLink(index={index})"
        )
        data = self._t.decode_json(resp)
        link = data.get("value") if isinstance(data, dict) else data if isinstance(data, str) else None
        if not isinstance(link, str) or not link:
            raise E.UnexpectedResponse("The result-link answer carries no link.", status=resp.status_code)
        return link

    async def download(
        self,
        url: str,
        dest: Path,
        *,
        max_received: int | None = None,
        max_decompressed: int | None = None,
        chunk: int = 1 << 20,
    ) -> DownloadResult:
        """Stream a result link into ``dest`` (no token; https unless loopback; gzip inflated; capped)."""
        return await download_to_file(
            self._t.blob,
            url,
            Path(dest),
            max_received=max_received,
            max_decompressed=max_decompressed,
            chunk=chunk,
            record=self._t.blob_record,
            deadline=self._deadline(),
        )

    def _deadline(self) -> Deadline:
        policy = self._t.retry
        return Deadline(policy.download_grace_s, policy.download_min_bytes_per_s)

    async def fetch_script_result(self, url: str, *, limit: int = 64 << 20) -> ScriptResult:
        """A RunScript result (small JSON) from its link, by the same rules as ``download``."""
        raw, _ = await fetch_bytes(
            self._t.blob, url, limit=limit, record=self._t.blob_record, deadline=self._deadline()
        )
        try:
            data = loads_bounded(raw, self._t.retry.max_json_depth)
        except JsonTooDeep as e:
            raise E.ResponseTooDeep(f"The script result is JSON nested deeper than {e.limit} levels.") from None
        except ValueError:
            raise E.UnexpectedResponse(
                f"The script result is not JSON (first bytes: {raw[:60]!r}).", code="UnexpectedResponse"
            ) from None
        if not isinstance(data, dict):
            raise E.UnexpectedResponse("The script result is not a JSON object.")
        try:
            return ScriptResult.model_validate(data)
        except pydantic.ValidationError as e:
            raise E.UnexpectedResponse(
                f"The script result has unexpected fields: {e.errors()[0].get('loc')}."
            ) from None
