"""Questions asked beside the flow (:mod:`dialogs.sides`), answered directly: "leave this for
the …?", "stop this here?", "are you safe right now?", "how are you since?", and the notices for
a stale or forged button. The machine tests walk into these from a conversation; here each
answer, pressed or typed, is given to the function that reads it, with the state that has the
side question open."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from dialogs import Command, Pick, Reply, State, Text, Unsupported, load_script
from dialogs.care import IDLE, PLAN, SAFE, SAFETY, STOP, UNSAFE
from dialogs.flow import Out
from dialogs.safety import concern
from dialogs.sides import (
    on_cancel,
    on_safety,
    on_since,
    on_switch,
    opens,
    safety_text,
    since_text,
    stale,
    worried,
)
from tests.support.machine import START, at_node

SCRIPT = load_script()
AT = START + timedelta(minutes=5)
FORGED = Reply(SCRIPT.say("forged_button"), kind="notice")
ANSWERS = {"name": "Sam", "kind": "romantic", "pattern": "pattern"}


def out() -> Out:
    return Out(at=AT)


def asked_if_safe(*, safety_step: str = "ask", ask: int = 6) -> State:
    """In a reflection, words that suggest harm were just answered: "are you safe?" is open."""
    return at_node(
        "reflect.pattern",
        ask=ask,
        data=ANSWERS,
        safety_then="reflect.serving",
        safety_step=safety_step,
    )


# --------------------------------------------------------------------------------------------
# Opening a conversation


@pytest.mark.parametrize("name", ["start", "reflect", "checkin", "START", " history "])
def test_a_command_that_begins_a_conversation_opens_it(name: str) -> None:
    assert opens(Command(name, AT))


@pytest.mark.parametrize("name", ["help", "back", "skip", "cancel", "export", "start2"])
def test_a_command_about_the_conversation_in_progress_does_not_open_one(name: str) -> None:
    assert not opens(Command(name, AT))


def test_words_typed_open_a_conversation_but_a_button_or_a_sticker_does_not() -> None:
    assert opens(Text("hello", AT))
    assert not opens(Pick("thr:reflect.kind:romantic:1", AT))
    assert not opens(Unsupported("sticker", AT))


# --------------------------------------------------------------------------------------------
# Stale buttons


def test_a_stale_button_with_nothing_open_only_says_it_is_from_a_finished_conversation() -> None:
    said = out()
    assert stale(State(intro_seen=True), SCRIPT, said) == State(intro_seen=True)
    assert said.replies == [Reply(SCRIPT.say("finished_button"), kind="notice")]


# --------------------------------------------------------------------------------------------
# Leave this for the …?


def test_a_switch_answer_it_never_offered_is_forged() -> None:
    state = at_node("reflect.pattern", switch_to="checkin", ask=6)
    said = out()
    assert on_switch(state, "both", 6, SCRIPT, said) == state
    assert said.replies[0] == FORGED


def test_a_switch_to_a_flow_that_does_not_exist_is_stale_and_starts_nothing() -> None:
    state = at_node("reflect.pattern", switch_to="nowhere", ask=6)
    said = out()
    assert on_switch(state, "new", 6, SCRIPT, said).flow == "reflect"
    assert said.replies[0] == Reply(SCRIPT.say("stale_button"), kind="notice")


def test_going_on_keeps_the_answers_and_asks_the_open_question_again() -> None:
    state = at_node("reflect.pattern", switch_to="checkin", ask=6, data=ANSWERS)
    said = out()
    after = on_switch(state, "go_on", 6, SCRIPT, said)
    assert (after.flow, after.node, after.data, after.switch_to) == (
        "reflect",
        "reflect.pattern",
        ANSWERS,
        None,
    )
    assert said.replies[-1].kind == "ask"


def test_starting_the_new_flow_drops_the_answers_of_the_one_left() -> None:
    state = at_node("reflect.pattern", switch_to="mantras", ask=6, data=ANSWERS)
    after = on_switch(state, "new", 6, SCRIPT, out())
    assert after.flow == "mantras"
    assert not set(ANSWERS) & set(after.data)


# --------------------------------------------------------------------------------------------
# Stop this here?


def test_a_cancel_answer_when_no_cancel_was_asked_is_stale_and_drops_nothing() -> None:
    state = at_node("reflect.pattern", data=ANSWERS, ask=6)
    said = out()
    assert on_cancel(state, "yes", 6, SCRIPT, said) == state
    assert said.replies[0] == Reply(SCRIPT.say("stale_button"), kind="notice")


def test_no_to_stopping_keeps_every_answer_and_asks_the_question_again() -> None:
    state = at_node("reflect.pattern", data=ANSWERS, ask=6, cancelling=True)
    said = out()
    after = on_cancel(state, "no", 6, SCRIPT, said)
    assert after.data == ANSWERS and not after.cancelling and after.node == "reflect.pattern"
    assert said.replies[0] == Reply(SCRIPT.say("cancel_no"), kind="answer")
    assert Reply(SCRIPT.say("cancel_kept_going")) in said.replies


def test_yes_to_stopping_ends_the_flow_and_its_answers() -> None:
    state = at_node("reflect.pattern", data=ANSWERS, ask=6, cancelling=True)
    after = on_cancel(state, "yes", 6, SCRIPT, out())
    assert after.flow is None and after.data == {}


# --------------------------------------------------------------------------------------------
# Are you safe right now?


def test_an_older_messages_go_on_button_is_read_as_safe() -> None:
    after = on_safety(asked_if_safe(), "go_on", 6, SCRIPT, out())
    assert after.safety_then is None
    assert after.node == "reflect.serving"


def test_not_safe_shows_the_resources_and_asks_the_way_back_with_a_new_ask() -> None:
    said = out()
    after = on_safety(asked_if_safe(), UNSAFE, 6, SCRIPT, said)
    assert after.safety_step == "unsafe" and after.ask == 7
    assert after.safety_then == "reflect.serving"  # nothing else goes on yet
    assert Reply(SCRIPT.say("safety_unsafe", safety=SCRIPT.say("safety"))) in said.replies
    question = said.replies[-1]
    assert {b.data for b in question.buttons} == {
        f"{'thr'}:{SAFETY}:safe_now:7",
        f"thr:{SAFETY}:{PLAN}:7",
    }


def test_an_answer_of_the_first_safety_question_on_the_second_is_stale() -> None:
    """Once "not safe" was answered, the first question's "I'm safe" must not be taken."""
    state = asked_if_safe(safety_step="unsafe", ask=7)
    said = out()
    assert on_safety(state, SAFE, 7, SCRIPT, said) == state
    assert said.replies[0] == Reply(SCRIPT.say("stale_button"), kind="notice")


