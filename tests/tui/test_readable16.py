"""The 16-colour pairing: the background as rich downgrades it, the text the nearest standard colour that keeps
4.5:1 on it (VGA palette), grey text staying grey; pairs already readable are rich's own."""

from __future__ import annotations

from rich.color import Color, ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual.color import Color as TextualColor

from lrtui.tui.readable16 import _RGB, MINIMUM, Readable16, ratio, readable_pair, readable_style


def test_the_default_themes_footer_keys_become_readable():
    # amber keys on the dark panel: rich alone gives bright red (9) on dark grey (8), 2.4:1
    fg, bg = Color.parse("#e0a030"), Color.parse("#222a35")
    assert (fg.downgrade(ColorSystem.STANDARD).number, bg.downgrade(ColorSystem.STANDARD).number) == (9, 8)
    text, back = readable_pair(fg, bg)
    assert back == 8 and ratio(_RGB[text], _RGB[back]) >= MINIMUM
    assert text == 11  # yellow: the nearest readable colour to amber


def test_white_on_a_mid_blue_stays_grey_not_blue():
    text, back = readable_pair(Color.parse("#ffffff"), Color.parse("#2a67a3"))
    assert back == 6 and text == 0  # cyan background: black text


def test_a_readable_pair_is_rich_own_and_default_colours_stay_default():
    style = Style(color=Color.parse("#ffffff"), bgcolor=Color.parse("#000000"))
    out = readable_style(style)
    assert (out.color.number, out.bgcolor.number) == (15, 0)
    plain = Style(bold=True)
    assert readable_style(plain) is plain


def test_ansi_red_on_black_becomes_bright_and_reverse_is_read_the_right_way_round():
    text, _ = readable_pair(Color.parse("red"), Color.parse("black"))
    assert ratio(_RGB[text], _RGB[0]) >= MINIMUM
    rev = readable_style(Style(color=Color.parse("black"), bgcolor=Color.parse("red"), reverse=True))
    # shown: red text on black
    assert ratio(_RGB[rev.bgcolor.number], _RGB[rev.color.number]) >= MINIMUM and rev.color.number == 0


def test_the_filter_keeps_text_and_controls():
    seg = Segment("keys", Style(color=Color.parse("#e0a030"), bgcolor=Color.parse("#222a35")))
    [out] = Readable16().apply([seg], TextualColor(0, 0, 0))
    assert out.text == "keys" and out.style.color.number == 11


def test_the_palette_is_the_one_rich_matches_against():
    from rich._palettes import STANDARD_PALETTE

    from lrtui.tui.readable16 import VGA

    assert [tuple(STANDARD_PALETTE[i]) for i in range(16)] == list(VGA)
