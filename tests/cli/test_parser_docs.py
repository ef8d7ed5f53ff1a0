"""The parser documents itself: help text on every option, exit codes and examples in --help, and the
completion scripts and man page generated from it."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from lrtui.cli import build_parser
from lrtui.cli.completion import bash
from lrtui.cli.exits import EXIT_CODES
from lrtui.cli.grammar import commands, walk


def test_every_option_and_subcommand_has_help():
    missing = []
    for path, cmd in commands(walk(build_parser(), "lrtui")):
        where = " ".join(("lrtui", *path))
        if path and not cmd.help:
            missing.append(f"{where} (the command)")
        for o in cmd.options + cmd.positionals:
            if not o.help:
                missing.append(f"{where} {'/'.join(o.flags) or o.dest}")
    assert missing == []


def test_help_lists_every_exit_code_and_examples(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    text = capsys.readouterr().out
    assert "examples:" in text and "lrtui run" in text
    for code, meaning in EXIT_CODES:
        assert f"{code:<3} {meaning}" in text
    with pytest.raises(SystemExit):
        build_parser().parse_args(["results", "--help"])
    assert "exit codes:" in capsys.readouterr().out


def _complete(script: str, line: str) -> list[str]:
    words = line.split(" ")
    program = (
        script
        + f"\nCOMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
        + '_lrtui; printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    out = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True).stdout
    return out.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_completes_commands_options_and_nested_commands():
    script = bash(build_parser())
    assert "run" in _complete(script, "lrtui r") and "resume" in _complete(script, "lrtui r")
    assert _complete(script, "lrtui run --dead") == ["--deadline"]
    assert _complete(script, "lrtui --profile x ru") == ["run"]  # a value of an option is not a command
    assert set(_complete(script, "lrtui library ")) >= {"list", "upload", "rm", "get"}
    assert "--has-parameters" in _complete(script, "lrtui library upload --h")
    assert _complete(script, "lrtui completion z") == ["zsh"]
    assert _complete(script, "lrtui results 0a1b --j") == ["--json"]
