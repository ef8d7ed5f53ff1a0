"""Wheel smoke test (``make test`` runs it): build the wheel, install it into a new virtualenv, and from a
folder outside the checkout run ``lrtui --version``, ``lrtui machines`` and ``lrtui run --json`` against
``lrtui sim`` on loopback, all from the installed wheel.

    python -m tests.cli.wheel_smoke [SOURCE_DIR]     # SOURCE_DIR: the checkout (default: the current folder)

Prints each step's time; exits non-zero (naming the step) when anything fails.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from email.parser import HeaderParser
from pathlib import Path

#: a Markdown image or link, or an HTML src/href, whose target is not an absolute http(s) URL: a package index
#: shows the description without the repository's files, so such a link is broken there
RELATIVE_LINK = re.compile(r"\]\((?!https?://)[^)]*\)|(?:src|href)=[\"'](?!https?://)[^\"']*[\"']", re.IGNORECASE)


def relative_links(text: str) -> list[str]:
    return RELATIVE_LINK.findall(text)


def check_description(wheel: Path) -> None:
    """The wheel's METADATA: the long description is Markdown with no relative image or link."""
    with zipfile.ZipFile(wheel) as z:
        (name,) = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")]
        meta = HeaderParser().parsestr(z.read(name).decode("utf-8"))
    body = meta.get_payload()
    assert isinstance(body, str) and body.startswith("# lrtui"), "the wheel has no long description"
    assert meta["Description-Content-Type"] == "text/markdown", meta["Description-Content-Type"]
    bad = relative_links(body)
    assert not bad, f"the package description links to files a package index does not have: {bad}"


def _step(name: str, argv: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    t0 = time.monotonic()
    r = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    print(f"wheel smoke: {name}: {time.monotonic() - t0:.1f} s", flush=True)
    if r.returncode != 0:
        raise SystemExit(f"wheel smoke: {name} failed (exit {r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r.stdout


def _start_sim(lrtui: Path, cwd: Path) -> tuple[subprocess.Popen[str], str]:
    sim = subprocess.Popen(
        [str(lrtui), "sim", "--port", "0", "--machines", "30", "--time-scale", "0.002", "--seed", "7"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert sim.stdout is not None
    api = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = sim.stdout.readline()
        if not line:
            break
        if line.startswith("api "):
            api = line.split()[1]
        if line.strip() == "ready":
            return sim, api
    sim.kill()
    raise SystemExit("wheel smoke: `lrtui sim` from the wheel did not start")


def smoke(source: Path) -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lrtui-wheel-") as tmp:
        work = Path(tmp)
        _step(
            "build the wheel",
            [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"), str(source)],
            cwd=work,
        )
        (wheel,) = (work / "dist").glob("lrtui-*.whl")
        check_description(wheel)
        _step("create a virtualenv", [sys.executable, "-m", "venv", str(work / "venv")], cwd=work)
        bin_dir = work / "venv" / "bin"
        _step("install the wheel", [str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], cwd=work)
        lrtui = bin_dir / "lrtui"
        version = _step("lrtui --version", [str(lrtui), "--version"], cwd=work).strip()
        assert version.startswith("lrtui "), version
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LRTUI_", "PYTHON"))}
        env.update(LRTUI_HOME=str(work / "home"), LRTUI_ACCESS_TOKEN="demo-token")
        sim, api = _start_sim(lrtui, work)
        try:
            found = _step(
                "lrtui machines",
                [
                    str(lrtui),
                    "machines",
                    "--search",
                    "health:online os:windows1 group:finance",
                    "--json",
                    "--api-url",
                    api,
                ],
                cwd=work,
                env=env,
            )
            machine = json.loads(found)["machines"][0]["id"]
            out = _step(
                "lrtui run --json",
                [
                    str(lrtui),
                    "run",
                    "-m",
                    machine,
                    "--run-script",
                    "Get-Processes.ps1",
                    "-c",
                    "wheel smoke",
                    "--json",
                    "--out",
                    str(work / "evidence"),
                    "--api-url",
                    api,
                ],
                cwd=work,
                env=env,
                timeout=120,
            )
        finally:
            sim.terminate()
            sim.wait(10)
        doc = json.loads(out)
        assert doc["schema"] == "lrtui/1" and doc["all_succeeded"] is True, doc
        assert doc["tenant"]["demo"] is False and doc["tenant"]["api_url"] == api, doc["tenant"]
        imported = _step(
            "where lrtui is imported from",
            [str(bin_dir / "python"), "-c", "import lrtui; print(lrtui.__file__)"],
            cwd=work,
            env=env,
        )
        assert Path(imported.strip()).is_relative_to(work / "venv"), imported
    print(f"wheel smoke: passed ({version}) in {time.monotonic() - started:.1f} s", flush=True)


if __name__ == "__main__":
    smoke(Path(sys.argv[1] if len(sys.argv) > 1 else os.getcwd()).resolve())
