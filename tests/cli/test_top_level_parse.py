"""``lrtui`` with top-level options only is read without building every subcommand's parser, and reads the
same as the full parser; every other command line still goes through the full parser (help, errors)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lrtui.cli import build_parser
from lrtui.cli.parser import parse_command_line, top_level_only

FAST = [
    [],
    ["--demo"],
    ["--demo", "--demo"],
    ["--profile", "lab"],
    ["--profile=lab", "--demo"],
    ["--profile", "run"],  # a value, not the subcommand
    ["--profile="],
    ["--api-url", "http://127.0.0.1:9/", "--auth", "token", "--profile", "a", "--profile", "b"],
    ["--auth=device_code", "--api-url=https://api.security.microsoft.com"],
]

FULL = [
    ["run", "--demo"],
    ["tui"],
    ["--demo", "batches", "--json"],
    ["--dem"],  # an abbreviation argparse accepts
    ["--prof", "x"],
    ["--profile", "-x"],
    ["--profile", "--demo"],
    ["--profile"],
    ["--demo=1"],
    ["--", "--demo"],
    ["--help"],
    ["-h"],
    ["--version"],
    ["--bogus"],
    ["nosuchcommand"],
    [""],
]


@pytest.mark.parametrize("argv", FAST)
def test_top_level_options_read_as_the_full_parser_reads_them(argv):
    ns = top_level_only(argv)
    assert ns is not None
    assert ns == build_parser().parse_args(argv)
    assert parse_command_line(argv) == ns


@pytest.mark.parametrize("argv", FULL)
def test_everything_else_goes_to_the_full_parser(argv):
    assert top_level_only(argv) is None


def test_the_fast_path_knows_every_top_level_option():
    """A new top-level option must be taught to ``top_level_only`` (or it silently falls back)."""
    parser = build_parser()
    spelled = {s for a in parser._actions for s in a.option_strings if s.startswith("--")}
    assert spelled - {"--help", "--version"} == {"--profile", "--api-url", "--auth", "--demo"}
    for option in ("--profile", "--api-url", "--auth"):
        argv = [option, "v"]
        assert top_level_only(argv) == parser.parse_args(argv)


def test_lrtui_start_builds_no_subcommand_parser():
    code = (
        "import sys; from lrtui.cli.parser import parse_command_line; "
        "ns = parse_command_line(['--demo']); assert ns.demo and ns.cmd is None; "
        "print(sorted(m for m in sys.modules if m in ('lrtui.cli.parser_commands', "
        "'lrtui.cli.commands.serve_options')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_errors_and_help_still_come_from_the_full_parser(capsys):
    with pytest.raises(SystemExit) as e:
        parse_command_line(["--bogus"])
    assert e.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_command_line(["--help"])
    assert "batches" in capsys.readouterr().out
