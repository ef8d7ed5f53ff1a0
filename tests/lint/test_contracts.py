"""`make lint` catches what it promises to: a copy of the package with deliberate violations fails the import
contracts (each named), and the size rules name a long function and a long module."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# (file to touch, line to add, contract that must break)
VIOLATIONS = [
    ("lrtui/api/errors.py", "import lrtui.engine.jobs", "Layers point one way"),
    ("lrtui/sim/clock.py", "import lrtui.api.client", "The simulator imports, of lrtui, only api.models"),
    ("lrtui/tui/messages.py", "import lrtui.sim", "Only the CLI's composition module"),
    ("lrtui/engine/jobs.py", "import rich.text", "never import Textual or Rich"),
]


def _copy(tmp: Path) -> Path:
    work = tmp / "tree"
    shutil.copytree(ROOT / "lrtui", work / "lrtui", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "lint", work / "lint", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", work / "pyproject.toml")
    return work


def _lint_imports(work: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=work, capture_output=True, text=True, timeout=300
    )  # fmt: skip


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed in this environment")
def test_each_deliberate_violation_breaks_its_contract(tmp_path: Path) -> None:
    work = _copy(tmp_path)
    for rel, line, _ in VIOLATIONS:
        path = work / rel
        path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # deliberate violation\n", encoding="utf-8")
    out = _lint_imports(work)
    report = out.stdout + out.stderr
    assert out.returncode != 0, report[-3000:]
    for rel, line, contract in VIOLATIONS:
        broken = [ln for ln in report.splitlines() if contract in ln and "BROKEN" in ln]
        assert broken, f"{contract!r} not reported broken after adding {line!r} to {rel}:\n{report[-3000:]}"


def test_size_rules_name_a_long_function_and_a_long_module(tmp_path: Path) -> None:
    ok = tmp_path / "ok.py"
    ok.write_text("def f():\n" + "    x = 1\n" * 59, encoding="utf-8")
    long_fn = tmp_path / "long_fn.py"
    long_fn.write_text("def too_long():\n" + "    x = 1\n" * 60, encoding="utf-8")
    long_mod = tmp_path / "long_mod.py"
    long_mod.write_text("x = 1\n" * 401, encoding="utf-8")
    run = [sys.executable, "-m", "lint.sizes"]
    good = subprocess.run([*run, str(ok)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    bad = subprocess.run([*run, str(long_fn), str(long_mod)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert good.returncode == 0, good.stdout + good.stderr
    assert bad.returncode == 1
    assert "too_long() has 61 lines (max 60)" in bad.stdout
    assert "long_mod.py:1: module has 401 lines (max 400)" in bad.stdout
