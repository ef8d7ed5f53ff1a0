"""Stacking rules (issue 12): groups, lines, masks, merged tables, the diff against the majority."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from lrtui.engine.stacking import (
    DEFAULT_MASKS,
    MachineOutput,
    Masker,
    csv_safe,
    diff_against_majority,
    display,
    group_outputs,
    iter_table_rows,
    stack_column,
    stack_lines,
    table_columns,
)
from lrtui.engine.stacking.groups import is_outlier


def _write(tmp: Path, outputs: dict[str, str]) -> list[MachineOutput]:
    tmp.mkdir(parents=True, exist_ok=True)
    result = []
    for i, (machine, text) in enumerate(outputs.items()):
        path = tmp / f"{i}.txt"
        path.write_text(text, encoding="utf-8")
        result.append(MachineOutput(machine, path))
    return result


_LINES = st.lists(st.sampled_from(["alpha", "beta", "gamma", "", "delta x", "ε"]), max_size=6)
_BATCH = st.dictionaries(st.from_regex(r"ws[0-9]{1,3}", fullmatch=True), _LINES, min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(batch=_BATCH)
def test_group_counts_sum_to_the_machines_and_line_counts_are_exact(tmp_path_factory, batch) -> None:
    tmp = tmp_path_factory.mktemp("batch")
    outputs = _write(tmp, {m: "".join(line + "\n" for line in lines) for m, lines in batch.items()})
    groups = group_outputs(outputs)
    assert sum(g.size for g in groups) == len(batch)
    assert sorted(m for g in groups for m in g.machines) == sorted(batch)
    assert [g.size for g in groups] == sorted((g.size for g in groups), reverse=True)
    for g in groups:  # one group = one distinct output
        assert len({tuple(batch[m]) for m in g.machines}) == 1
    stacks = stack_lines(outputs)
    expected = {}
    for machine, lines in batch.items():
        for line in set(lines):
            expected.setdefault(line, set()).add(machine)
    assert {s.text: set(s.machines) for s in stacks.lines} == expected
    assert [s.count for s in stacks.lines] == sorted(s.count for s in stacks.lines)


_LITERAL = st.text(alphabet="xyz \x01⟨⟩m;e\n", max_size=12)
_STAMP = st.builds(
    "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format,
    st.integers(2000, 2099),
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
)


def _render(literals: list[str], stamps: list[str]) -> str:
    parts = []
    for i, lit in enumerate(literals):
        parts.append(lit)
        parts.append(f" {stamps[i % len(stamps)]} ")
    return "".join(parts) + "\n"


@settings(max_examples=150, deadline=None)
@given(a=st.lists(_LITERAL, min_size=1, max_size=5), b=st.lists(_LITERAL, min_size=1, max_size=5),
       sa=st.lists(_STAMP, min_size=1, max_size=3), sb=st.lists(_STAMP, min_size=1, max_size=3))  # fmt: skip
def test_masks_merge_only_outputs_equal_outside_masked_spans(tmp_path_factory, a, b, sa, sb) -> None:
    tmp = tmp_path_factory.mktemp("masks")
    outputs = _write(tmp, {"one": _render(a, sa), "two": _render(b, sb)})
    merged = len(group_outputs(outputs, masks=("time",))) == 1
    same_outside = _render(a, ["T"]) == _render(b, ["T"])
    assert merged == same_outside


def test_host_time_pid_and_guid_masks(tmp_path: Path) -> None:
    text = (
        "Machine: FIN-WS01 (Microsoft Windows NT 10.0.19045.0)\n"
        "Start time: 20240602081500\n"
        "Process ID: 4242\n"
        "transcript_0a1b2c3d-1111-2222-3333-444455556666.txt written on fin-ws01.corp.example\n"
        "ProcessId ParentProcessId Name\n"
        "      512             4 smss.exe\n"
    )
    masker = Masker(("host", "time", "pid", "guid"), MachineOutput("fin-ws01.corp.example", tmp_path).names())
    shown = [display(masker.line(line)) for line in text.splitlines()]
    assert shown == [
        "Machine: ⟨host⟩ (Microsoft Windows NT 10.0.19045.0)",
        "Start time: ⟨time⟩",
        "Process ID: ⟨pid⟩",
        "transcript_⟨guid⟩.txt written on ⟨host⟩",
        "ProcessId ParentProcessId Name",
        "⟨pid⟩ ⟨pid⟩ smss.exe",  # a masked column number takes its padding with it
    ]
    assert display(Masker(()).line("a \x01m b")) == "a \x01m b"  # no masks: the text itself


def test_outlier_and_diff_against_the_majority(tmp_path: Path) -> None:
    base = "Run\tOneDrive\tC:\\Program Files\\OneDrive.exe\n"
    odd = base + "Run\tUpdater\tC:\\Users\\Public\\upd.exe\n"
    outputs = _write(tmp_path, {"ws1": base, "ws2": base, "ws3": odd, "ws4": base})
    groups = group_outputs(outputs)
    assert [g.machines for g in groups] == [("ws1", "ws2", "ws4"), ("ws3",)]
    assert is_outlier(groups[1], groups) and not is_outlier(groups[0], groups)
    diff = diff_against_majority(outputs[2], outputs[0])
    assert "+Run\tUpdater\tC:\\Users\\Public\\upd.exe" in diff
    assert not [line for line in diff if line.startswith("-") and not line.startswith("---")]
    assert diff_against_majority(outputs[1], outputs[0]) == []


def test_csv_and_json_lines_merge_into_one_table_and_stack_by_column(tmp_path: Path) -> None:
    banner = "**********************\nWindows PowerShell transcript start\nStart time: 20240602081500\n**********************\n"
    csv_ok = banner + "Name,Port,Process\nsvchost,135,svchost.exe\nlsass,445,System\n"
    csv_odd = banner + "Name,Port,Process\nsvchost,135,svchost.exe\nbeacon,4444,=cmd|' /C calc'!A0\n"
    jsonl = "\n".join(json.dumps(r) for r in ({"Name": "sshd", "Port": 22}, {"Name": "nginx", "Port": 80})) + "\n"
    outputs = _write(tmp_path, {"ws1": csv_ok, "ws2": csv_ok, "ws3": csv_odd, "lnx1": jsonl})
    assert table_columns(outputs) == ["machine", "Name", "Port", "Process"]
    rows = list(iter_table_rows(outputs))
    assert len(rows) == 8 and {r["machine"] for r in rows} == {"ws1", "ws2", "ws3", "lnx1"}
    assert {"machine": "lnx1", "Name": "sshd", "Port": "22"} in rows
    ports = stack_column(outputs, "Port")
    assert ports[0].count == 1 and ports[-1].value == "135" and ports[-1].machines == ("ws1", "ws2", "ws3")
    assert [s.value for s in ports if s.count == 1] == ["22", "4444", "80"]
    assert csv_safe("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    assert csv_safe("+1") == "'+1" and csv_safe("-x") == "'-x" and csv_safe("@SUM") == "'@SUM"
    assert csv_safe("plain") == "plain"


def test_nul_padding_and_crlf_do_not_split_groups(tmp_path: Path) -> None:
    outputs = _write(tmp_path, {"a": "51 MB\r\nok\n", "b": "51 MB\nok\n\x00\x00\x00"})
    assert len(group_outputs(outputs)) == 1


@settings(max_examples=120, deadline=None)
@given(text=st.text(alphabet="ab \n\r\x00é\x01", max_size=40))
def test_the_fast_exact_path_and_the_text_path_agree(tmp_path_factory, text) -> None:
    from lrtui.engine.stacking.groups import output_digest, text_digest

    path = tmp_path_factory.mktemp("paths") / "out.txt"
    path.write_bytes(text.encode("utf-8"))
    output = MachineOutput("m", path)
    assert output_digest(output, ()) == text_digest(output, ())


def test_line_stack_memory_is_bounded_and_says_what_it_left_out(tmp_path: Path) -> None:
    outputs = _write(tmp_path, {"a": "1\n2\n3\n", "b": "1\n4\n"})
    stacks = stack_lines(outputs, max_distinct=2)
    assert len(stacks.lines) == 2 and stacks.dropped == 2  # "3" and "4" seen after the cap
    assert stacks.machines == 2
    assert [s.text for s in stacks.matching("1")] == ["1"]


def test_glance_counts_states_exit_codes_failures_and_groups_files_by_hash() -> None:
    from lrtui.api.models import ScriptResult
    from lrtui.api.sequence import Command, CommandType, Sequence
    from lrtui.engine.jobs import CommandResult, Job, JobState, Outcome
    from lrtui.engine.stacking import glance

    seq = Sequence(
        (Command(CommandType.RUN_SCRIPT, "collect.ps1"), Command(CommandType.GET_FILE, r"C:\Temp\out.zip")),
        "IR-1",
    )

    def job(name: str, outcome: Outcome, code: int, sha: str | None) -> Job:
        j = Job(id=name, batch_id="b1", machine_id=name, machine_name=name, os_family="windows", sequence=seq)
        j.state, j.outcome = JobState.DONE, outcome
        script = ScriptResult(script_name="collect.ps1", exit_code=code, script_output="", script_errors="")
        j.results = [
            CommandResult(index=0, type="RunScript", script=script),
            CommandResult(index=1, type="GetFile", sha256=sha, downloaded=sha is not None),
        ]
        return j

    jobs = [job(f"ws{i}", Outcome.SUCCEEDED, 0, "aa") for i in range(5)]
    jobs += [job("ws9", Outcome.SCRIPT_FAILED, 5, "bb"), job("ws8", Outcome.COMMAND_FAILED, 0, None)]
    g = glance(jobs)
    assert g.jobs == 7 and g.states["done"] == 7
    assert g.outcomes["succeeded"] == 5 and dict(g.failures) == {"script_failed": 1, "command_failed": 1}
    assert dict(g.exit_codes) == {0: 6, 5: 1}
    # one path: rarest first (the uncollected and the different file), the majority's hash last
    assert [(f.sha256, len(f.machines)) for f in g.files] == [(None, 1), ("bb", 1), ("aa", 5)]
    assert {f.device_path for f in g.files} == {r"C:\Temp\out.zip"}


def test_the_banner_mask_groups_windows_outputs_across_builds(tmp_path: Path) -> None:
    def windows(build: int, body: str) -> str:
        return (
            "**********************\nWindows PowerShell transcript start\nStart time: 20240602081500\n"
            f"Machine: WS (Microsoft Windows NT 10.0.{build}.0)\n**********************\n"
            "Transcript started, output file is C:\\ProgramData\\x\\transcript_1.txt\n"
            f"{body}\n**********************\nWindows PowerShell transcript end\n**********************\n"
        )

    outputs = _write(tmp_path, {"ws-a": windows(19045, "Run,OneDrive"), "ws-b": windows(22631, "Run,OneDrive"),
                                "ws-c": windows(22631, "Run,Updater")})  # fmt: skip
    assert [g.size for g in group_outputs(outputs, ("host", "time"))] == [1, 1, 1]  # builds differ in the banner
    assert [g.machines for g in group_outputs(outputs, DEFAULT_MASKS)] == [("ws-a", "ws-b"), ("ws-c",)]


def test_the_host_mask_takes_whole_names_only(tmp_path: Path) -> None:
    masker = Masker(("host",), MachineOutput("ws01.corp.example", tmp_path).names())
    assert display(masker.line("ws01 fin-ws01 WS01.corp.example ws011")) == "⟨host⟩ fin-ws01 ⟨host⟩ ws011"


def test_the_diff_against_the_majority_masks_the_banner_too(tmp_path: Path) -> None:
    banner = "**********\nWindows PowerShell transcript start\nMachine: WS (build {b})\n**********\n"
    outputs = _write(
        tmp_path, {"ws-a": banner.format(b=1) + "Run,OneDrive\n", "ws-c": banner.format(b=2) + "Run,Updater\n"}
    )
    diff = diff_against_majority(outputs[1], outputs[0], DEFAULT_MASKS)
    changed = [ln for ln in diff if ln[:1] in "+-" and ln[:3] not in ("+++", "---")]
    assert changed == ["-Run,OneDrive", "+Run,Updater"]


def _reference_block(masker: Masker, text: str, hosts: tuple[str, ...]) -> str:
    """The masks as specified, without any fast path: every rule's pattern over the whole block (no needles, no
    gates, no line windows), the host names by one case-insensitive regex, PID columns line by line."""
    import re

    from lrtui.engine.stacking.masks import MASKS, _token
    from lrtui.engine.stacking.pid_columns import _HEADER, HEADERS

    text = text.replace("\x01", "\x01e")
    if "pid" in masker.masks:
        header = _HEADER.search(text)
        if header is not None:
            cols = [i for i, w in enumerate(header.group(0).lower().split()) if w in HEADERS]
            head, rows = text[: header.end()], text[header.end() :].split("\n")
            for n, row in enumerate(rows):
                for i in cols:
                    lead = len(row) - len(row.lstrip(" \t"))
                    fields = re.findall(r"[^ \t]+[ \t]*", row[lead:])
                    if len(fields) > i and re.fullmatch(r"\d+", fields[i].rstrip(" \t")):
                        before = (row[:lead] if i else "") + "".join(fields[:i])
                        before = before.rstrip(" \t") + " " if i else ""
                        rest = fields[i][len(fields[i].rstrip(" \t")) :]
                        row = before + _token("pid") + rest + "".join(fields[i + 1 :])
                rows[n] = row
            text = head + "\n".join(rows)
    names = [h for h in hosts if h]
    if "host" in masker.masks and names:
        pattern = rf"(?<![\w-])(?:{'|'.join(re.escape(h) for h in names)})(?![\w-])"
        text = re.sub(pattern, _token("host"), text, flags=re.IGNORECASE)
    for name in masker.masks:
        for rule in MASKS[name].rules:
            token = _token(name)
            text = rule.pattern.sub((r"\1" + token) if rule.prefix else token, text)
    return text


_PIECES = st.sampled_from(
    ["ws01", "WS01.corp.example", "fin-ws01", " ", "  ", "\t", "\n", "-", ":", "/", "7", "42", "2024-06-02T08:15:00Z",
     "6/2/2024 8:15 AM", "Sun Jun  2 08:15:00 2024", "Start time: 20240602081500", "pid=77", "Process ID: 9",
     "0a1b2c3d-1111-2222-3333-444455556666", "PID PPID Name", "ProcessId  Name", "  512   4 smss.exe", "x123",
     "abc", "\x01", "é", "٣", "²", "**********", "Thu"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(header=st.sampled_from(["", "PID PPID Name\n", "Name  ProcessId\n", "PID Name PPID\n", "x\n"]), pieces=st.lists(_PIECES, max_size=30),
       masks=st.sets(st.sampled_from(DEFAULT_MASKS), min_size=1))  # fmt: skip
def test_the_fast_mask_paths_give_what_the_plain_rules_give(tmp_path_factory, header, pieces, masks) -> None:
    """Needles, gates, line windows and split-based PID columns (the fast paths) change nothing."""
    text = header + "".join(pieces)
    names = MachineOutput("ws01.corp.example", tmp_path_factory.getbasetemp()).names()
    order = tuple(m for m in DEFAULT_MASKS if m in masks)
    masker = Masker(order, names)
    assert masker.block(text) == _reference_block(masker, text, names)


_OUTPUT = st.lists(_PIECES, max_size=12).map("".join)


@settings(max_examples=80, deadline=None)
@given(batch=st.dictionaries(st.sampled_from(["ws01.corp.example", "ws02", "fin-ws01", "lnx"]), _OUTPUT, min_size=1),
       masks=st.sampled_from([(), DEFAULT_MASKS, ("time", "guid")]))  # fmt: skip
def test_groups_and_lines_in_one_pass_are_the_two_passes(tmp_path_factory, batch, masks) -> None:
    """The stack view reads and masks each output once (``group_and_stack``): the same groups and lines."""
    from lrtui.engine.stacking import group_and_stack

    outputs = _write(tmp_path_factory.mktemp("once"), batch)
    groups, lines = group_and_stack(outputs, masks)
    assert groups == group_outputs(outputs, masks)
    assert lines == stack_lines(outputs, masks)


_HEXISH = st.text(alphabet="0123456789abcdefABCDEFxT :-./\n", max_size=60)


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.one_of(_HEXISH, _PIECES), max_size=8).map("".join))
def test_digit_first_patterns_match_what_the_lookbehind_first_ones_matched(text) -> None:
    """``\\d(?<!\\d\\d)`` is ``(?<!\\d)\\d`` written so that ``re`` tries digits only (the ISO and US date and the
    GUID rules): the same matches."""
    import re

    from lrtui.engine.stacking.masks import MASKS

    iso, us, _, _ = MASKS["time"].rules
    (guid,) = MASKS["guid"].rules
    old_iso = r"(?<!\d)\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
    old_us = r"(?<!\d)\d{1,2}/\d{1,2}/\d{4}[^\S\n]+\d{1,2}:\d{2}(?::\d{2})?(?:[^\S\n]?[AP]M)?"
    old_guid = (
        r"(?<![0-9a-fA-F])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9a-fA-F])"
    )
    for rule, old in ((iso, old_iso), (us, old_us), (guid, old_guid)):
        assert [m.span() for m in rule.pattern.finditer(text)] == [m.span() for m in re.finditer(old, text)]
