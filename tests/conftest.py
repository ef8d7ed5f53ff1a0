"""Isolation for every test: no developer config, cache or journal can leak in or be written to."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# Property tests: random search locally (each run may find something new); CI (``CI`` set, as CI services do)
# runs the same examples every time, so a red build is reproducible and a green one stays green.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
settings.load_profile("ci" if _CI else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    home = tmp_path / "lrtui-home"
    monkeypatch.setenv("LRTUI_HOME", str(home))
    for var in list(__import__("os").environ):
        if var.startswith("LRTUI_") and var != "LRTUI_HOME":
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    monkeypatch.delenv("NO_COLOR", raising=False)
    yield home
