"""CI runs the property tests derandomized (the same examples every run); local runs keep the random search."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import importlib.util, sys\n"
    "spec = importlib.util.spec_from_file_location('lrtui_tests_conftest', sys.argv[1])\n"
    "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
    "from hypothesis import settings\n"
    "print(settings.default.derandomize, settings.default.deadline)\n"
)


@pytest.mark.parametrize(("ci", "expected"), [("true", "True None"), ("1", "True None"), (None, "False None")])
def test_ci_profile_is_derandomized(ci, expected):
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE")}
    if ci is not None:
        env["CI"] = ci
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT / "tests" / "conftest.py")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.strip() == expected
