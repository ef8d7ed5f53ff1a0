"""Untrusted text (machine names, tags, library fields, paths, script output, error strings) on the screen.

The one rendering helper for every string that comes from the service or a device. The sanitiser itself is
``lrtui.api.text.clean_report`` (terminal controls, escapes and bidi overrides removed, and counted); here the
result becomes Rich/Textual objects that are never parsed as markup, and where something was removed, the
reader is told so next to the field ("⚠ 2 control sequences removed"): a bidi override in a file name is
itself an indicator.

- ``plain(s, style)``: a ``rich.text.Text`` of the cleaned text plus the removal note.
- ``append_clean(t, s, style)``: append the cleaned text (and the note) to ``t``; returns how many were removed.
- ``safe_line(s)`` / ``safe_block(s)``: the cleaned ``str`` plus the note, for plain-string APIs (palette
  entries, toasts with ``markup=False``, ``Option`` prompts).
- ``content(s)``: the Textual ``Content`` equivalent of ``plain``.

Service and device strings go through here: that is what makes a removal visible. The exceptions call
``clean_line`` directly and say where the note is instead: the machine list's cells (a hot path; the list
flags the name and the details under it carry the note) and the Activity table's machine column (flagged; the
detail line carries the note).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lrtui.api.text import clean_report, removal_note
from lrtui.tui.glyphs import current

if TYPE_CHECKING:
    from rich.text import Text
    from textual.content import Content

NOTE_STYLE = "bold yellow"


def note(n: int) -> str:
    """The removal note ("" when nothing was removed)."""
    return removal_note(n, ascii_only=current().ascii_only)


def append_clean(t: Text, s: object, style: str = "", *, multiline: bool = False) -> int:
    """Append ``s`` cleaned (never parsed as markup) to ``t``, then the removal note if anything was removed."""
    text, n = clean_report("" if s is None else s, multiline=multiline)
    t.append(text, style=style)
    if n:
        t.append(f" {note(n)}", style=NOTE_STYLE)
    return n


def plain(s: object, style: str = "", *, multiline: bool = True) -> Text:
    """A ``rich.text.Text`` of the cleaned text and its removal note. Brackets stay brackets."""
    from rich.text import Text

    t = Text()
    append_clean(t, s, style, multiline=multiline)
    return t


def safe_line(s: object) -> str:
    """One line: cleaned, newlines folded, the removal note appended when something was removed."""
    text, n = clean_report("" if s is None else s, multiline=False)
    return f"{text} {note(n)}" if n else text


def safe_block(s: object) -> str:
    """Multi-line text: cleaned, the removal note on a line of its own when something was removed."""
    text, n = clean_report("" if s is None else s, multiline=True)
    return f"{text}\n{note(n)}" if n else text


def content(s: object, *, multiline: bool = True) -> Content:
    """A Textual ``Content`` of the cleaned text and its removal note (``Content`` never parses markup)."""
    from textual.content import Content

    return Content(safe_block(s) if multiline else safe_line(s))
