"""Typed text (:mod:`dialogs.typed`), read directly with :func:`on_text`: the order in which
it is read — an open side question first, words that suggest harm next (unless they name an
option shown), then the silence, then the question's own kind. Each test puts a state where
two readings compete and checks the one the module's order says wins."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dialogs import Reply, State, load_script
from dialogs.flow import RESUME_AFTER, Out
from dialogs.typed import on_text
from tests.support.machine import START, at_node

SCRIPT = load_script()
AT = START + timedelta(minutes=5)
ANSWERS = {"name": "Sam", "kind": "romantic"}
WORRY = "I want to die"


def typed(state: State, text: str, at: datetime = AT) -> tuple[State, Out]:
    out = Out(at=at)
    return on_text(state, text, SCRIPT, out), out


# --------------------------------------------------------------------------------------------
# Side questions read first


def test_yes_while_stop_this_is_asked_stops_rather_than_answering_the_question() -> None:
    state = at_node("reflect.serving", data=ANSWERS, cancelling=True)
    after, _ = typed(state, "yes")
    assert after.flow is None


def test_an_answer_to_the_question_while_stop_this_is_asked_lets_the_stop_go() -> None:
    """ "Partly" is no answer to "stop this here?": it answers the question, and the stop is
    no longer asked."""
    state = at_node("reflect.serving", data=ANSWERS, cancelling=True)
    after, _ = typed(state, "Partly")
    assert not after.cancelling
    assert after.data["serving"] == "partly"


def test_words_that_answer_no_switch_let_the_switch_go_and_answer_the_question() -> None:
    state = at_node("reflect.serving", data=ANSWERS, switch_to="checkin")
    after, _ = typed(state, "no")
    assert after.switch_to is None
    assert after.data["serving"] == "no"


def test_an_answer_to_are_you_safe_is_never_taken_for_the_question_below_it() -> None:
    """ "No" while "are you safe?" is open means not safe, not "no" to the question below."""
    state = at_node("reflect.serving", data=ANSWERS, safety_then="reflect.serving", ask=6)
    after, _ = typed(state, "no")
    assert "serving" not in after.data
    assert after.safety_step == "unsafe"


def test_words_that_answer_no_how_are_you_since_are_read_as_the_answer_below() -> None:
    state = at_node("reflect.serving", data=ANSWERS, since_then="")
    after, _ = typed(state, "Partly")
    assert after.since_then is None
    assert after.data["serving"] == "partly"


# --------------------------------------------------------------------------------------------
# Words that suggest harm


def test_worrying_words_on_a_choice_are_answered_first_and_choose_nothing() -> None:
    state = at_node("reflect.serving", data=ANSWERS)
    after, out = typed(state, f"no. {WORRY}")
    assert "serving" not in after.data
    assert after.safety_then == "reflect.serving"
    assert out.replies[-1].text == SCRIPT.say("safety_question")


def test_an_options_own_name_that_sounds_like_harm_is_that_option() -> None:
    """ "Emotionally abusive" is how the self-respect question names one of its answers: typed
    there, it is that answer (which leads to help in its own way), not a disclosure."""
    state = at_node("reflect.self", data=ANSWERS)
    after, _ = typed(state, "Emotionally abusive")
    assert after.data["self"] == ["abusive"]
    assert after.safety_then is None


def test_worrying_words_after_a_long_silence_are_kept_and_answered_first() -> None:
    state = at_node("reflect.closure", data=ANSWERS)
    later = START + RESUME_AFTER + timedelta(minutes=1)
    after, _ = typed(state, WORRY, later)
    assert "closure" not in after.data
    assert after.data.get("opening") == WORRY
    assert after.safety_then == "reflect.closure"


def test_text_right_at_the_silence_limit_is_still_answered() -> None:
    state = at_node("reflect.serving", data=ANSWERS)
    after, _ = typed(state, "Partly", START + RESUME_AFTER)
    assert after.data["serving"] == "partly"


# --------------------------------------------------------------------------------------------
# The question's kind


def test_a_number_typed_at_a_days_question_is_days_not_the_button_in_that_place() -> None:
    """The third button says 14 days; "3" means three days."""
    node = SCRIPT.node("reflect.followup")
    assert node.options[2].value != 3
    state = at_node("reflect.followup", data=ANSWERS)
    _, out = typed(state, "3")
    assert out.replies[0] == Reply(SCRIPT.say("days_typed", days=3), kind="answer")


def test_a_number_typed_at_a_choice_is_the_button_in_that_place() -> None:
    after, _ = typed(at_node("reflect.kind"), "3")
    assert after.data["kind"] == SCRIPT.node("reflect.kind").options[2].id


@pytest.mark.parametrize("done", ["done", "Done.", "that's all", "ok"])
def test_a_done_word_on_a_several_choice_question_is_done(done: str) -> None:
    state = at_node("reflect.signals", data={**ANSWERS, "signals": ["tone"]})
    after, _ = typed(state, done)
    assert after.node == "reflect.pattern"


def test_a_note_over_its_limit_is_refused_whole_and_the_question_stays() -> None:
    node = SCRIPT.node("reflect.closure")
    state = at_node("reflect.closure", data=ANSWERS)
    after, out = typed(state, "x" * (node.max_chars + 1))
    assert after == state
    assert out.replies == [
        Reply(SCRIPT.say("too_long", limit=f"{node.max_chars:,}"), kind="notice")
    ]


def test_a_command_word_typed_as_a_note_is_the_command_not_the_note() -> None:
    state = at_node("reflect.closure", data=ANSWERS)
    after, _ = typed(state, "skip")
    assert "closure" not in after.data
    assert after.node == SCRIPT.node("reflect.closure").next


def test_only_control_characters_are_empty_text_not_an_answer() -> None:
    state = at_node("reflect.closure", data=ANSWERS)
    after, out = typed(state, "\x00\x07 ")
    assert after == state
    assert out.replies[0] == Reply(SCRIPT.say("empty_text"), kind="notice")


# --------------------------------------------------------------------------------------------
# Nothing open


def test_a_newcomers_first_words_are_kept_and_a_reflection_begins() -> None:
    after, _ = typed(State(), "She hasn't answered in weeks and I keep waiting")
    assert after.flow == "reflect"
    assert after.data.get("opening")


def test_help_typed_with_nothing_open_is_the_help_command() -> None:
    _, out = typed(State(intro_seen=True), "help")
    assert out.replies[0].text == SCRIPT.say("help")
