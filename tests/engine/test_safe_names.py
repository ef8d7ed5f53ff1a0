"""Local names from device paths can never leave the evidence folder."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrtui.engine.safe_names import evidence_path, inside, safe_component, safe_result_name


@pytest.mark.parametrize(
    "device_path, expected",
    [
        (r"C:\Windows\Temp\triage.zip", "0-triage.zip"),
        ("/var/log/syslog", "0-syslog"),
        (r"C:\x\..", "0-file"),
        (r"C:\x\CON", "0-_CON"),
        (r"C:\x\nul.txt", "0-_nul.txt"),
        (r"C:\x\lpt1", "0-_lpt1"),
        ("/a/b/evil\u202etxt.exe", "0-eviltxt.exe"),
        ("/a/b/x\x1b[31m.txt", "0-x_[31m.txt"),
        (r"C:\a\trailing. ", "0-trailing"),
        ("C:", "0-file"),
        (r"\\server\share\..\..\etc", "0-etc"),
    ],
)
def test_known_names(device_path, expected):
    assert safe_result_name(0, device_path) == expected


def test_long_names_are_bounded():
    name = safe_component("a" * 500 + ".log")
    assert len(name.encode()) <= 120 and name.endswith(".log")


@settings(max_examples=400, deadline=None)
@given(st.text(min_size=0, max_size=300), st.text(max_size=80), st.integers(0, 99))
def test_any_input_stays_inside(tmp_path_factory, device_path, machine, index):
    root = tmp_path_factory.getbasetemp() / "evidence"
    p = evidence_path(root, machine, "7f0c2a9e-1111-4c2b-9d3e-2a6f5b8c9d01", index, device_path)
    assert inside(root, p)
    assert p.parent.parent.parent == root
    for part in p.relative_to(root).parts:
        assert part not in ("", ".", "..") and "/" not in part and "\\" not in part
        assert not any(ord(c) < 32 for c in part)
        assert ":" not in part


def test_machine_name_cannot_escape(tmp_path):
    p = evidence_path(tmp_path, "../../etc", "../x", 1, "/etc/passwd")
    assert inside(tmp_path, p) and p.name == "1-passwd"
    assert evidence_path(tmp_path, "..", "..", 0, "..").parent.parent.name != ".."
