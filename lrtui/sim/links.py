"""Result download links: signed, expiring blob URLs (like Azure Blob SAS links) and the blob names behind them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from urllib.parse import quote

from .clock import SimClock, iso7
from .config import SimConfig

__all__ = ["BlobLinks"]


class BlobLinks:
    """Names, signs and builds the result links of one tenant. ``blobs`` (blob name -> (action id, command index))
    is the tenant's record of every link handed out; the blob origin reads it back."""

    def __init__(self, config: SimConfig, clock: SimClock, blobs: dict[str, tuple[str, int]]) -> None:
        self._config = config
        self._clock = clock
        self._blobs = blobs
        self._key = hashlib.sha256(f"lrtui-sim-blob-key:{config.seed}".encode()).digest()
        self.base_url = config.blob_base_url.rstrip("/")
        self.port_for_request_host: int | None = None  # set when the blob origin listens on 0.0.0.0 / ::

    def serve_at(self, base_url: str, *, port_for_request_host: int | None = None) -> None:
        """Where the blob origin listens. With ``port_for_request_host`` (an every-interface listener), links use
        the host name the client called the API with, on that port."""
        self.base_url = base_url
        if port_for_request_host is not None:
            self.port_for_request_host = port_for_request_host

    def blob_name(self, action_id: str, index: int) -> str:
        name = hmac.new(self._key, f"{action_id}:{index}".encode(), hashlib.sha256).hexdigest()
        self._blobs[name] = (action_id, index)
        return name

    def sign(self, path: str, expiry: str) -> str:
        mac = hmac.new(self._key, f"r\n{expiry}\n{path}".encode(), hashlib.sha256).digest()
        return base64.b64encode(mac).decode()

    def url(self, action_id: str, index: int, now: float, request_host: str | None) -> str:
        """A fresh link to the result of command ``index`` of ``action_id``, valid for the (scaled) link lifetime."""
        c = self._config
        name = self.blob_name(action_id, index)
        tenant = c.tenant_id.split("-")[0]
        path = f"/investigation-actions-data/{tenant}/CustomPlaybookCommandOutput/{name}"
        ttl = max(self._clock.scaled(c.link_ttl_s), c.link_min_ttl_s)
        expiry = math.ceil(now + ttl)  # SAS expiry has whole seconds: round up, never shorten the link
        se = iso7(expiry)[:19] + "Z"
        st = iso7(now - 300)[:19] + "Z"
        sig = self.sign(path, se)
        base = self.base_url
        if self.port_for_request_host and request_host:
            h = request_host
            base = f"http://{'[' + h + ']' if ':' in h else h}:{self.port_for_request_host}"
        return (
            f"{base}{path}?sv=2020-08-04&st={quote(st, safe='')}&se={quote(se, safe='')}"
            f"&sr=b&sp=r&sig={quote(sig, safe='')}"
        )
