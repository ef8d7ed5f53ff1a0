"""Sequence rules: ordering, Args placement, argument refusal, wire format and the escaping round trip."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrtui.api.models import CommandType
from lrtui.api.paths import PathError
from lrtui.api.sequence import (
    BIDI_CONTROLS,
    FORBIDDEN_ARG_CHARS,
    GROUP_ORDER,
    Command,
    Sequence,
    SequenceError,
    is_ordered,
    make_command,
    order_problem,
    sequence_from_commands,
)

PUT, RUN, GET = CommandType.PUT_FILE, CommandType.RUN_SCRIPT, CommandType.GET_FILE

SEED_BODY = (
    '{"Commands":[{"type":"RunScript","params":[{"key":"ScriptName","value":"minidump.ps1"},'
    '{"key":"Args","value":"OfficeClickToRun"}]},{"type":"GetFile","params":[{"key":"Path",'
    '"value":"C:\\\\windows\\\\TEMP\\\\OfficeClickToRun.dmp.zip"}]}],"Comment":"Testing Live Response API"}'
)


def seed_sequence() -> Sequence:
    return (
        Sequence()
        .add(make_command(RUN, "minidump.ps1", "OfficeClickToRun"))
        .add(make_command(GET, r"C:\windows\TEMP\OfficeClickToRun.dmp.zip"))
        .with_comment("Testing Live Response API")
    )


# ------------------------------------------------------------------ the documented seed example


def test_seed_example_equals_documented_body():
    seq = seed_sequence()
    assert seq.to_body() == json.loads(SEED_BODY)
    assert json.dumps(seq.to_body(), separators=(",", ":")) == SEED_BODY
    # the typed path has single backslashes; only the JSON text doubles them
    assert (
        json.loads(seq.to_json())["Commands"][1]["params"][0]["value"] == "C:\\windows\\TEMP\\OfficeClickToRun.dmp.zip"
    )
    assert "\\\\\\\\" not in seq.to_json()  # never double-escaped


def test_seed_example_from_body_round_trip():
    seq = Sequence.from_body(json.loads(SEED_BODY))
    assert seq == seed_sequence()
    assert seq.commands[0] == Command(RUN, "minidump.ps1", "OfficeClickToRun")
    assert seq.commands[1].value == r"C:\windows\TEMP\OfficeClickToRun.dmp.zip"
    assert json.dumps(seq.to_body(), separators=(",", ":")) == SEED_BODY


def test_from_body_reads_action_commands_echo():
    action = {
        "requestorComment": "case 42",
        "commands": [
            {
                "index": 0,
                "commandStatus": "Completed",
                "command": {"type": "PutFile", "params": [{"key": "FileName", "value": "a.ps1"}]},
            },
            {"index": 1, "command": {"type": "RunScript", "params": [{"key": "ScriptName", "value": "a.ps1"}]}},
        ],
    }
    seq = Sequence.from_body(action)
    assert seq.commands == (Command(PUT, "a.ps1"), Command(RUN, "a.ps1"))
    assert seq.comment == "case 42"


@pytest.mark.parametrize(
    "body, needle",
    [
        ({}, "no Commands list"),
        ({"Commands": ["x"]}, "not an object"),
        ({"Commands": [{"type": "Isolate", "params": []}]}, "unknown type"),
        ({"Commands": [{"type": "GetFile", "params": [{"key": "FileName", "value": "x"}]}]}, "has no Path"),
    ],
)
def test_from_body_refuses_malformed(body, needle):
    with pytest.raises(SequenceError, match=needle):
        Sequence.from_body(body)


def test_from_body_keeps_unknown_keys():
    seq = Sequence.from_body({"Commands": [], "Comment": "c", "ExternalId": "x1"})
    assert seq.extra == {"ExternalId": "x1"}


# ------------------------------------------------------------------ rules


def test_add_places_command_at_end_of_its_group():
    seq = Sequence()
    seq = seq.add(make_command(GET, r"C:\a.txt"))
    seq = seq.add(make_command(PUT, "p1.ps1"))
    seq = seq.add(make_command(RUN, "r1.ps1"))
    seq = seq.add(make_command(PUT, "p2.ps1"))
    seq = seq.add(make_command(GET, r"C:\b.txt"))
    seq = seq.add(make_command(RUN, "r2.ps1"))
    assert [c.label() for c in seq.commands] == [
        "PutFile p1.ps1",
        "PutFile p2.ps1",
        "RunScript r1.ps1",
        "RunScript r2.ps1",
        r"GetFile C:\a.txt",
        r"GetFile C:\b.txt",
    ]


def test_move_within_group_and_refusal_across_groups():
    seq = Sequence().add(make_command(PUT, "a")).add(make_command(PUT, "b")).add(make_command(RUN, "s"))
    moved = seq.move(1, -1)
    assert [c.value for c in moved.commands] == ["b", "a", "s"]
    with pytest.raises(SequenceError) as ei:
        seq.move(1, 1)
    assert "A PutFile cannot move past a RunScript" in str(ei.value)
    assert "PutFile commands first, then RunScript, then GetFile" in str(ei.value)
    with pytest.raises(SequenceError, match="edge"):
        seq.move(0, -1)


def test_args_only_on_runscript():
    assert make_command(RUN, "s.ps1", "-x 1").args == "-x 1"
    for t, v in ((PUT, "a.ps1"), (GET, r"C:\x.txt")):
        with pytest.raises(SequenceError, match="Args belong to RunScript only"):
            make_command(t, v, "-x")
    # Args are never emitted for other types even when a Command is built by hand
    assert Command(PUT, "a.ps1", "zzz").to_wire() == {
        "type": "PutFile",
        "params": [{"key": "FileName", "value": "a.ps1"}],
    }


@pytest.mark.parametrize("ch", list(FORBIDDEN_ARG_CHARS))
def test_forbidden_argument_characters_refused(ch):
    with pytest.raises(SequenceError) as ei:
        make_command(RUN, "s.ps1", f"-Path C:\\x{ch}y")
    assert ch in ei.value.message
    assert "; & | ! $" in ei.value.message


def test_argument_control_chars_and_length():
    with pytest.raises(SequenceError, match="control characters"):
        make_command(RUN, "s.ps1", "a\nb")
    with pytest.raises(SequenceError, match="limit is 2000"):
        make_command(RUN, "s.ps1", "a" * 2001)


def test_empty_sequence_and_comment_problems():
    problems = Sequence().problems()
    assert "The sequence is empty: add at least one command." in problems
    assert any("A comment is required" in p for p in problems)
    assert seed_sequence().problems() == []
    with pytest.raises(SequenceError):
        Sequence().validate()


def test_sequence_from_commands_refuses_wrong_order():
    with pytest.raises(SequenceError) as ei:
        sequence_from_commands([Command(GET, r"C:\x"), Command(RUN, "s")], "c")
    assert (
        str(ei.value)
        == "Command 2 (RunScript) comes after a GetFile: the service needs PutFile commands first, then RunScript, then GetFile."
    )
    assert (
        order_problem(["PutFile", "Bogus"]) == "Command 2 has unknown type 'Bogus'; use PutFile, RunScript or GetFile."
    )


def test_unknown_type_and_names():
    with pytest.raises(SequenceError, match="Unknown command type"):
        make_command("Isolate", "x")
    with pytest.raises(SequenceError, match="not a path"):
        make_command(PUT, r"C:\x.ps1")
    with pytest.raises(SequenceError, match="leading or trailing spaces"):
        make_command(RUN, " s.ps1")


def test_getfile_path_checked_per_os():
    assert make_command(GET, "/var/log/syslog", os_family="linux").value == "/var/log/syslog"
    with pytest.raises(PathError, match="looks like a POSIX path"):
        make_command(GET, "/var/log/syslog", os_family="windows")
    seq = Sequence((Command(GET, r"C:\x.txt"),), "c")
    assert any("Windows path" in p for p in seq.problems("linux"))


# ------------------------------------------------------------------ properties

_name = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,15}", fullmatch=True)
_arg_chars = st.characters(blacklist_categories=("Cs", "Cc"), min_codepoint=32).filter(
    lambda c: c not in FORBIDDEN_ARG_CHARS and c not in BIDI_CONTROLS
)
_args = st.text(_arg_chars, min_size=1, max_size=40)
_seg_chars = st.characters(blacklist_categories=("Cs", "Cc", "Cf"), min_codepoint=32).filter(
    lambda c: c not in '<>"|?*\\/:'
)
_segment = st.text(_seg_chars, min_size=1, max_size=12).filter(lambda s: s.strip() == s)
_win_path = st.builds(
    lambda drive, segs: f"{drive}:\\" + "\\".join(segs),
    st.sampled_from("CDEZ"),
    st.lists(_segment, min_size=1, max_size=6),
).filter(lambda p: len(p) <= 260)


@st.composite
def commands(draw):
    t = draw(st.sampled_from([PUT, RUN, GET]))
    if t is GET:
        return make_command(GET, draw(_win_path))
    if t is RUN:
        return make_command(RUN, draw(_name), draw(st.none() | _args))
    return make_command(PUT, draw(_name))


_ops = st.lists(
    st.one_of(
        st.tuples(st.just("add"), commands()),
        st.tuples(st.just("move"), st.integers(0, 12), st.sampled_from([-1, 1, -3, 2])),
        st.tuples(st.just("remove"), st.integers(0, 12)),
        st.tuples(st.just("replace"), st.integers(0, 12), commands()),
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ops)
def test_order_invariant_after_any_edit(ops):
    seq = Sequence(comment="c")
    for op in ops:
        before = seq
        try:
            if op[0] == "add":
                seq = seq.add(op[1])
                assert op[1] in seq.commands
            elif op[0] == "move":
                seq = seq.move(op[1], op[2])
            elif op[0] == "remove":
                seq = seq.remove(op[1])
                assert len(seq.commands) == len(before.commands) - 1
            else:
                seq = seq.replace_at(op[1], op[2])
        except SequenceError:
            assert seq is before  # a refused edit changes nothing
        assert is_ordered(seq.commands)
        ranks = [GROUP_ORDER[c.type] for c in seq.commands]
        assert ranks == sorted(ranks)
        assert order_problem([c.type.value for c in seq.commands]) is None
        # the multiset of commands is what the successful edits say
        if op[0] == "move" and seq is not before:
            assert sorted(map(repr, seq.commands)) == sorted(map(repr, before.commands))


@settings(max_examples=200, deadline=None)
@given(st.lists(commands(), min_size=1, max_size=8), st.text(min_size=1, max_size=60))
def test_escaping_round_trip_is_byte_identical(cmds, comment):
    seq = Sequence(comment=comment)
    for c in cmds:
        seq = seq.add(c)
    decoded = json.loads(seq.to_json())
    assert decoded == seq.to_body()
    assert decoded["Comment"] == comment
    for wire, typed in zip(decoded["Commands"], seq.commands):
        assert wire["type"] == typed.type.value
        values = {p["key"]: p["value"] for p in wire["params"]}
        main = {PUT: "FileName", RUN: "ScriptName", GET: "Path"}[typed.type]
        assert values[main].encode("utf-8") == typed.value.encode("utf-8")
        if typed.args:
            assert values["Args"].encode("utf-8") == typed.args.encode("utf-8")
        else:
            assert "Args" not in values
    assert Sequence.from_body(decoded) == seq


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=0, max_size=30), st.sampled_from(list(FORBIDDEN_ARG_CHARS)), st.text(max_size=30))
def test_any_argument_with_a_forbidden_char_is_refused(pre, bad, post):
    with pytest.raises(SequenceError):
        make_command(RUN, "s.ps1", pre + bad + post)


@pytest.mark.parametrize("ch", ["\x7f", "\x85", "\u202e", "\u2066", "\n"])
def test_args_refuse_del_c1_bidi_and_newlines(ch):
    with pytest.raises(SequenceError) as e:
        make_command("RunScript", "a.ps1", f"-Name x{ch}y")
    assert "control characters" in e.value.message
