"""Bad input, one test each: the machine answers kindly, keeps what it should, loses nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from dialogs import Command, Pick, Reply, Script, State, Text, Unsupported, step

if TYPE_CHECKING:
    from collections.abc import Callable

AT = datetime(2025, 3, 1, 9, 5, tzinfo=UTC)
SO_FAR = {"name": "Sam", "kind": "friendship", "signals": ["tone", "other"]}


@pytest.fixture
def at_kind(at_node: Callable[..., State]) -> State:
    """A choice question: the kind of connection, shown as ask 2."""
    return at_node("reflect.kind", data={"name": "Sam"}, trail=("reflect.name",), ask=2)


@pytest.fixture
def at_note(at_node: Callable[..., State]) -> State:
    """A free-text question of up to 10,000 characters: what else has changed."""
    trail = ("reflect.name", "reflect.kind", "reflect.signals")
    return at_node("reflect.signals_other", data=SO_FAR, trail=trail, ask=4)


def unchanged(before: State, after: State) -> bool:
    return after == replace(before, last_at=AT.isoformat())


def test_empty_text_is_noticed_and_re_asked(script: Script, at_kind: State) -> None:
    result = step(at_kind, Text("", AT), script)

    assert result.replies[0] == Reply(script.say("empty_text"), kind="notice")
    assert result.replies[1].kind == "ask"
    assert result.replies[1].text == "What kind of connection is it?"
    assert unchanged(at_kind, result.state)


def test_empty_text_in_a_free_text_question_is_not_stored(script: Script, at_note: State) -> None:
    result = step(at_note, Text("", AT), script)

    assert result.replies[0] == Reply(script.say("empty_text"), kind="notice")
    assert "signals_other" not in result.state.data
    assert unchanged(at_note, result.state)


def test_whitespace_only_is_empty_text(script: Script, at_note: State) -> None:
    result = step(at_note, Text(" \n\t \u3000 ", AT), script)

    assert result.replies[0] == Reply(script.say("empty_text"), kind="notice")
    assert unchanged(at_note, result.state)


def test_10000_characters_are_accepted_and_stored_whole(script: Script, at_note: State) -> None:
    text = ("Long story. " * 834)[:9_999] + "!"
    assert len(text) == 10_000
    result = step(at_note, Text(text, AT), script)

    assert result.state.data["signals_other"] == text
    assert result.state.node == "reflect.pattern"


def test_10001_characters_are_too_long_and_nothing_is_lost(script: Script, at_note: State) -> None:
    result = step(at_note, Text("x" * 10_001, AT), script)

    assert result.replies == (Reply(script.say("too_long", limit="10,000"), kind="notice"),)
    assert "10,000 characters" in result.replies[0].text
    assert result.state.data == SO_FAR
    assert unchanged(at_note, result.state)


def test_a_name_over_80_characters_is_too_long(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.name", ask=1)
    result = step(state, Text("S" * 81, AT), script)

    assert result.replies == (Reply(script.say("too_long", limit="80"), kind="notice"),)
    assert unchanged(state, result.state)


def test_control_characters_are_stripped(script: Script, at_note: State) -> None:
    typed = "\x00They\x07 moved\x1b[31m away\x7f.\r\nNew line\tand tab\x08"
    result = step(at_note, Text(typed, AT), script)

    assert result.state.data["signals_other"] == "They moved[31m away.\nNew line\tand tab"


def test_control_characters_around_a_choice_still_match_it(script: Script, at_kind: State) -> None:
    result = step(at_kind, Text("\x00Family\x1b", AT), script)
    assert result.state.data == {"name": "Sam", "kind": "family"}


@pytest.mark.parametrize(
    "typed",
    [
        "\u0633\u0627\u0645\u064a \u064a\u0628\u062a\u0639\u062f",  # Arabic
        "\u05e9\u05dc\u05d5\u05dd, \u05d4\u05d5\u05d0 \u05de\u05ea\u05e8\u05d7\u05e7",  # Hebrew
        "\u200fmixed \u05e2\u05d1\u05e8\u05d9\u05ea and English\u200e",  # with direction marks
    ],
    ids=["arabic", "hebrew", "mixed-with-marks"],
)
def test_right_to_left_text_is_kept_exactly(script: Script, at_note: State, typed: str) -> None:
    result = step(at_note, Text(typed, AT), script)
    assert result.state.data["signals_other"] == typed


def test_a_right_to_left_name_is_used_in_the_next_question(
    script: Script, at_node: Callable[..., State]
) -> None:
    name = "\u0633\u0627\u0645\u064a"
    state = at_node("reflect.kind", data={"name": name}, ask=2)
    result = step(state, Pick("thr:reflect.kind:family:2", AT), script)
    assert result.replies[1].text.startswith(f"What has shifted with {name}?")


def test_emoji_only_is_accepted_as_a_note(script: Script, at_note: State) -> None:
    emoji = "💔😶\u200d🌫️"
    result = step(at_note, Text(emoji, AT), script)

    assert result.state.data["signals_other"] == emoji
    assert result.state.node == "reflect.pattern"


def test_emoji_only_at_a_choice_gets_a_hint(script: Script, at_kind: State) -> None:
    result = step(at_kind, Text("💔", AT), script)

    assert result.replies[0] == Reply(script.say("hint_choice"), kind="notice")
    assert result.replies[1].kind == "ask"
    assert unchanged(at_kind, result.state)


def test_a_superscript_digit_at_a_choice_gets_a_hint(script: Script, at_kind: State) -> None:
    """A superscript digit is no option's number (it is a digit to `isdigit()`, not to `int()`)."""
    result = step(at_kind, Text("²", AT), script)
    assert result.replies[0] == Reply(script.say("hint_choice"), kind="notice")


