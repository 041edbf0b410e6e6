"""Cutting long replies: pieces within the limit, cut at paragraph, line or word boundaries."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from adapters.text import cut, measure, split_text, utf16_units


def test_a_short_text_is_one_piece() -> None:
    assert split_text("hello", 10) == ["hello"]


def test_an_empty_text_is_one_empty_piece() -> None:
    assert split_text("", 10) == [""]


def test_pieces_break_at_a_paragraph_before_a_line_or_a_space() -> None:
    text = "first para\n\nsecond line\nthird words here"
    assert split_text(text, 24) == ["first para", "second line", "third words here"]


def test_a_word_longer_than_the_limit_is_cut() -> None:
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_emoji_count_twice_in_utf16_units() -> None:
    assert measure("a😀", utf16_units) == 3
    assert cut("😀😀😀", 5, utf16_units) == "😀😀"


@given(st.text(max_size=400), st.integers(min_value=2, max_value=60))
def test_every_piece_fits_and_no_word_is_lost(text: str, limit: int) -> None:
    pieces = split_text(text, limit, utf16_units)
    assert all(measure(piece, utf16_units) <= limit for piece in pieces)
    assert "".join(text.split()) == "".join("".join(pieces).split())
