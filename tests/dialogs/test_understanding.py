"""Reading plain answers (:mod:`dialogs.understanding`) on its own: several numbers at once, an
option's words inside a sentence, a sentence where a name was asked, a command word. The
machine tests show these answers taken in a conversation; here each helper's rules are pinned
on literal texts, and hypothesis tries what people type that no one thought of."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs import load_script
from dialogs.script import Option
from dialogs.understanding import (
    NAME_WORDS,
    command_word,
    looks_like_sentence,
    named_options,
    near_command,
    several_numbers,
)

SCRIPT = load_script()
SIGNALS = SCRIPT.node("reflect.signals").options


# --------------------------------------------------------------------------------------------
# several_numbers


@pytest.mark.parametrize(
    ("typed", "numbers"),
    [
        ("1+3", [1, 3]),
        ("1 / 3 / 7", [1, 3, 7]),
        ("3 and 1", [3, 1]),
        ("  2 , 5 !", [2, 5]),
        ("10 11", [10, 11]),
        ("\u0662 \u0665", [2, 5]),  # Arabic-Indic digits are numbers too
    ],
)
def test_several_numbers_in_any_separator_keep_the_order_typed(
    typed: str, numbers: list[int]
) -> None:
    assert several_numbers(typed) == numbers


def test_a_number_typed_twice_is_chosen_once() -> None:
    assert several_numbers("2 5 2") == [2, 5]


@pytest.mark.parametrize("typed", ["2 100", "2 or 5", "2 5 days", "two five", "2-5", "", "2  "])
def test_a_three_digit_number_a_word_between_or_a_range_is_not_several_numbers(typed: str) -> None:
    assert several_numbers(typed) is None


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789 ,&+/and.!x\u0663"), max_size=30))
def test_several_numbers_never_raises_and_gives_distinct_small_numbers(typed: str) -> None:
    numbers = several_numbers(typed)
    if numbers is not None:
        assert numbers
        assert len(set(numbers)) == len(numbers)
        assert all(0 <= n <= 99 for n in numbers)


# --------------------------------------------------------------------------------------------
# named_options

NO_REPLIES = Option(id="none", label="No replies")
REPLIES = Option(id="some", label="Replies", aliases=("answers",))
SINGLE = Option(id="a", label="A")


def test_the_longest_phrase_wins_and_an_overlapping_shorter_one_is_not_counted() -> None:
    """ "no replies" names the option "No replies" only, not also "Replies" inside it."""
    assert named_options("she gives no replies", [REPLIES, NO_REPLIES]) == [NO_REPLIES]


def test_two_separate_phrases_name_both_in_the_options_order_not_the_texts() -> None:
    chosen = named_options("answers come but often no replies", [NO_REPLIES, REPLIES])
    assert chosen == [NO_REPLIES, REPLIES]


def test_an_alias_is_matched_as_whole_words_only() -> None:
    assert named_options("my answerser", [REPLIES]) == []
    assert named_options("my answers", [REPLIES]) == [REPLIES]


def test_a_one_letter_label_is_never_found_inside_a_sentence() -> None:
    """ "a" is in nearly every sentence: an option labelled "A" must be typed alone to count."""
    assert named_options("a pattern, a feeling, a lot", [SINGLE]) == []


@pytest.mark.parametrize("typed", ["it's not tone changed", "never their tone changed"])
def test_a_phrase_right_after_a_negation_is_set_aside(typed: str) -> None:
    assert named_options(typed.replace("tone changed", SIGNALS[0].label), SIGNALS) == []


def test_a_negation_three_words_before_does_not_set_the_phrase_aside() -> None:
    text = f"not sure, but {SIGNALS[0].label}"
    assert named_options(text, SIGNALS) == [SIGNALS[0]]


def test_text_of_only_punctuation_or_emoji_names_nothing() -> None:
    assert named_options("?!… 🙂", SIGNALS) == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([o.label for o in SIGNALS] + ["not", "and", "🙂", ",", "x"])))
def test_named_options_never_raises_and_names_each_shown_option_at_most_once(
    words: list[str],
) -> None:
    chosen = named_options(" ".join(words), SIGNALS)
    assert len({o.id for o in chosen}) == len(chosen)
    assert all(o in SIGNALS for o in chosen)
    assert chosen == [o for o in SIGNALS if o in chosen]  # in the order shown


# --------------------------------------------------------------------------------------------
# looks_like_sentence


def test_more_words_than_a_name_has_is_a_sentence_even_without_punctuation() -> None:
    many = " ".join(["word"] * (NAME_WORDS + 1))
    assert looks_like_sentence(many)
    assert not looks_like_sentence(" ".join(["Word"] * NAME_WORDS))


def test_two_words_are_a_name_even_with_a_question_mark() -> None:
    assert not looks_like_sentence("Sam?")
    assert not looks_like_sentence("help me?")


def test_three_words_with_i_or_an_exclamation_are_a_sentence() -> None:
    assert looks_like_sentence("I miss her")
    assert looks_like_sentence("this is awful!")
    assert not looks_like_sentence("Mary Ann Smith")


# --------------------------------------------------------------------------------------------
# Commands typed bare or mistyped


@pytest.mark.parametrize(
    ("typed", "command"),
    [("Help!", "help"), ("  go   back. ", "back"), ("STOP", "cancel"), ("skip it", "skip")],
)
def test_a_command_word_in_any_case_spacing_or_end_punctuation_is_that_command(
    typed: str, command: str
) -> None:
    assert command_word(typed, SCRIPT) == command


@pytest.mark.parametrize("typed", ["helping", "please help me", "stop it now", "back off", ""])
def test_a_sentence_containing_a_command_word_is_no_command(typed: str) -> None:
    assert command_word(typed, SCRIPT) is None


def test_a_mistyped_command_is_matched_to_the_nearest_known_one_only_when_close() -> None:
    known = [c.name for c in SCRIPT.commands]
    assert near_command("histroy", known) == "history"
    assert near_command("refelct", known) == "reflect"
    assert near_command("xyzzy", known) is None
    assert near_command("", known) is None
