"""The phrase index finds exactly what one expression of all the safety patterns would find.

The index is only a faster way of asking the same question, so the test asks both: one regular
expression made of every pattern in the content, in order, and the index built from the same
patterns, at every position of every third tuning message in its one spelling. Then the small
reader of expressions on literal cases, including the ones it must give up on.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from dialogs.phrase_index import PhraseIndex, bounded, branches, first_words
from dialogs.safety import canonical
from dialogs.script import Script

TUNING = Path(__file__).parent / "safety_corpus" / "tuning.toml"
STRIDE = 3
"""Every third tuning message: the one expression of every pattern is slow to ask at every
position, and a third of the corpus is still every rule family in many spellings."""


def test_the_index_finds_what_one_expression_of_every_pattern_finds(script: Script) -> None:
    index = script.safety.phrases
    before, after = bounded("X").split("X")
    inner = [e.pattern[len(before) : -len(after)] for e in index.expressions]
    whole = re.compile(bounded("|".join(f"(?P<p{n}>{e})" for n, e in enumerate(inner))))
    corpus = tomllib.loads(TUNING.read_text("utf-8"))
    messages = [m for table in corpus.values() for ms in table.values() for m in ms]
    messages = messages[::STRIDE]
    compared = found = 0
    for message in messages:
        text = canonical(message, script.safety)
        for pos in range(len(text) + 1):
            one = whole.search(text, pos)
            hit = index.search(text, pos)
            expected = (int(str(one.lastgroup)[1:]), one.span()) if one else None
            got = (hit[0], hit[1].span()) if hit else None
            assert got == expected, (text, pos)
            compared += 1
            found += one is not None
    assert compared > 50_000 and found > 10_000  # it compared something that matches


def test_at_one_place_the_first_pattern_in_order_wins() -> None:
    index = PhraseIndex.build(["kill myself", "kill (?:myself|me)", "kill"])
    hit = index.search("i want to kill myself")
    assert hit is not None and hit[0] == 0 and hit[1].group() == "kill myself"
    hit = index.search("you kill me")
    assert hit is not None and hit[0] == 1
    assert index.search("skill") is None  # only where a word begins and ends


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("kill(?:ing)? myself", {("kill", False), ("killing", False)}),
        ("(?:tried|try) to die", {("tried", False), ("try", False)}),
        ("(?<!\\bi )(?:he|she) hits", {("he", False), ("she", False)}),
        ("(?:a |the )?rope", {("a", False), ("the", False), ("rope", False)}),
        ("stockpil\\w*", {("stockpil", True)}),
        ("ex(?=\\s)", {("ex", False)}),
        ("[0-9] pills", {(str(n), False) for n in range(10)}),
        ("x{2,3}y", {("xxy", False), ("xxxy", False)}),
    ],
)
def test_first_words_are_every_word_a_match_can_begin_with(
    expression: str, words: set[tuple[str, bool]]
) -> None:
    assert first_words(expression) == words


@pytest.mark.parametrize(
    "expression",
    ["[a-z]+ myself", "(?i)kill", "(a)\\1", "(?: [a-z]+)? myself", "(?:me)?", "(unclosed"],
)
def test_an_expression_that_could_begin_anywhere_is_tried_everywhere(expression: str) -> None:
    assert first_words(expression) is None


def test_top_level_alternatives_are_split_and_nested_ones_kept() -> None:
    assert branches("a|b(?:c|d)|e") == ["a", "b(?:c|d)", "e"]
    assert branches("(unclosed|x") == ["(unclosed|x"]
