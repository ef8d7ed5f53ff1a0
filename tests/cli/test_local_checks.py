"""Before any call (issue 14): ``--out`` writable, the journal writable and free space for what the sequence
collects, refused with exit 2 and a message naming the folder and the bytes needed; over-long arguments are
refused with the limit and what to do; every message without a traceback."""

from __future__ import annotations

from collections import namedtuple

from lrtui.api.enums import CommandType
from lrtui.api.sequence import Sequence, make_command, sequence_from_commands
from lrtui.cli.entry import main
from lrtui.engine import preflight
from lrtui.engine.preflight import DISK_MARGIN, GETFILE_RESERVE, RUNSCRIPT_RESERVE, local_checks, space_needed

from .conftest import lrtui, online_windows, requests_seen

TRIAGE = ["--run-script", "Get-Processes.ps1", "--get-file", r"C:\Windows\System32\drivers\etc\hosts", "-c", "IR-1"]


def _seq() -> Sequence:
    cmds = [
        make_command(CommandType.RUN_SCRIPT, "Get-Processes.ps1", None, os_family="windows"),
        make_command(CommandType.GET_FILE, r"C:\x.txt", None, os_family="windows"),
        make_command(CommandType.GET_FILE, r"C:\y.txt", None, os_family="windows"),
    ]
    return sequence_from_commands(cmds, "IR-1")


def test_an_out_folder_that_cannot_be_created_is_refused_before_any_call(sim, tmp_path):
    api_url, simulator = sim
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    m = online_windows(simulator, 1)[0]
    before = requests_seen(simulator)
    r = lrtui(["run", "-m", m["id"], *TRIAGE, "--out", str(blocker / "case")], api_url, tmp_path)
    assert r.returncode == 2, r.stderr
    assert f"The output folder {blocker / 'case'} cannot be created" in r.stderr and "Nothing was sent" in r.stderr
    assert "Traceback" not in r.stderr
    assert requests_seen(simulator) == before  # not even the machines were looked up


def test_too_little_free_space_is_refused_with_the_bytes_needed(sim, tmp_path, monkeypatch, capsys):
    api_url, simulator = sim
    ids = [m["id"] for m in online_windows(simulator, 3)]
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(
        preflight.shutil, "disk_usage", lambda p: usage(1 << 40, (1 << 40) - 300 * (1 << 20), 300 << 20)
    )
    monkeypatch.setenv("LRTUI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LRTUI_ACCESS_TOKEN", "demo-token")
    out = tmp_path / "case"
    posts = simulator.state.status_counts.copy()
    args = ["run", *[a for i in ids for a in ("-m", i)], *TRIAGE, "--out", str(out), "--api-url", api_url]
    assert main(args) == 2
    err = capsys.readouterr().err
    need = DISK_MARGIN + 3 * (GETFILE_RESERVE + RUNSCRIPT_RESERVE)
    assert f"Not enough free space in {out}: {need:,} bytes are needed" in err and f"{300 << 20:,} are free" in err
    assert "Nothing was sent" in err
    assert simulator.state.status_counts.get(201, 0) == posts.get(201, 0)  # no action created


def test_the_estimate_and_each_local_problem(tmp_path):
    seq = _seq()
    per = 2 * GETFILE_RESERVE + RUNSCRIPT_RESERVE
    assert space_needed(seq, 10) == DISK_MARGIN + 10 * per
    journal = tmp_path / "state" / "journal.sqlite3"
    assert local_checks(tmp_path / "new" / "out", journal, seq, 10) == []  # folders lrtui creates are fine
    journal.mkdir(parents=True)  # a folder where the journal file should be
    [issue] = local_checks(tmp_path / "out", journal, seq, 1)
    assert issue.level == "error" and f"The journal {journal} is not a writable file" in issue.message
    [issue] = local_checks(tmp_path / "out", tmp_path / "j.sqlite3", seq, 2, margin=1 << 62)
    assert issue.kind == "space" and f"{(1 << 62) + 2 * per:,} bytes are needed" in issue.message
    assert str(tmp_path / "out") in issue.message and "choose another --out" in issue.message
