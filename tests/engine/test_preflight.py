"""Pre-flight: every refusal reason costs no call and says what to do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lrtui.api.models import LibraryFile, Machine
from lrtui.engine.preflight import os_problem, preflight, refused_ids

from .helpers import seq

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def machine(mid="a" * 40, platform="Windows11", version="23H2", health="Active", days=0, **kw) -> Machine:
    return Machine(
        id=mid,
        computer_dns_name=f"{mid[:4]}.corp",
        os_platform=platform,
        version=version,
        health_status=health,
        last_seen=NOW - timedelta(days=days),
        **kw,
    )


@pytest.mark.parametrize(
    "platform, version, os_version, bad",
    [
        ("Windows10", "1607", None, True),
        ("Windows10", "1709", None, False),
        ("Windows10", "21H2", None, False),
        ("Windows11", "22H2", None, False),
        ("WindowsServer2008R2", None, None, True),
        ("WindowsServer2012", None, None, True),
        ("WindowsServer2012R2", None, None, False),
        ("WindowsServer2016", None, None, False),
        ("WindowsServer2025", None, None, False),
        ("Windows7", None, None, True),
        ("macOS", None, "10.15", True),
        ("macOS", None, "14.2", False),
        ("Linux", None, None, False),
    ],
)
def test_os_minimums(platform, version, os_version, bad):
    m = machine(platform=platform, version=version, os_version=os_version)
    assert (os_problem(m) is not None) is bad


def test_each_reason():
    lib = [
        LibraryFile(file_name="collect.ps1"),
        LibraryFile(file_name="big.bin", size=400 * 1024 * 1024),
        LibraryFile(file_name="mid.bin", size=20 * 1024 * 1024),
    ]
    s = seq(
        ("PutFile", "mid.bin"),
        ("RunScript", "collect.ps1"),
        ("RunScript", "missing.ps1"),
        ("GetFile", r"C:\Temp\x.txt"),
    )
    win = machine("a" * 40)
    lin = machine("b" * 40, platform="Linux")
    issues = preflight(s, [win, lin, "nosuch-host"], lib, now=NOW)
    refused = refused_ids(issues)
    assert set(refused) == {"a" * 40, "b" * 40, "nosuch-host"}
    text = {i.machine_id: " | ".join(x.message for x in issues if x.machine_id == i.machine_id) for i in issues}
    assert "missing.ps1" in text["a" * 40] and "library" in text["a" * 40]
    assert "POSIX" not in text["a" * 40] and "Windows path" in text["b" * 40]  # path style vs OS
    assert "10 MB" in text["b" * 40] and "300 MB" not in text["a" * 40]  # putfile limit per OS
    assert "No machine 'nosuch-host'" in text["nosuch-host"]
    big = preflight(seq(("PutFile", "big.bin")), [win], lib, now=NOW)
    assert any("300 MB" in i.message for i in big)


def test_warnings_do_not_refuse():
    s = seq(("GetFile", r"C:\Temp\x.txt"))
    offline = machine(health="Inactive", days=12)
    issues = preflight(s, [offline], [], now=NOW)
    assert not refused_ids(issues)
    msgs = " ".join(i.message for i in issues)
    assert "3 days" in msgs and "12 days" in msgs


def test_argument_characters_refused():
    from lrtui.api.models import CommandType
    from lrtui.api.sequence import Command, Sequence

    s = Sequence((Command(CommandType.RUN_SCRIPT, "collect.ps1", "-x a;b"),), "case-1")
    issues = preflight(s, [machine()], [LibraryFile(file_name="collect.ps1")], now=NOW)
    assert any(";" in i.message and i.level == "error" for i in issues)


def test_comment_leaves_room_for_the_marker():
    from lrtui.engine.preflight import COMMENT_ROOM
    from lrtui.engine.reconcile import comment_with_marker

    s = seq(("GetFile", r"C:\Temp\x.txt"), comment="c" * (COMMENT_ROOM + 1))
    assert refused_ids(preflight(s, [machine()], [], now=NOW))
    ok = seq(("GetFile", r"C:\Temp\x.txt"), comment="c" * COMMENT_ROOM)
    assert not refused_ids(preflight(ok, [machine()], [], now=NOW))
    assert len(comment_with_marker(ok.comment, "f" * 32)) == 1000
