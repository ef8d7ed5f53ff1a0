"""``MdeClient``: the async MDE API client (docs/contracts.md).

``MdeClient`` composes one class per endpoint group over the request core: ``transport`` (httpx clients,
retries, request log), ``paging``, ``machines_api``, ``actions_api``, ``live_response`` (POST + reconcile),
``results_api`` and ``library_api``. Their names are re-exported here.

One long-lived ``httpx.AsyncClient`` carries the API calls (with the bearer auth); a second, separate client
with no auth and no default headers fetches result links, so the blob host can never receive the token.
Every HTTP attempt is reported to ``on_request`` as a redacted ``RequestRecord``.

Retries: reads retry 5xx/408 and connection errors with capped jittered backoff, and wait ``Retry-After`` on a
429. A runliveresponse POST is sent once: a 429 is raised at once (the engine's budget decides), and after a
timeout, a dropped connection or a 5xx the client reconciles by listing the machine's recent LiveResponse
actions for the caller's marker; found -> that action, else ``SubmissionUncertain``. Never a second POST.
"""

from __future__ import annotations

from lrtui.api.download import DownloadResult
from lrtui.api.ids import _GUID, _MACHINE_ID, _check_machine_id, _seg, check_action_id  # noqa: F401
from lrtui.api.library_api import _LIBRARY_NAME, LIBRARY_MAX_BYTES, LibraryApi, _too_big  # noqa: F401
from lrtui.api.live_response import LiveResponseApi
from lrtui.api.machines_api import MachinesApi
from lrtui.api.paging import _TRUSTED_API_SUFFIXES, MAX_PAGE_SIZE  # noqa: F401
from lrtui.api.results_api import ResultsApi
from lrtui.api.retry import RetryPolicy
from lrtui.api.transport import _NOT_SENT, _RECORD_HAS_RETRY_AFTER, RetryKind, _detail, _ep, _has_request  # noqa: F401

__all__ = ["LIBRARY_MAX_BYTES", "MAX_PAGE_SIZE", "DownloadResult", "MdeClient", "RetryPolicy"]


class MdeClient(MachinesApi, LiveResponseApi, ResultsApi, LibraryApi):
    """The MDE API: machines, live response (with reconciliation), actions, results and the library."""