def test_a_safety_answer_that_is_no_safety_option_at_all_is_forged() -> None:
    state = asked_if_safe()
    said = out()
    assert on_safety(state, "fine", 6, SCRIPT, said) == state
    assert said.replies[0] == FORGED


def test_stopping_for_now_sets_the_flow_aside_where_it_would_have_gone() -> None:
    after = on_safety(asked_if_safe(), STOP, 6, SCRIPT, out())
    assert after.flow is None
    assert after.paused.get("node") == "reflect.serving"
    assert after.paused.get("data") == ANSWERS


def test_safe_with_nothing_in_progress_shows_the_menu_not_a_reflection() -> None:
    state = State(intro_seen=True, safety_then=IDLE, safety_step="ask", ask=3)
    said = out()
    after = on_safety(state, SAFE, 3, SCRIPT, said)
    assert after.flow is None
    assert Reply(SCRIPT.say("safety_safe_idle")) in said.replies


@pytest.mark.parametrize(
    ("typed", "step"), [("yes", None), ("nope", "unsafe"), ("not safe", "unsafe")]
)
def test_a_typed_answer_to_are_you_safe_is_that_answer(typed: str, step: str | None) -> None:
    after = safety_text(asked_if_safe(), typed, SCRIPT, out())
    assert after.safety_step == step


