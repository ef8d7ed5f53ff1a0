"""`lrtui batches`, `stack` and `table` with `--demo` read the batches that earlier demo sessions kept (each
`lrtui run --demo` and each app session has its own journal): a workshop runs a script on the demo fleet, then
stacks its answers, in separate commands. Reading creates no journal."""

from __future__ import annotations

import json

from tests.cli.conftest import lrtui


def _demo(args, tmp_path, timeout=120):
    return lrtui([*args, "--demo"], None, tmp_path, token=None, timeout=timeout)


def test_a_demo_run_is_listed_and_stacked_by_later_demo_commands(tmp_path):
    folder = tmp_path / "home" / "state" / "demo"
    r = _demo(["batches"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "No demo batches yet" in r.stdout and not list(folder.glob("journal-*"))  # reading created nothing

    runs = []
    for script in ("Get-Processes.ps1", "Get-Listeners.csv.ps1"):
        r = _demo(["run", "--filter", "startswith(computerDnsName,'fin-ws-000')", "--skip-offline",
                   "--run-script", script, "-c", "WS-1 stack", "--json"], tmp_path)  # fmt: skip
        assert r.returncode in (0, 1), r.stderr
        runs.append(json.loads(r.stdout)["jobs"][0]["batch_id"])
    assert len(list(folder.glob("journal-*.sqlite3"))) == 2

    r = _demo(["batches", "--json"], tmp_path)
    assert r.returncode == 0, r.stderr
    listed = [b["batch_id"] for b in json.loads(r.stdout)["batches"]]
    assert listed == runs[::-1]  # both sessions' batches, newest first
    assert len(list(folder.glob("journal-*.sqlite3"))) == 2

    r = _demo(["actions", "--json"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert [a["batch_id"] for a in json.loads(r.stdout)["actions"]][-1] == runs[1]  # every session's, newest last
    assert {a["batch_id"] for a in json.loads(r.stdout)["actions"]} == set(runs)

    r = _demo(["stack", runs[0][:8], "--by", "output"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"Batch {runs[0]}" in r.stdout and "stacking Get-Processes.ps1" in r.stdout
    r = _demo(["table", runs[1][:8], "--csv"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith("machine,")

    r = _demo(["stack", "zzzz"], tmp_path)
    assert r.returncode != 0 and "No batch 'zzzz' in the demo's journals (2 kept under" in r.stderr
    assert "Traceback" not in r.stderr
    r = lrtui(
        ["stack", runs[0][:8]], None, tmp_path, token=None
    )  # without --demo: the demo's batches are not a tenant's
    assert r.returncode != 0 and "--demo" in r.stderr
