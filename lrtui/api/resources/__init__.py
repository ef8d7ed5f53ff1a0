"""The endpoint groups ``MdeClient`` is composed of, each over one shared ``ApiTransport``.

``machines`` (list, get, find), ``actions`` (get, list, cancel), ``live_response`` (the POST and its
reconciliation), ``results`` (result links and downloads) and ``library`` (list, upload, delete).
"""

from __future__ import annotations

from lrtui.api.resources.actions import ActionsResource
from lrtui.api.resources.library import LIBRARY_MAX_BYTES, LibraryResource
from lrtui.api.resources.live_response import LiveResponseResource
from lrtui.api.resources.machines import MachinesResource
from lrtui.api.resources.paging import MAX_PAGE_SIZE
from lrtui.api.resources.results import ResultsResource

__all__ = [
    "LIBRARY_MAX_BYTES",
    "MAX_PAGE_SIZE",
    "ActionsResource",
    "LibraryResource",
    "LiveResponseResource",
    "MachinesResource",
    "ResultsResource",
]
