"""GetFile path rules per OS family."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrtui.api.errors import ValidationError
from lrtui.api.paths import PathError, path_style, validate_path


@pytest.mark.parametrize(
    "path",
    [
        r"C:\windows\TEMP\OfficeClickToRun.dmp.zip",
        r"c:\x.txt",
        r"\\server\share\dir\file.log",
        "\\\\?\\C:\\" + "a\\" * 200 + "f.txt",  # long form past MAX_PATH
        r"C:\Users\José\AppData\Local\Temp\naïve file (1).txt",
        r"C:\new\table\x.txt",  # \n and \t typed as text, not escapes
    ],
)
def test_valid_windows_paths(path):
    validate_path(path, "windows")


@pytest.mark.parametrize(
    "path, needle",
    [
        ("/etc/passwd", "looks like a POSIX path"),
        ("windows\\temp\\x", "not a full Windows path"),
        ("C:\\temp\\", "names a folder"),
        ("C:\\temp\\a|b.txt", "characters Windows does not allow"),
        ('C:\\temp\\a"b.txt', "characters Windows does not allow"),
        ("C:\\temp\\a\x07.txt", "control or bidi"),
        ("C:\\temp\\evil\u202etxt.exe", "control or bidi"),
        ("C:\\" + "a" * 260, "Windows allows 260"),
        ("", "needs the full path"),
        (" C:\\x.txt", "leading or trailing spaces"),
    ],
)
def test_invalid_windows_paths(path, needle):
    with pytest.raises(PathError) as ei:
        validate_path(path, "windows")
    assert needle in ei.value.message
    assert isinstance(ei.value, ValidationError)


def test_long_path_hint_names_prefix():
    with pytest.raises(PathError) as ei:
        validate_path("C:\\" + "a" * 300, "windows")
    assert "\\\\?\\" in ei.value.hint


@pytest.mark.parametrize("family", ["linux", "macos"])
def test_posix_paths(family):
    validate_path("/var/log/syslog", family)
    validate_path("/Users/a b/Library/Logs/x.log", family)
    with pytest.raises(PathError, match="is a Windows path"):
        validate_path(r"C:\x.txt", family)
    with pytest.raises(PathError, match="not an absolute path"):
        validate_path("var/log", family)
    with pytest.raises(PathError, match="names a folder"):
        validate_path("/var/log/", family)
    with pytest.raises(PathError, match="longer than 4096 bytes"):
        validate_path("/" + "é" * 2100, family)


def test_unknown_os_uses_windows_rules_and_style():
    with pytest.raises(PathError, match="POSIX"):
        validate_path("/etc/hosts", "unknown")
    assert path_style("/etc/hosts") == "posix"
    assert path_style(r"C:\x") == "windows"


_seg = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Cf"), min_codepoint=32).filter(lambda c: c not in '<>"|?*\\/:'),
    min_size=1,
    max_size=10,
).filter(lambda s: s.strip() == s)


@settings(max_examples=150, deadline=None)
@given(st.lists(_seg, min_size=1, max_size=8))
def test_valid_paths_survive_json_unchanged(segs):
    path = "C:\\" + "\\".join(segs)
    if len(path) > 260:
        return
    validate_path(path, "windows")
    assert json.loads(json.dumps({"Path": path}))["Path"].encode() == path.encode()
    assert json.dumps(path).count("\\\\") == path.count("\\")  # JSON doubles each backslash exactly once
