"""Bad inputs of ``lrtui run`` (issue 14): a 100,000-character argument, a non-UTF-8 machines file. Each gives
exit 2 and a message with the limit (or the problem) and what to do, before any call, never a traceback."""

from __future__ import annotations

import pytest

from .conftest import lrtui, requests_seen

HUGE = "a" * 100_000
GET = ["--get-file", r"C:\Windows\System32\drivers\etc\hosts"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--run-script", "Get-Processes.ps1", "--args", HUGE, "-c", "IR-1"],
            ["--args is 100,000 characters long; the limit is 2,000", "--put-file"],
        ),
        (
            ["--run-script", "Get-Processes.ps1", "-c", HUGE],
            ["--comment is 100,000 characters long; the limit is", "keep the details in the case notes"],
        ),
        (["--run-script", HUGE, "-c", "IR-1"], ["library file name is 100,000 characters long; the limit is 255"]),
        (["--get-file", "C:\\" + HUGE, "-c", "IR-1"], ["path is 100,003 characters long; the limit is 32,767"]),
        (
            ["--run-script", "Get-Processes.ps1", "-c", "IR-1", "--out", "/tmp/" + HUGE],
            ["The output folder /tmp/aaa", "(100,005 characters) cannot be used (File name too long)"],
        ),
    ],
    ids=["args", "comment", "script-name", "path", "out"],
)
def test_a_100k_argument_names_the_limit_and_what_to_do(sim, tmp_path, args, expected):
    api_url, simulator = sim
    before = requests_seen(simulator)
    r = lrtui(["run", "-m", "some-host", *args], api_url, tmp_path)
    assert r.returncode == 2, r.stderr
    for text in expected:
        assert text in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr) < 2000  # the value is not echoed back
    assert requests_seen(simulator) == before


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-m", HUGE], ["Not a machine id or computer name", "(100,000 characters)", "at most 255 characters"]),
        (["--filter", HUGE], ["--filter is 100,000 characters long; the limit is 4,096", "--machines-file"]),
    ],
    ids=["machine", "filter"],
)
def test_a_100k_target_names_the_limit_and_what_to_do(sim, tmp_path, args, expected):
    api_url, simulator = sim
    before = requests_seen(simulator)
    r = lrtui(["run", *args, "--run-script", "Get-Processes.ps1", "-c", "IR-1"], api_url, tmp_path)
    assert r.returncode == 2, r.stderr
    for text in expected:
        assert text in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr) < 2000
    assert requests_seen(simulator) == before


def test_machines_with_a_100k_filter_names_the_limit(sim, tmp_path):
    api_url, simulator = sim
    before = requests_seen(simulator)
    r = lrtui(["machines", "--filter", HUGE], api_url, tmp_path)
    assert r.returncode == 2, r.stderr
    assert "--filter is 100,000 characters long; the limit is 4,096" in r.stderr and "Traceback" not in r.stderr
    assert requests_seen(simulator) == before


@pytest.mark.parametrize("argv", [["results", HUGE], ["cancel", HUGE, "-c", "IR-1"]], ids=["results", "cancel"])
def test_a_100k_action_id_is_refused_before_any_call(sim, tmp_path, argv):
    api_url, simulator = sim
    before = requests_seen(simulator)
    r = lrtui(argv, api_url, tmp_path)
    assert r.returncode == 2, r.stderr
    assert (
        "is 100,000 characters long; action ids are GUIDs (36 characters)" in r.stderr and "lrtui actions" in r.stderr
    )
    assert "Traceback" not in r.stderr and len(r.stderr) + len(r.stdout) < 2000
    assert requests_seen(simulator) == before


def test_a_machines_file_that_is_not_utf8_is_named(sim, tmp_path):
    api_url, simulator = sim
    f = tmp_path / "hosts.txt"
    f.write_bytes(b"good-host\nh\xf4te-caf\xe9\n")  # Latin-1
    before = requests_seen(simulator)
    r = lrtui(["run", "--machines-file", str(f), "--run-script", "Get-Processes.ps1", "-c", "x"], api_url, tmp_path)
    assert r.returncode == 2
    assert f"The machines file {f} is not UTF-8 text (byte 11)" in r.stderr and "Save it as UTF-8" in r.stderr
    assert "Traceback" not in r.stderr
    assert requests_seen(simulator) == before
