"""Layering, proven in fresh interpreters: api and engine never pull in textual or msal; sim never textual."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import importlib, json, pkgutil, sys
pkgs = {pkgs!r}
banned = {banned!r}
names, offenders = [], {{}}
for pkg in pkgs:
    mod = importlib.import_module(pkg)
    names.append(pkg)
    for info in pkgutil.walk_packages(mod.__path__, pkg + "."):
        if info.name.endswith("__main__"):
            continue
        before = {{b for b in banned if b in sys.modules}}
        importlib.import_module(info.name)
        names.append(info.name)
        for b in banned:
            if b in sys.modules and b not in before:
                offenders.setdefault(b, info.name)
print(json.dumps({{"imported": names, "offenders": offenders, "loaded": [b for b in banned if b in sys.modules]}}))
"""


def probe(pkgs: list[str], banned: list[str]) -> dict:
    code = PROBE.format(pkgs=pkgs, banned=banned)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_api_and_engine_import_neither_textual_nor_msal():
    res = probe(["lrtui.api", "lrtui.engine"], ["textual", "msal", "msal_extensions", "requests"])
    assert "lrtui.api.client" in res["imported"] and "lrtui.api.auth" in res["imported"]
    assert res["offenders"] == {}, f"imported at module level by: {res['offenders']}"
    assert res["loaded"] == []


def test_sim_does_not_import_textual():
    res = probe(["lrtui.sim"], ["textual"])
    assert res["offenders"] == {}, f"imported at module level by: {res['offenders']}"
    assert res["loaded"] == []


HEADLESS_PROBE = r"""
import json, sys
import lrtui.cli.entry, lrtui.cli.commands.batches, lrtui.cli.commands.stack, lrtui.engine.journal
print(json.dumps(sorted(m for m in ("pydantic", "httpx", "textual", "rich") if m in sys.modules)))
"""


def test_journal_commands_import_neither_pydantic_nor_httpx():
    """``lrtui batches``/``stack``/``table`` and the journal read the journal: their modules load no pydantic
    (~70 ms), httpx (~65 ms) or Textual when imported (the engine, the client and result models come later)."""
    out = subprocess.run(
        [sys.executable, "-c", HEADLESS_PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


RUN_PROBE = r"""
import json, runpy, sys
sys.argv = ["lrtui", "batches", "--json", "--api-url", "http://127.0.0.1:9"]
try:
    runpy.run_module("lrtui", run_name="__main__")
except SystemExit as e:
    code = e.code
print(json.dumps({"exit": code, "loaded": sorted(m for m in ("pydantic", "httpx", "textual", "msal") if m in sys.modules)}))
"""


def test_lrtui_batches_runs_without_signing_in_or_loading_the_client(tmp_path):
    """``lrtui batches --json`` end to end reads the journal offline: no auth, no client, so neither pydantic nor
    httpx is loaded (a profile from the environment; nothing listens at the API URL and nothing is called)."""
    env = {"LRTUI_HOME": str(tmp_path), "LRTUI_ACCESS_TOKEN": "x", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", RUN_PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env
    )
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    result = json.loads(lines[-1])
    assert result == {"exit": 0, "loaded": []}, out.stderr[-2000:]
    assert json.loads("\n".join(lines[:-1]))["batches"] == []
