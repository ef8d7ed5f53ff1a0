"""Issue 9: the package index page has no broken relative links. ``[project] readme`` is docs/pypi.md (the
README without its screenshots); the wheel smoke test checks the built METADATA the same way."""

from __future__ import annotations

import re
import tomllib
import zipfile
from pathlib import Path

import pytest

from .wheel_smoke import check_description, relative_links

ROOT = Path(__file__).resolve().parents[2]


def _pypi_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("pypi_readme", ROOT / "scripts" / "pypi_readme.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_package_page_is_the_readme_made_by_the_script():
    """docs/pypi.md is generated, never edited by hand: a README change without `make readme` fails here."""
    script = _pypi_script()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert (ROOT / "docs" / "pypi.md").read_text(encoding="utf-8") == script.pypi_text(readme)
    changed = readme.replace("## Quick start", "## Quick start\n\nA new line.", 1)
    assert "A new line." in script.pypi_text(changed)  # the check would see a README change
    with pytest.raises(ValueError, match="screenshots"):
        script.pypi_text(readme.replace("<!-- /screenshots -->", ""))


def test_the_package_description_has_no_relative_links():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["readme"] == "docs/pypi.md"
    assert "urls" not in project  # no public URL exists; none is invented
    text = (ROOT / project["readme"]).read_text(encoding="utf-8")
    assert text.startswith("# lrtui") and "## Headless" in text and "screenshots/` folder" in text
    assert relative_links(text) == []
    assert relative_links((ROOT / "README.md").read_text(encoding="utf-8"))  # the README has them: the rule sees them


def _wheel(tmp_path: Path, description: str) -> Path:
    head = "Metadata-Version: 2.4\nName: lrtui\nVersion: 0.1.0\nDescription-Content-Type: text/markdown\n\n"
    path = tmp_path / "lrtui-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("lrtui-0.1.0.dist-info/METADATA", head + description)
    return path


def test_the_wheel_check_refuses_a_description_with_screenshots(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    with pytest.raises(AssertionError, match=re.escape("screenshots/sequence-120x40.svg")):
        check_description(_wheel(tmp_path, readme))
    check_description(_wheel(tmp_path, (ROOT / "docs" / "pypi.md").read_text(encoding="utf-8")))
