"""``python -m lrtui.sim``: ready line, serving, Ctrl+C exits 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from lrtui.sim.cli import sim_main

ROOT = Path(__file__).resolve().parents[2]


def test_cli_serves_and_stops_on_ctrl_c(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    p = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lrtui.sim",
            "--port",
            "0",
            "--machines",
            "30",
            "--time-scale",
            "0.001",
            "--seed",
            "5",
            "--quirk-portal-session",
            "fin-ws-0001.corp.contoso.example",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        lines = []
        deadline = time.time() + 20
        while time.time() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
            if line.strip() == "ready":
                break
        assert lines and lines[-1] == "ready", (lines, p.stderr.read() if p.poll() is not None else "")
        assert any(x.startswith("workshop machine: ") and "comes online 3 s after start" in x for x in lines), lines
        api = next(x.split(" ", 1)[1] for x in lines if x.startswith("api "))
        blob = next(x.split(" ", 1)[1] for x in lines if x.startswith("blob "))
        assert api.startswith("http://127.0.0.1:") and blob.startswith("http://127.0.0.1:") and api != blob
        h = {"Authorization": "Bearer demo-token"}
        r = httpx.get(f"{api}/api/machines", headers=h)
        assert r.status_code == 200 and len(r.json()["value"]) == 30
        mid = r.json()["value"][0]["id"]
        r = httpx.post(
            f"{api}/api/machines/{mid}/runliveresponse",
            headers=h,
            json={
                "Comment": "x",
                "Commands": [{"type": "RunScript", "params": [{"key": "ScriptName", "value": "Get-Processes.ps1"}]}],
            },
        )
        assert r.status_code == 400 and r.json()["error"]["code"] == "ActiveRequestAlreadyExists"
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=10) == 0
        assert "stopped" in p.stdout.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_cli_switches_reach_the_config():
    from lrtui.sim.cli import build_parser, config_from_args

    cfg = config_from_args(build_parser().parse_args([]))
    assert cfg.general_per_endpoint and not cfg.quirk_captured_post_reply and not cfg.seeded_action_ids
    assert cfg.workshop_online_after_s == 3000.0
    argv = [
        "--general-budget",
        "shared",
        "--quirk-captured-post",
        "--seeded-action-ids",
        "--workshop-online-after",
        "-1",
    ]
    cfg = config_from_args(build_parser().parse_args(argv))
    assert not cfg.general_per_endpoint and cfg.quirk_captured_post_reply and cfg.seeded_action_ids
    assert cfg.workshop_online_after_s is None


def test_cli_bad_faults_exit_2(capsys):
    assert sim_main(["--faults", "nonsense=1"]) == 2
    assert "unknown key" in capsys.readouterr().err


def test_cli_help_lists_options(capsys):
    import pytest

    with pytest.raises(SystemExit):
        sim_main(["--help"])
    out = capsys.readouterr().out
    for opt in [
        "--host",
        "--port",
        "--blob-port",
        "--seed",
        "--time-scale",
        "--machines",
        "--rate-calls",
        "--rate-window",
        "--scale-rate-window",
        "--max-sessions",
        "--faults",
        "--require-token",
        "--token-ttl",
        "--quirk-empty-commands",
        "--quirk-fresh-404",
        "--quirk-portal-session",
        "--quirk-captured-post",
        "--general-budget",
        "--workshop-online-after",
        "--seeded-action-ids",
    ]:
        assert opt in out