def test_words_that_answer_neither_way_get_a_gentle_hint_and_the_question_again() -> None:
    state = asked_if_safe()
    said = out()
    after = safety_text(state, "what do you mean", SCRIPT, said)
    assert dataclasses.replace(after, heard=state.heard) == state  # only the hint is remembered
    assert "safety_hinted" in after.heard
    assert said.replies[0] == Reply(SCRIPT.say("safety_hint"), kind="notice")
    assert said.replies[-1].text == SCRIPT.say("safety_question")


@pytest.mark.parametrize("typed", ["I am not okay", "I am not sure", "i am not"])
def test_i_am_not_okay_typed_to_are_you_safe_is_not_taken_for_safe(typed: str) -> None:
    """Someone who has just disclosed something and answers "I am not okay" must not be told
    "I'm glad you're safe right now" while the flow goes on ("i am" alone once read as safe)."""
    assert not concern(typed, SCRIPT.safety)  # so only the reading of the answer decides
    said = out()
    after = safety_text(asked_if_safe(), typed, SCRIPT, said)
    assert Reply(SCRIPT.say("safety_safe")) not in said.replies
    assert after.safety_then is not None


def test_i_am_not_safe_typed_to_are_you_safe_is_read_as_not_safe() -> None:
    after = safety_text(asked_if_safe(), "I am not safe", SCRIPT, out())
    assert after.safety_step == "unsafe"


# --------------------------------------------------------------------------------------------
# Words that suggest harm typed in a flow


WORRY = "I want to die"


def test_a_worrying_note_is_kept_as_the_answer_and_going_on_goes_past_it() -> None:
    worry = concern(WORRY, SCRIPT.safety)
    assert worry is not None
    node = SCRIPT.node("reflect.closure")
    after = worried(at_node("reflect.closure", data=ANSWERS), node, WORRY, worry, SCRIPT, out())
    assert after.data["closure"] == WORRY
    assert after.trail[-1] == "reflect.closure"
    assert after.safety_then == node.next


def test_worrying_words_where_a_name_was_asked_are_not_taken_as_the_name() -> None:
    worry = concern(WORRY, SCRIPT.safety)
    assert worry is not None
    node = SCRIPT.node("reflect.name")
    after = worried(at_node("reflect.name"), node, WORRY, worry, SCRIPT, out())
    assert "name" not in after.data
    assert after.data.get("opening") == WORRY
    assert after.safety_then == "reflect.name"  # the question comes again afterwards


# --------------------------------------------------------------------------------------------
# How are you since?


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("a bit better", "better"),
        ("Not good.", "worse"),
        ("same", "same"),
        ("rather not say", "skip"),
    ],
)
def test_a_typed_answer_to_how_are_you_since_is_read(typed: str, answer: str) -> None:
    assert since_text(State(since_then=""), typed, SCRIPT) == answer


@pytest.mark.parametrize(
    "typed", ["better or worse, who knows", "not better", f"worse. {WORRY}", "blue"]
)
def test_words_that_are_no_single_answer_or_are_a_worry_answer_nothing(typed: str) -> None:
    assert since_text(State(since_then=""), typed, SCRIPT) is None


@pytest.mark.parametrize(
    ("typed", "read"), [("no better", "same"), ("not okay", "worse"), ("a bit better", "better")]
)
def test_no_better_typed_to_how_are_you_since_is_not_read_as_better(typed: str, read: str) -> None:
    assert since_text(State(since_then=""), typed, SCRIPT) == read


def test_the_since_answer_then_does_what_the_person_came_for() -> None:
    state = State(intro_seen=True, since_then="mantras", ask=4)
    said = out()
    after = on_since(state, "better", 4, SCRIPT, said)
    assert after.since_then is None
    assert after.flow == "mantras"
    assert said.replies[0] == Reply(SCRIPT.say("since_better_label"), kind="answer")


def test_a_since_answer_when_none_was_asked_is_stale() -> None:
    said = out()
    assert on_since(State(intro_seen=True, ask=4), "better", 4, SCRIPT, said).since_then is None
    assert said.replies[0] == Reply(SCRIPT.say("finished_button"), kind="notice")
