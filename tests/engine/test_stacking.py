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
