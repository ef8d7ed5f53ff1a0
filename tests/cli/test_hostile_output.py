"""Hostile strings from the service never reach the terminal raw: text output is sanitised, JSON escapes them,
CSV neutralises formulas. The service's error code, ``poll failed`` lines and ids come from hostile servers."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from lrtui.sim import SimConfig
from lrtui.sim.testing import AUTH, running_simulator
from tests.cli.conftest import lrtui

OSC52 = "\x1b]52;c;cm0gLXJmIH4=\x07"
OSC0 = "\x1b]0;pwned\x07"
CSI = "\x1b[2J"
C1 = "\x9b31m\x9d0;t\x9c"
BIDI = "\u202egpj.exe"
HOSTILE = f"{OSC52}{OSC0}{CSI}{C1}{BIDI}[bold red]x[/]"
RAW = ("\x1b", "\x9b", "\x9d", "\x9c", "\u202e", "\x07")


def assert_clean(text: str) -> None:
    for ch in RAW:
        assert ch not in text, (repr(ch), text[:400])


class _Hostile(BaseHTTPRequestHandler):
    """Every request answers 400 with a hostile error code and message."""

    def _answer(self) -> None:
        body = json.dumps({"error": {"code": f"Bad{OSC52}Code{OSC0}", "message": f"no {HOSTILE}"}}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def hostile_server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


@pytest.fixture(scope="module")
def hostile_sim():
    with running_simulator(SimConfig(seed=3, machines=12, time_scale=0.002)) as (api_url, _blob, simulator):
        m = simulator.state.machines[0]
        m.wire["computerDnsName"] = f"ws{HOSTILE}.corp"
        m.wire["machineTags"] = [HOSTILE]
        r = httpx.post(
            f"{api_url}/api/libraryfiles",
            headers=AUTH,
            files={"file": ("evil.ps1", b"Write-Output hi", "application/octet-stream")},
            data={"Description": f"=HYPERLINK(1){HOSTILE}", "ParametersDescription": HOSTILE, "HasParameters": "false"},
        )
        assert r.status_code < 300, r.text
        yield api_url, m


def test_service_error_codes_are_sanitised(hostile_server, tmp_path):
    for args in (
        ["machines"],
        ["library", "list"],
        ["results", "0a1b2c3d-0000-4000-8000-000000000000"],
        ["run", "-m", "ws1", "--run-script", "a.ps1", "-c", "x"],
    ):
        r = lrtui(args, hostile_server, tmp_path)
        assert r.returncode != 0
        assert "Bad" in r.stderr and "Code" in r.stderr, r.stderr
        assert_clean(r.stderr + r.stdout)


def test_text_json_and_csv_of_hostile_machines_and_library(hostile_sim, tmp_path):
    api_url, m = hostile_sim
    for args in (["machines"], ["library", "list"], ["library", "get", "evil.ps1"]):
        r = lrtui(args, api_url, tmp_path)
        assert r.returncode == 0, r.stderr
        assert_clean(r.stdout + r.stderr)
        assert "pwned" not in r.stdout  # the OSC payload went with its escape
    for args in (["machines", "--json"], ["library", "list", "--json"]):
        r = lrtui(args, api_url, tmp_path)
        assert r.returncode == 0, r.stderr
        assert_clean(r.stdout)
        assert r.stdout.isascii()
        assert "\\u001b]52" in r.stdout and "\\u202e" in r.stdout  # escaped, still visible to a reader
        json.loads(r.stdout)  # the escaped text round-trips
    r = lrtui(["library", "list", "--csv"], api_url, tmp_path)
    assert "\n=HYPERLINK" not in r.stdout and ",=HYPERLINK" not in r.stdout


def test_run_report_of_a_hostile_machine_is_sanitised(hostile_sim, tmp_path):
    api_url, m = hostile_sim
    r = lrtui(["run", "-m", m.id, "--run-script", "Get-Processes.ps1", "-c", "IR-x"], api_url, tmp_path)
    assert_clean(r.stdout + r.stderr)
    assert ".corp" in r.stdout
    r = lrtui(["actions"], api_url, tmp_path)
    assert_clean(r.stdout + r.stderr)
    r = lrtui(["actions", "--json"], api_url, tmp_path)
    assert r.stdout.isascii() and "\\u202e" in r.stdout


def test_log_lines_are_sanitised():
    """``poll failed: ...`` and every other engine warning go through the CLI's cleaning handler."""
    import io
    import logging

    from lrtui.cli.entry import _CleanFormatter

    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(_CleanFormatter("lrtui: %(message)s"))
    log = logging.getLogger("lrtui.engine.poller.test")
    log.addHandler(handler)
    log.propagate = False
    log.warning("poll failed: %s", f"Bad{OSC52}Code {HOSTILE}")
    assert "poll failed: BadCode" in buf.getvalue()
    assert_clean(buf.getvalue())
