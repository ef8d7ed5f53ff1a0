"""Child process for the crash tests: submit, then SIGKILL itself at one exact step.

    python crash_child.py API_URL JOURNAL DATA_DIR STEP MACHINE_ID...

STEP is ``after_journal`` (write-ahead record written, POST not sent), ``after_post`` (the POST answered,
nothing recorded yet) or ``after_action`` (the action id recorded). Real client, real journal, real engine.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from lrtui.api.auth import BearerAuth, StaticToken
from lrtui.api.client import MdeClient
from lrtui.api.models import CommandType
from lrtui.api.records import RequestHub
from lrtui.api.sequence import Sequence, make_command
from lrtui.engine.budget import Budget, BudgetSettings
from lrtui.engine.engine import Engine
from lrtui.engine.journal import Journal


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


async def main(api_url: str, journal_path: str, data_dir: str, step: str, machine_ids: list[str]) -> None:
    settings = BudgetSettings(rate_window_s=0.6, general_window_s=0.6, poll_fast_s=0.05, poll_slow_s=0.6)
    budget = Budget(settings)
    requests = RequestHub()
    client = MdeClient(
        api_url,
        auth=BearerAuth(StaticToken("demo-token")),
        on_request=requests,
        general_gate=budget.general_gate,
    )
    journal = Journal(journal_path)
    if step == "after_journal":
        orig = journal.record_submitting

        def record_submitting(job):
            orig(job)
            die()

        journal.record_submitting = record_submitting
    elif step == "after_action":
        orig_a = journal.record_action

        def record_action(job, *a, **kw):
            orig_a(job, *a, **kw)
            die()

        journal.record_action = record_action
    elif step == "after_post":
        orig_p = client.live_response.run

        async def run_live_response(*a, **kw):
            await orig_p(*a, **kw)
            die()

        client.live_response.run = run_live_response
    engine = Engine(client, journal, budget, requests=requests, data_dir=Path(data_dir))
    await engine.start()
    machines = [await client.machines.get(m) for m in machine_ids]
    seq = Sequence(comment="case-crash").add(
        make_command(CommandType.GET_FILE, r"C:\Windows\System32\drivers\etc\hosts", os_family="windows")
    )
    await engine.submit(seq, machines)
    await engine.wait_idle(timeout=30)
    print("finished without dying", file=sys.stderr)
    sys.exit(3)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]))
