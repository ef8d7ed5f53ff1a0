"""Every subcommand analysts expect, run as a subprocess against the simulator on loopback: machines, library
list/upload/get/rm, cancel, logout, config show, completion and man."""

from __future__ import annotations

import csv
import io
import json

from tests.cli.conftest import lrtui, online_windows


def test_machines_search_and_filter(sim, tmp_path):
    api_url, simulator = sim
    r = lrtui(["machines", "--search", "health:online os:windows1", "--json"], api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["count"] > 0 and doc["tenant"]["demo"] is False
    assert all(m["healthStatus"] == "Active" and m["osPlatform"].startswith("Windows1") for m in doc["machines"])
    r = lrtui(["machines", "--filter", "healthStatus eq 'Active'", "--csv"], api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows and all(row["healthStatus"] == "Active" for row in rows)
    r = lrtui(["machines"], api_url, tmp_path)
    assert r.returncode == 0 and "80 machines" in r.stdout
    r = lrtui(["machines", "--search", "x", "--filter", "y"], api_url, tmp_path)
    assert r.returncode == 2 and "not allowed with" in r.stderr


def test_library_upload_get_list_rm(sim, tmp_path):
    api_url, _ = sim
    script = tmp_path / "triage-cli.ps1"
    script.write_text("Write-Output 'hello'\n")
    r = lrtui(["library", "upload", str(script), "--description", "=cmd|' /C calc'!A0", "--json"], api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["file"]["fileName"] == "triage-cli.ps1"
    r = lrtui(["library", "get", "triage-cli.ps1", "--json"], api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["file"]["description"] == "=cmd|' /C calc'!A0"
    r = lrtui(["library", "list", "--csv"], api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    row = next(x for x in csv.DictReader(io.StringIO(r.stdout)) if x["fileName"] == "triage-cli.ps1")
    assert row["description"] == "'=cmd|' /C calc'!A0"  # a spreadsheet does not run it
    r = lrtui(["library", "rm", "triage-cli.ps1"], api_url, tmp_path)
    assert r.returncode == 0 and "Removed" in r.stdout
    r = lrtui(["library", "get", "triage-cli.ps1"], api_url, tmp_path)
    assert r.returncode == 1 and "no file named" in r.stderr
    r = lrtui(["library", "upload", str(tmp_path / "missing.ps1")], api_url, tmp_path)
    assert r.returncode == 2 and "is not a file" in r.stderr


def test_cancel_by_id_and_all_active(sim, tmp_path):
    api_url, simulator = sim
    ms = online_windows(simulator, 2)
    args = ["run", "-m", ms[0]["id"], "-m", ms[1]["id"], "--run-script", "Get-Processes.ps1", "-c", "IR-11"]
    r = lrtui([*args, "--no-wait", "--json"], api_url, tmp_path)
    assert r.returncode == 0, r.stderr
    ids = [j["action_id"] for j in json.loads(r.stdout)["jobs"]]
    r = lrtui(["cancel", ids[0], "-c", "wrong host", "--json"], api_url, tmp_path)
    assert r.returncode in (0, 1), r.stderr  # 1 when the action finished before the cancel arrived
    (one,) = json.loads(r.stdout)["cancelled"]
    assert one["action_id"] == ids[0]
    r = lrtui(["cancel", "--all-active", "-c", "stop all"], api_url, tmp_path)
    assert r.returncode in (0, 1), r.stderr
    r = lrtui(["cancel", "-c", "x"], api_url, tmp_path)
    assert r.returncode == 2 and "--all-active" in r.stderr
    r = lrtui(["cancel", "not-an-action-id", "-c", "x"], api_url, tmp_path)
    assert r.returncode == 1 and "not-an-action-id" in r.stdout


def test_config_show_and_logout_forget_the_token_cache(tmp_path):
    from lrtui.settings import Folders

    folders = Folders(home=tmp_path / "home")
    cfg = folders.config_file()
    cfg.parent.mkdir(parents=True)
    cfg.write_text('[profiles.contoso]\ntenant_id = "t"\nclient_id = "c"\nauth = "device_code"\n')
    cfg.chmod(0o600)
    r = lrtui(["config", "show"], None, tmp_path, token=None)
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert shown["profile"]["name"] == "contoso" and shown["demo"] is False and shown["schema"] == "lrtui/1"
    r = lrtui(["logout"], None, tmp_path, token=None)
    assert r.returncode == 0 and "had no cached tokens" in r.stdout, r.stderr
    cache = folders.cache_dir() / "tokens-contoso.bin"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("{}")
    r = lrtui(["logout"], None, tmp_path, token=None)
    assert r.returncode == 0 and "Forgot the cached tokens" in r.stdout, r.stderr
    assert not cache.exists()


def test_completion_scripts_and_man_page(tmp_path):
    for shell, marker in (
        ("bash", "complete -o default -F _lrtui lrtui"),
        ("zsh", "#compdef lrtui"),
        ("fish", "complete -c lrtui"),
    ):
        r = lrtui(["completion", shell], None, tmp_path, token=None)
        assert r.returncode == 0 and marker in r.stdout, r.stderr
        assert ("-l deadline" if shell == "fish" else "--deadline") in r.stdout and "library" in r.stdout
    out = tmp_path / "man" / "lrtui.1"
    r = lrtui(["man", "--out", str(out)], None, tmp_path, token=None)
    assert r.returncode == 0, r.stderr
    page = out.read_text()
    assert page.startswith(".TH LRTUI 1") and "EXIT STATUS" in page and "lrtui library upload" in page
