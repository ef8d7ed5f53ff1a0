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


@pytest.mark.parametrize(
    ("platform", "agent", "bad"),
    [
        ("Linux", "101.18.45", True),  # the simulator's too-old Linux agent
        ("Linux", "101.45.12", True),
        ("Linux", "101.45.13", False),
        ("Linux", "101.24052.0002", False),
        ("macOS", "101.43.83", True),
        ("macOS", "101.43.84", False),
        ("Windows11", "1.0.0", False),  # no documented minimum for the Windows sensor
        ("Linux", None, False),
        ("Linux", "unknown", False),
    ],
)
def test_agent_versions_live_response_refuses_are_errors(platform, agent, bad):
    m = machine(
        platform=platform, version=None, os_version="14.2" if platform == "macOS" else None, agent_version=agent
    )
    from lrtui.api.models import CommandType
    from lrtui.api.sequence import Command, Sequence

    path = r"C:\Temp\x.txt" if platform == "Windows11" else "/tmp/x.txt"
    issues = preflight(Sequence((Command(CommandType.GET_FILE, path),), "case-1"), [m], [], now=NOW)
    agent_issues = [i for i in issues if i.kind == "agent"]
    assert bool(agent_issues) is bad
    if bad:
        assert agent_issues[0].level == "error" and "ClientVersionNotSupported" in agent_issues[0].message


def test_no_issues_only_when_there_are_none():
    lib = [
        LibraryFile(file_name="collect.ps1", description="Collects things.", parameters_description="-Path (optional)")
    ]
    s = seq(("RunScript", "collect.ps1"), ("GetFile", r"C:\Temp\x.txt"))
    assert preflight(s, [machine(agent_version="10.8760.22621.3880")], lib, now=NOW, active={}) == []


def test_a_script_that_never_ends_and_missing_required_parameters_are_said():
    from lrtui.api.models import CommandType
    from lrtui.api.sequence import Command, Sequence

    lib = [
        LibraryFile(
            file_name="watch.ps1",
            description="Stream new process creations until stopped (never ends by itself: times out after 10 min).",
        ),
        LibraryFile(
            file_name="minidump.ps1",
            has_parameters=True,
            parameters_description="-ProcessName <name> : process to dump (required, e.g. lsass)",
        ),
        LibraryFile(file_name="opt.ps1", has_parameters=True, parameters_description="-Hours <n> (not required)"),
    ]
    s = Sequence(
        (
            Command(CommandType.RUN_SCRIPT, "watch.ps1"),
            Command(CommandType.RUN_SCRIPT, "minidump.ps1"),
            Command(CommandType.RUN_SCRIPT, "opt.ps1"),
        ),
        "case-1",
    )
    issues = preflight(s, [machine()], lib, now=NOW)
    by_kind = {i.kind: i for i in issues}
    assert set(by_kind) == {"never-ends", "parameters"}
    assert "watch.ps1" in by_kind["never-ends"].message and "10-minute" in by_kind["never-ends"].message
    assert "minidump.ps1" in by_kind["parameters"].message and "ProcessName" in by_kind["parameters"].message
    assert all(i.level == "warning" for i in issues)
    with_args = Sequence((Command(CommandType.RUN_SCRIPT, "minidump.ps1", "-ProcessName lsass"),), "case-1")
    assert preflight(with_args, [machine()], lib, now=NOW) == []


def test_a_busy_machine_says_who_holds_it_and_nothing_of_it_reaches_the_terminal():
    from lrtui.api.models import MachineAction

    m = machine()
    holder = MachineAction(
        id="0" * 8 + "-0000-0000-0000-" + "0" * 12,
        type="LiveResponse",
        status="InProgress",
        machine_id=m.id,
        requestor="carol@contoso.example\x1b]0;pwned\x07",
        requestor_comment="IR-77 memory capture \x1b]52;c;ZXZpbA==\x07 " + "x" * 100,
    )
    issues = preflight(seq(("GetFile", r"C:\Temp\x.txt")), [m], [], now=NOW, active={m.id: [holder]})
    [busy] = [i for i in issues if i.kind == "busy"]
    assert busy.level == "warning" and not refused_ids(issues)
    assert "carol@contoso.example" in busy.message and "IR-77 memory capture" in busy.message
    assert "\x1b" not in busy.message and "\x07" not in busy.message and "x" * 70 not in busy.message
    done = MachineAction(id=holder.id, type="LiveResponse", status="Succeeded", machine_id=m.id)
    assert preflight(seq(("GetFile", r"C:\Temp\x.txt")), [m], [], now=NOW, active={m.id: [done]}) == []


async def test_preflight_against_the_simulator_tells_the_truth(engine_factory):
    """A busy machine (an action of ours holds it), a too-old Linux agent, a never-ending script and a script
    run without its required parameters: each named by the engine's pre-flight, nothing sent for them."""
    from tests.engine.conftest import make_sim, usable

    sim = make_sim()
    eng = await engine_factory(sim)
    win = usable(sim, 2)
    [first] = await eng.submit(seq(("RunScript", "Watch-ProcessCreation.ps1")), [win[0]])
    while first.action_id is None:
        await eng.budget.changed(0.05)
    old = next(r for r in sim.state.machines if r.agent_too_old)
    from lrtui.api.models import Machine as M

    too_old = M.model_validate(old.wire)
    issues = await eng.preflight(seq(("RunScript", "Watch-ProcessCreation.ps1")), [win[0], win[1]])
    kinds = {(i.machine_id, i.kind) for i in issues}
    assert (win[0].id, "busy") in kinds and (win[1].id, "busy") not in kinds
    assert {(win[0].id, "never-ends"), (win[1].id, "never-ends")} <= kinds
    busy = next(i for i in issues if i.kind == "busy")
    assert "case-42 triage by alice" in busy.message  # the holder's comment, as the service lists it
    params = await eng.preflight(seq(("RunScript", "minidump.ps1")), [win[1]])
    assert [i.kind for i in params] == ["parameters"]
    from lrtui.api.models import CommandType
    from lrtui.api.sequence import Command, Sequence

    agent = await eng.preflight(Sequence((Command(CommandType.GET_FILE, "/etc/hosts"),), "case-1"), [too_old])
    assert [(i.kind, i.level) for i in agent] == [("agent", "error")]
    await eng.cancel(first.id, "done")
