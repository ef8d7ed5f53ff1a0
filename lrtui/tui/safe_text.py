"""Untrusted text (machine names, tags, script output, error strings) as Rich/Textual objects.

The sanitiser itself is ``lrtui.api.text.clean`` (terminal controls, escapes and bidi overrides removed).
``plain(s)`` returns a ``rich.text.Text`` that is never parsed as markup, and ``content(s)`` the Textual
``Content`` equivalent. Use them instead of f-strings into markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lrtui.api.text import clean

if TYPE_CHECKING:
    from rich.text import Text
    from textual.content import Content


def plain(s: object, style: str = "", *, multiline: bool = True) -> Text:
    """A ``rich.text.Text`` of the cleaned text. Brackets stay brackets: nothing is parsed as markup."""
    from rich.text import Text

    return Text(clean(s, multiline=multiline), style=style)


def content(s: object, *, multiline: bool = True) -> Content:
    """A Textual ``Content`` of the cleaned text (``Content`` never parses markup)."""
    from textual.content import Content

    return Content(clean(s, multiline=multiline))
