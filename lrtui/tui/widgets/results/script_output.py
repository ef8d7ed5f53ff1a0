"""A RunScript's whole stdout and stderr for the Results pane, read from the evidence files (off the event loop).

``CommandResult.script`` keeps only a preview (``PREVIEW_CHARS`` of each text); the whole texts are the files
``stdout_path``/``stderr_path``. The files are read up to ``READ_CAP`` bytes (a note says where the rest is);
without a file (an older job, a file moved away) the preview is shown, with a note when it is cut.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lrtui.engine.jobs import PREVIEW_CHARS
from lrtui.tui.widgets.results.output_view import Section

if TYPE_CHECKING:
    from lrtui.engine.jobs import CommandResult

READ_CAP = 64 * 1024 * 1024


def whole_text(path: str | None, preview: str, truncated: bool) -> str:
    """The file's text (UTF-8, undecodable bytes replaced), else ``preview`` (noted when it is cut)."""
    if path:
        try:
            with open(path, "rb") as f:
                data = f.read(READ_CAP + 1)
        except OSError as e:
            note = f"\n(the saved output {path} cannot be read: {e.strerror or e}; showing the preview)"
            return preview + note
        text = data[:READ_CAP].decode("utf-8", errors="replace")
        if len(data) > READ_CAP:
            text += f"\n(shown up to {READ_CAP // (1024 * 1024)} MiB: the whole output is {path})"
        return text
    if truncated:
        return preview + "\n(the preview is cut here; this job kept no file with the whole output)"
    return preview


def script_sections(r: CommandResult) -> list[Section]:
    """stdout, then stderr (red) when there is any. Runs in a worker thread: it reads files."""
    assert r.script is not None
    out, err = r.script.script_output, r.script.script_errors
    # output_truncated is for the pair: a preview is cut when it is as long as a preview can be
    out = whole_text(r.stdout_path, out, r.output_truncated and len(out) >= PREVIEW_CHARS)
    err = whole_text(r.stderr_path, err, r.output_truncated and len(err) >= PREVIEW_CHARS)
    sections = [Section("stdout", out)]
    if err.strip("\x00"):
        sections.append(Section("stderr", err, "red"))
    return sections
