"""``styled(text, style)``: a one-style ``rich.text.Text`` whose colour names are rich's.

Textual reads the base style *string* of a ``Text`` given to ``Static.update`` as its own CSS, where "green" is
#008000 and "yellow" #ffff00 (1.1:1 on the light theme's surface, 3.5:1 for green on the dark one). A parsed
rich ``Style`` is converted like every span instead: its ANSI colours go through the app's readable palette
(``lrtui.tui.ansi_palette``).
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text


def styled(text: str, style: str) -> Text:
    return Text(text, style=Style.parse(style))
