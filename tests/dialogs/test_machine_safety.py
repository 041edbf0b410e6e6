"""Words that suggest harm are answered first: a calm message with help resources, then the
person chooses to go on (where they were going) or to stop."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from conftest import Chat

from dialogs import Command, Pick, State, Text, step
from dialogs.care import SAFETY_KEY, with_resources
from dialogs.script import Script

CRISIS = "I don't want to be here anymore"
ABUSE = "he hits me when he drinks"


def texts(chat: Chat) -> list[str]:
    return [r.text for r in chat.last.replies]


def helped(chat: Chat, script: Script, kind: str) -> bool:
    replies = chat.last.replies
    return (
        len(replies) == 2
        and replies[0].text.startswith(script.say(f"safety_{kind}"))
        and script.say("safety") in replies[0].text
        and replies[1].kind == "ask"
        and [b.label for b in replies[1].buttons] == ["Go on", "Stop here for now"]
    )


def test_a_worrying_note_is_kept_then_help_then_going_on_goes_where_it_would_have(
    chat: Chat, script: Script
) -> None:
    chat.command("reflect")
    chat.walk_to("reflect.serving_note")
    chat.text(CRISIS)
    assert helped(chat, script, "crisis")
    assert chat.state.node == "reflect.serving_note"
    assert chat.state.data["serving_note"] == CRISIS
    chat.press("Go on")
    assert chat.last.replies[0].kind == "answer" and chat.last.replies[0].text == "Go on"
    assert chat.state.node == "reflect.reciprocal"
    assert SAFETY_KEY not in chat.state.data
    assert chat.state.trail[-1] == "reflect.serving_note"


def test_stopping_ends_the_flow_and_keeps_nothing(chat: Chat, script: Script) -> None:
    chat.command("checkin")
    chat.text(ABUSE)  # the name question: still an answer, and still a worry
    assert helped(chat, script, "abuse")
    chat.press("Stop here for now")
    assert chat.state.flow is None and chat.state.data == {}
    assert script.say("stopped", flow="check-in") in texts(chat)
    assert chat.last.effects == ()


def test_a_worry_typed_at_a_choice_question_is_answered_then_the_question_asked_again(
    chat: Chat, script: Script
) -> None:
    chat.command("reflect")
    chat.walk_to("reflect.reciprocal")
    chat.text("no, and he hits me")
    assert helped(chat, script, "abuse")
    chat.text("go on")  # typed, not pressed
    assert chat.question.text == "Is it reciprocal?"
    assert chat.state.node == "reflect.reciprocal"


def test_a_newcomer_in_crisis_gets_help_before_anything_else(chat: Chat, script: Script) -> None:
    chat.text("I want to kill myself")
    assert helped(chat, script, "crisis")
    assert chat.state.flow is None
    chat.press("Go on")
    assert script.say("intro") in texts(chat)
    assert chat.state.node == "reflect.name"


def test_help_when_nothing_is_in_progress_then_stop(chat: Chat, script: Script) -> None:
    chat.reflect_on_sam()
    chat.press("No, thanks")
    chat.text("she slapped me yesterday")
    assert helped(chat, script, "abuse")
    chat.press("Stop here for now")
    assert texts(chat)[-1] == script.say("safety_stopped")
    chat.text("hello")
    assert chat.question.text == script.say("menu")


def test_while_choosing_other_words_get_a_gentle_hint_and_the_question_again(
    chat: Chat, script: Script
) -> None:
    chat.command("reflect")
    chat.walk_to("reflect.love_note")
    chat.text("I can't go on")
    chat.text("I just feel so alone")
    assert texts(chat) == [script.say("safety_hint"), script.say("safety_question")]
    chat.text("nobody would miss me, I want to die")
    assert helped(chat, script, "crisis")  # the message again, for the new words
    chat.press("Go on")
    assert chat.state.node == "reflect.self"


def test_a_command_leaves_the_question_and_does_what_it_says(chat: Chat, script: Script) -> None:
    chat.command("reflect")
    chat.walk_to("reflect.closure")
    chat.text("I hurt myself again")
    old = chat.button("Go on")
    chat.command("back")
    assert chat.state.node == "reflect.closure" and SAFETY_KEY not in chat.state.data
    chat.pick(old.data)
    assert script.say("stale_button") in texts(chat)
    assert chat.state.node == "reflect.closure"


def test_choosing_emotionally_abusive_shows_help_once(chat: Chat, script: Script) -> None:
    chat.command("reflect")
    chat.walk_to("reflect.self")
    chat.text("abusive")  # typed: the option itself, which leads to the safety question
    chat.text("done")
    assert chat.state.node == "reflect.safety"
    assert sum(script.say("safety") in t for t in texts(chat)) == 1
    assert not any(t.startswith(script.say("safety_abuse")) for t in texts(chat))


def test_a_denial_is_just_an_answer(chat: Chat) -> None:
    chat.command("reflect")
    chat.walk_to("reflect.serving_note")
    chat.text("He never hit me, he just went quiet.")
    assert chat.state.node == "reflect.reciprocal"


def test_after_a_long_silence_help_comes_first(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.closure")
    later = Text("I want to die", at=_at(state) + timedelta(days=2))
    result = step(state, later, script)
    assert result.replies[0].text.startswith(script.say("safety_crisis"))
    assert result.state.data[SAFETY_KEY] == "reflect.closure"
    assert "closure" not in result.state.data


def test_a_forged_safety_button_changes_nothing(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.closure", data={SAFETY_KEY: "reflect.decision"})
    result = step(state, Pick("thr:core.safety:jump:5", _at(state)), script)
    assert result.state.data == state.data
    assert result.replies[-1].text == script.say("safety_question")


def test_the_resources_can_be_replaced(script: Script) -> None:
    local = with_resources(script, "Call 999 or the {local} line: 0800 123 456.")
    chat = Chat(local)
    chat.text("I want to kill myself")
    assert "Call 999 or the {local} line: 0800 123 456." in chat.last.replies[0].text
    chat = Chat(local)
    chat.command("reflect")
    chat.walk_to("reflect.self")
    chat.press("Emotionally abusive")
    chat.press("Done")
    assert "0800 123 456" in chat.question.text


def test_help_state_survives_a_command_free_turn_only(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.closure", data={SAFETY_KEY: "reflect.decision"})
    result = step(state, Command("help", _at(state)), script)
    assert SAFETY_KEY not in result.state.data


def _at(state: State) -> datetime:
    assert state.last_at is not None
    return datetime.fromisoformat(state.last_at) + timedelta(minutes=1)
