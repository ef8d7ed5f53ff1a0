"""Isolation for every test: no developer config, cache or journal can leak in or be written to."""

from __future__ import annotations

import pytest


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
