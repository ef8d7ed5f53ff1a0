"""Downloads of live response result links.

The link is a SAS URL: the ``sig=`` value is the credential, so the request goes through an auth-less client
(never the API client), only over https (loopback excepted, for the simulator), and the URL is redacted in
every record and error. The body is read raw (``Accept-Encoding: identity``; no transparent decoding), its
first bytes decide the format (``1f 8b`` gzip is inflated while streaming, multi-member included; ``50 4b``
zip and anything else are kept as is), both the received and the stored bytes are hashed, output is capped,
and the file appears at ``dest`` only when complete (written as ``dest.part`` first). Memory stays flat:
at most about two chunks are held at any time.
"""

from __future__ import annotations

from lrtui.api.download.in_memory import fetch_bytes
from lrtui.api.download.link import RecordFn, check_download_url
from lrtui.api.download.sink import Compression
from lrtui.api.download.to_file import DownloadResult, download_to_file, part_path

__all__ = [
    "Compression",
    "DownloadResult",
    "RecordFn",
    "check_download_url",
    "download_to_file",
    "fetch_bytes",
    "part_path",
]
