"""The sequence ``lrtui run`` sends, built from its ordered command options and ``--comment``."""

from __future__ import annotations

from lrtui.api.sequence import (
    ALLOWED_ORDER_TEXT,
    MAX_ARGS,
    MAX_NAME,
    Sequence,
    SequenceError,
    make_command,
    sequence_from_commands,
)
from lrtui.cli.parser import OrderedCommand
from lrtui.engine.preflight import COMMENT_ROOM

#: longer than any path the service takes (Windows long paths are at most 32,767 characters)
MAX_PATH_ARG = 32767


def check_lengths(commands: list[OrderedCommand], comment: str | None) -> None:
    """Over-long arguments are refused with the limit and what to do, before anything else is looked at."""
    for kind, value, args in commands:
        limit = MAX_PATH_ARG if kind == "GetFile" else MAX_NAME
        if len(value) > limit:
            what = "path" if kind == "GetFile" else "library file name"
            raise SequenceError(
                f"The {kind} {what} is {len(value):,} characters long; the limit is {limit:,}.",
                hint="Check the value (a pasted file instead of a name?) and give it again.",
            )
        if args is not None and len(args) > MAX_ARGS:
            raise SequenceError(
                f"--args is {len(args):,} characters long; the limit is {MAX_ARGS:,}.",
                hint="Put the values in a file sent with --put-file, or inside the script, and pass its name.",
            )
    if comment is not None and len(comment.strip()) > COMMENT_ROOM:
        raise SequenceError(
            f"--comment is {len(comment.strip()):,} characters long; the limit is {COMMENT_ROOM:,} (the service "
            "takes 1,000 and lrtui adds its job marker).",
            hint="Give a short comment (the case id and who runs it); keep the details in the case notes.",
        )


def build_sequence(commands: list[OrderedCommand] | None, comment: str | None, prefix: str) -> Sequence:
    """The sequence from the ordered options; an order the service refuses raises before any call.

    ``prefix`` is the profile's comment prefix; it is added unless the comment already starts with it."""
    if not commands:
        raise SequenceError("No commands: give --put-file, --run-script and/or --get-file.")
    check_lengths(commands, comment)
    # GetFile paths are checked per machine OS in pre-flight; here only the shape that fits some OS.
    cmds = [
        make_command(kind, value, args, os_family="linux" if value.startswith("/") else "windows")
        for kind, value, args in commands
    ]
    try:
        seq = sequence_from_commands(cmds, "")
    except SequenceError as e:
        raise SequenceError(e.message, hint=f"Allowed order: {ALLOWED_ORDER_TEXT}.") from None
    text = (comment or "").strip()
    if not text:
        raise SequenceError("--comment is required: say who runs this and why (for example the case id).")
    full = text if (not prefix or text.startswith(prefix.strip())) else f"{prefix}{text}"
    return seq.with_comment(full)
