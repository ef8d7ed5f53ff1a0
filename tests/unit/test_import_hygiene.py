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