def test_an_arabic_indic_digit_picks_that_option(script: Script, at_kind: State) -> None:
    result = step(at_kind, Text("\u0663", AT), script)
    assert result.state.data["kind"] == "family"


def test_an_unknown_command_is_noticed_and_the_question_re_asked(
    script: Script, at_kind: State
) -> None:
    result = step(at_kind, Command("teleport", AT, "home"), script)

    assert result.replies[0] == Reply(
        "I don't know /teleport. /help lists what I can do.", kind="notice"
    )
    assert result.replies[1].buttons[0].data == "thr:reflect.kind:romantic:2"
    assert unchanged(at_kind, result.state)


def test_an_unknown_command_when_idle_only_says_so(script: Script) -> None:
    state = State(intro_seen=True, ask=9)
    result = step(state, Command("teleport", AT), script)
    assert result.replies == (Reply(script.say("unknown_command", command="teleport"), "notice"),)
    assert unchanged(state, result.state)


def test_an_unknown_command_is_echoed_without_control_characters(
    script: Script, at_kind: State
) -> None:
    result = step(at_kind, Command("rm\x1b[2J\x07", AT), script)
    assert result.replies[0].text == "I don't know /rm[2j. /help lists what I can do."


def test_an_unprintable_unknown_command_is_not_echoed(script: Script, at_kind: State) -> None:
    result = step(at_kind, Command("gnp.\u202eexe", AT), script)
    assert result.replies[0].text == "I don't know /that. /help lists what I can do."


def test_a_very_long_unknown_command_is_echoed_shortened(script: Script, at_kind: State) -> None:
    result = step(at_kind, Command("a" * 500, AT), script)
    assert result.replies[0].text == f"I don't know /{'a' * 32}. /help lists what I can do."


def test_a_sticker_is_unsupported_and_the_question_re_asked(script: Script, at_kind: State) -> None:
    result = step(at_kind, Unsupported("sticker", AT), script)

    assert result.replies[0] == Reply(
        "I can only read text here, so I can't take in a sticker. Could you put it in words?",
        kind="notice",
    )
    assert result.replies[1].text == "What kind of connection is it?"
    assert result.effects == ()
    assert unchanged(at_kind, result.state)


def test_a_thing_the_content_has_no_name_for_is_called_that(script: Script, at_kind: State) -> None:
    result = step(at_kind, Unsupported("hologram", AT), script)

    assert result.replies[0].text == (
        "I can only read text here, so I can't take in that. Could you put it in words?"
    )
    assert result.replies[1].text == "What kind of connection is it?"


def test_a_sticker_when_idle_is_unsupported(script: Script) -> None:
    state = State(intro_seen=True)
    result = step(state, Unsupported("sticker", AT), script)
    assert [r.kind for r in result.replies] == ["notice"]
    assert unchanged(state, result.state)


NAIVE = datetime(2025, 3, 1, 9, 5)  # no tzinfo: the point of the tests below


@pytest.mark.parametrize(
    "event",
    [
        Text("hi", NAIVE),
        Pick("thr:reflect.kind:romantic:2", NAIVE),
        Command("start", NAIVE),
        Unsupported("sticker", NAIVE),
    ],
    ids=["text", "pick", "command", "unsupported"],
)
def test_a_naive_datetime_is_a_programmer_error(
    script: Script, at_kind: State, event: Text | Pick | Command | Unsupported
) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        step(at_kind, event, script)
