"""Batch helpers (journal listing, one action's results) and import hygiene."""

from __future__ import annotations

import subprocess
import sys

from lrtui.api.models import CommandType
from lrtui.api.sequence import Sequence, make_command
from lrtui.cli.render import render_actions
from lrtui.engine.batch import fetch_results, list_actions_from_journal

from .conftest import make_sim, usable


async def test_journal_listing_and_fetch_results(engine_factory, journal, tmp_path):
    sim = make_sim()
    eng = await engine_factory(sim)
    [m] = usable(sim, 1)
    seq = (
        Sequence(comment="case-9")
        .add(make_command(CommandType.RUN_SCRIPT, "Get-Processes.ps1"))
        .add(make_command(CommandType.GET_FILE, r"C:\Windows\System32\drivers\etc\hosts", os_family="windows"))
    )
    [job] = await eng.submit(seq, [m])
    await eng.wait_idle(timeout=20)
    rows = list_actions_from_journal(journal)
    assert rows[0]["action_id"] == job.action_id and rows[0]["outcome"] == "succeeded"
    assert list_actions_from_journal(journal, active_only=True) == []
    assert job.action_id in render_actions(rows)
    again = await fetch_results(
        eng.client, job.action_id, tmp_path / "elsewhere", journal=journal, data_dir=tmp_path / "data"
    )
    assert again.results[1].sha256 == job.results[1].sha256
    assert again.results[1].file_path.startswith(str(tmp_path / "elsewhere"))
    assert again.results[0].script.exit_code == 0


def test_engine_never_imports_textual():
    code = (
        "import sys, importlib, pkgutil, lrtui.engine as e\n"
        "for m in pkgutil.iter_modules(e.__path__):\n"
        "    importlib.import_module('lrtui.engine.' + m.name)\n"
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.') or m == 'rich']\n"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
