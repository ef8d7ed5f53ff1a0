"""The sequence ``lrtui run`` sends, built from its ordered command options and ``--comment``."""

from __future__ import annotations

from lrtui.api.sequence import ALLOWED_ORDER_TEXT, Sequence, SequenceError, make_command, sequence_from_commands
from lrtui.cli.parser import OrderedCommand


def build_sequence(commands: list[OrderedCommand] | None, comment: str | None, prefix: str) -> Sequence:
    """The sequence from the ordered options; an order the service refuses raises before any call.

    ``prefix`` is the profile's comment prefix; it is added unless the comment already starts with it."""
    if not commands:
        raise SequenceError("No commands: give --put-file, --run-script and/or --get-file.")
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
