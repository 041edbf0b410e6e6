"""Words that suggest harm are answered first: a calm message with help resources and the
direct question — are you safe right now? — and what each answer leads to; then staying with
the person: gently, without slogans, a second disclosure answered as a second one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from dialogs import Command, Pick, SnoozeMantras, State, Text, step
from dialogs.care import with_resources
from dialogs.model import JSON
from dialogs.script import Script
from tests.support.documents import dig
from tests.support.machine import Chat

CRISIS = "I don't want to be here anymore"
ABUSE = "he hits me when he drinks"
SAFE = "I'm safe — let's go on gently"
STOP = "I'm safe, but I'd like to stop"
UNSAFE = "No, I'm not safe right now"
MANTRAS: dict[str, JSON] = {"enabled": True, "time": "09:00", "tz": "UTC", "days": "daily"}


def texts(chat: Chat) -> list[str]:
    return [r.text for r in chat.last.replies]


def helped(chat: Chat, script: Script, kind: str, *, again: bool = False) -> bool:
    replies = chat.last.replies
    lead = script.say(f"safety_{kind}{'_again' if again else ''}")
    return (
        len(replies) == 2
        and replies[0].text.startswith(lead)
        and script.say("safety") in replies[0].text
        and replies[1].kind == "ask"
        and replies[1].text == script.say("safety_question")
        and [b.label for b in replies[1].buttons] == [SAFE, STOP, UNSAFE]
    )


# --------------------------------------------------------------------------------------------
# The direct question, and each answer's path


def test_a_worrying_note_is_kept_then_asked_then_safe_goes_on_gently(
    chat: Chat, script: Script
) -> None:
    chat.command("reflect")
    chat.walk_to("reflect.serving_note")
    chat.text(CRISIS)
    assert helped(chat, script, "crisis")
    assert chat.state.data["serving_note"] == CRISIS
    chat.press(SAFE)
    assert chat.last.replies[0].text == SAFE and chat.last.replies[0].kind == "answer"
    assert chat.last.replies[1].text == script.say("safety_safe")
    assert chat.state.node == "reflect.reciprocal"
    assert chat.state.safety_then is None
    assert chat.state.gentle is True


def test_no_slogan_follows_a_disclosure_and_the_judging_questions_are_left_out(
    chat: Chat, script: Script
) -> None:
    """After "everyone would be better off without me" and going on, no slogan comes next and
    the questions that judge the relationship are left out."""
    chat.command("reflect")
    chat.walk_to("reflect.love_note")
    chat.text("some nights I think everyone would be better off without me")
    chat.press(SAFE)
    said = " ".join(t for s in chat.steps[-1:] for t in (r.text for r in s.replies))
    assert "non-negotiable" not in said
    assert script.say("gentle_skipped") in texts(chat)
    assert chat.state.node == "reflect.closure"  # self-respect and begging were passed over
    chat.walk_to("reflect.followup")
    chat.press("No, thanks")
    card = next(t for t in texts(chat) if t.startswith("Here is what you wrote"))
    assert "From the essay" not in card
    assert script.say("gentle_close") in card


def test_not_safe_puts_the_resources_first_and_the_reflection_waits(
    chat: Chat, script: Script
) -> None:
    chat.command("reflect")
    chat.walk_to("reflect.serving_note")
    chat.text("I want to end my life")
    chat.press(UNSAFE)
    answered, urgent, question = chat.last.replies
    assert answered.text == UNSAFE
    assert urgent.text.startswith("Please reach out now")
    assert script.say("safety") in urgent.text
    assert question.text == script.say("safety_unsafe_question")
    assert [b.label for b in question.buttons] == ["I'm safe now", "Make a safety plan"]
    assert chat.state.safety_step == "unsafe"
    chat.text("Maybe it's my fault")  # anything else: the reflection still waits
    assert texts(chat)[-1] == script.say("safety_unsafe_question")
    assert chat.state.node == "reflect.serving_note"
    chat.press("I'm safe now")
    assert chat.state.node == "reflect.reciprocal"


def test_not_safe_then_a_safety_plan_sets_the_reflection_aside_and_takes_it_up_after(
    chat: Chat, script: Script
) -> None:
    chat.command("reflect")
    chat.walk_to("reflect.serving_note")
    chat.text(CRISIS)
    chat.press(UNSAFE)
    chat.press("Make a safety plan")
    assert chat.state.flow == "safety"
    assert chat.state.paused["flow"] == "reflect"
    for _ in range(7):
        chat.text("call Jo on 0700 000 000")
    assert "Here is your safety plan." in " ".join(texts(chat))
    assert chat.state.flow == "reflect"
    assert chat.state.node == "reflect.reciprocal"
    assert chat.state.data["serving_note"] == CRISIS
    assert chat.state.plan["help_people"] == "call Jo on 0700 000 000"


def test_safe_but_stop_keeps_what_was_written_and_reflect_takes_it_up(
    chat: Chat, script: Script
) -> None:
    """Stopping after a disclosure is warm and keeps what was written."""
    chat.command("checkin")
    chat.text("Mum")
    chat.press("Family")
    chat.text("she told me she'd hurt me if I told anyone")
    chat.press(STOP)
    assert texts(chat)[-1] == script.say("safety_stopped")
    assert "nothing from this" not in " ".join(texts(chat)).casefold()
    assert chat.state.flow is None
    assert dig(chat.state.paused["data"], "news") == "she told me she'd hurt me if I told anyone"
    chat.command("checkin")
    assert chat.state.flow == "checkin" and chat.state.node == "checkin.serving"
    assert chat.state.data["name"] == "Mum"


def test_typed_answers_to_the_safety_question_are_understood(chat: Chat, script: Script) -> None:
    chat.command("reflect")
    chat.walk_to("reflect.reciprocal")
    chat.text("no, and he hits me")
    assert helped(chat, script, "abuse")
    chat.text("no i'm not safe")
    assert chat.state.safety_step == "unsafe"
    chat.text("i'm safe now")
    assert chat.question.text == "Is it reciprocal?"


def test_yes_typed_to_the_safety_question_means_safe(chat: Chat) -> None:
    chat.command("reflect")
    chat.walk_to("reflect.reciprocal")
    chat.text("he hits me")
    chat.text("yes")
    assert chat.state.node == "reflect.reciprocal"
    assert chat.state.safety_then is None


@pytest.mark.parametrize("answer", ["I am not okay", "not really", "I don't know", "not sure"])
def test_not_okay_or_unsure_typed_to_are_you_safe_gets_the_resources_not_go_on_gently(
    chat: Chat, script: Script, answer: str
) -> None:
    chat.command("reflect")
    chat.walk_to("reflect.reciprocal")
    chat.text("he hits me")
    chat.text(answer)
    assert chat.state.safety_step == "unsafe"  # the resources, and the way back, are shown
    assert script.say("safety_unsafe_label") in texts(chat)


def test_a_newcomer_in_crisis_gets_help_before_anything_else(chat: Chat, script: Script) -> None:
    chat.text("I want to kill myself")
    assert helped(chat, script, "crisis")
    assert chat.state.flow is None
    chat.press(SAFE)
    assert script.say("intro") in texts(chat)
    assert chat.state.node == "reflect.name"


def test_help_when_nothing_is_in_progress_then_stop(chat: Chat, script: Script) -> None:
    chat.reflect_on_sam()
    chat.press("No, thanks")
    chat.text("she slapped me yesterday")
    assert helped(chat, script, "abuse")
    chat.press(STOP)
    assert texts(chat)[-1] == script.say("safety_stopped_idle")


def test_other_words_while_asked_get_a_gentle_hint_and_a_new_disclosure_its_own_answer(
    chat: Chat, script: Script
) -> None:
    chat.command("reflect")
    chat.walk_to("reflect.love_note")
    chat.text("I can't go on")
    chat.text("I just feel so alone")
    assert texts(chat) == [script.say("safety_hint"), script.say("safety_question")]
    chat.text("nobody would miss me, I want to die")
    assert helped(chat, script, "crisis", again=True)  # a second one, answered as one
    chat.press(SAFE)
    assert chat.state.node == "reflect.closure"  # gently: the self-respect questions left out


def test_words_that_do_not_answer_the_safety_question_twice_get_a_second_hint_not_the_first_again(
    chat: Chat, script: Script
) -> None:
    chat.command("reflect")
    chat.walk_to("reflect.love_note")
    chat.text("I can't go on")
    chat.text("often")
    assert texts(chat) == [script.say("safety_hint"), script.say("safety_question")]
    chat.text("mostly me")
    assert texts(chat) == [script.say("safety_hint_again"), script.say("safety_question")]
    assert script.say("safety_hint_again") != script.say("safety_hint")
    chat.text("safe")
    assert chat.state.safety_step is None and "safety_hinted" not in chat.state.heard
    chat.command("cancel")
    chat.press("Yes, stop")
    chat.text("I can't go on", after=timedelta(days=3))
    chat.text("tired")  # a new safety question starts with the first hint again
    assert texts(chat) == [script.say("safety_hint"), script.say("safety_question")]


def test_a_second_disclosure_in_a_day_is_answered_as_a_second_one(
    chat: Chat, script: Script
) -> None:
    """A second disclosure the same day is answered as a second one, not word for word again."""
    chat.text(CRISIS)
    first = chat.last.replies[0].text
    chat.press(SAFE)
    chat.command("cancel")
    chat.text(CRISIS, after=timedelta(hours=3))
    assert helped(chat, script, "crisis", again=True)
    assert chat.last.replies[0].text != first
    chat.text(CRISIS, after=timedelta(days=2))
    assert any(t.startswith(script.say("safety_crisis")) for t in texts(chat))


def test_a_command_leaves_the_question_and_does_what_it_says(chat: Chat, script: Script) -> None:
    chat.command("reflect")
    chat.walk_to("reflect.closure")
    chat.text("I hurt myself again")
    old = chat.button(SAFE)
    chat.command("back")
    assert chat.state.node == "reflect.closure" and chat.state.safety_then is None
    chat.pick(old.data)
    assert script.say("stale_button") in texts(chat)
    assert chat.state.node == "reflect.closure"


def test_choosing_emotionally_abusive_asks_the_safety_question_once(
    chat: Chat, script: Script
) -> None:
    chat.command("reflect")
    chat.walk_to("reflect.self")
    chat.text("abusive")  # typed: the option itself, which leads to the safety question
    chat.text("done")
    assert chat.state.safety_then == "reflect.begging"
    assert sum(script.say("safety") in t for t in texts(chat)) == 1
    assert texts(chat)[-1] == script.say("safety_question")
    chat.press(SAFE)
    assert chat.state.node == "reflect.closure"  # begging judges: left out, gently


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
    assert result.state.safety_then == "reflect.closure"
    assert "closure" not in result.state.data
    assert result.state.data["opening"] == "I want to die"  # kept, not taken as an answer


def test_a_forged_safety_button_changes_nothing(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.closure", safety_then="reflect.decision", safety_step="ask")
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
    assert any("0800 123 456" in t for t in texts(chat))


def test_help_state_survives_a_command_free_turn_only(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.closure", safety_then="reflect.decision", safety_step="ask")
    result = step(state, Command("help", _at(state)), script)
    assert result.state.safety_then is None


# --------------------------------------------------------------------------------------------
# Mantras after a disclosure


def test_a_disclosure_pauses_mantras_for_48_hours_and_says_so_with_a_way_to_resume(
    chat: Chat, script: Script
) -> None:
    chat.state = State(intro_seen=True, mantras=MANTRAS)
    chat.text(CRISIS)
    (pause,) = [e for e in chat.last.effects if isinstance(e, SnoozeMantras)]
    assert pause == SnoozeMantras(until=chat.at + timedelta(hours=48), gentle=True)
    chat.press(SAFE)
    told = next(r for r in chat.last.replies if r.text == script.say("mantras_paused", hours=48))
    (resume,) = told.buttons
    assert resume.label == "Resume mantras now"
    chat.pick(resume.data)
    assert chat.last.replies[-1].text == script.say("mantras_resumed")
    assert [type(e).__name__ for e in chat.last.effects] == ["SetMantras"]


def test_no_pause_is_made_or_told_without_mantras(chat: Chat, script: Script) -> None:
    chat.text(CRISIS)
    assert not any(isinstance(e, SnoozeMantras) for e in chat.last.effects)
    chat.press(SAFE)
    assert script.say("mantras_paused", hours=48) not in texts(chat)


def test_a_line_that_could_read_as_disappear_is_not_shown_in_the_two_days_after(
    script: Script,
) -> None:
    title = script.mantras.index("If someone is trying to lose you, help them.")
    assert title in script.held_mantras
    shown = set()
    at = datetime(2025, 3, 1, 21, 0, tzinfo=UTC)
    for n in range(30):
        state = State(intro_seen=True, disclosed=(at.isoformat(),), mantra_seen=())
        begun = step(state, Command("checkin", at + timedelta(minutes=n)), script).state
        chat = Chat(script, begun, at=at + timedelta(minutes=n))
        chat.command("skip")
        chat.press("Friendship")
        chat.walk_to("checkin.followup")
        chat.press("No, thanks")
        card = next(t for t in texts(chat) if "From the essay" in t)
        shown |= {i for i, line in enumerate(script.mantras) if f"“{line}”" in card}
    assert shown and not shown & script.held_mantras


# --------------------------------------------------------------------------------------------
# A very low feeling


def test_a_feeling_of_one_gets_care_and_the_resources_not_a_mantra(
    chat: Chat, script: Script
) -> None:
    """A check-in rated 1 of 5 ends with care and the resources, never an essay line."""
    chat.command("checkin")
    chat.command("skip")
    chat.press("Friendship")
    chat.walk_to("checkin.feeling")
    chat.press("1")
    assert chat.last.replies[1].text == script.say("low_feeling", safety=script.say("safety"))
    chat.walk_to("checkin.followup")
    chat.press("No, thanks")
    card = next(t for t in texts(chat) if t.startswith("Thank you for checking in"))
    assert "From the essay" not in card
    assert script.say("gentle_close") in card


def _at(state: State) -> datetime:
    assert state.last_at is not None
    return datetime.fromisoformat(state.last_at) + timedelta(minutes=1)


# --------------------------------------------------------------------------------------------
# Property: the safety reply comes before any other reply to a concerning text

import tomllib  # noqa: E402
from pathlib import Path  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dialogs import load_script  # noqa: E402
from dialogs.answers import match_option  # noqa: E402
from dialogs.prompts import visible_options  # noqa: E402
from dialogs.safety import concern  # noqa: E402

SCRIPT = load_script()
LABELLED = tomllib.loads((Path(__file__).parent / "safety_messages.toml").read_text("utf-8"))
CONCERNING = sorted({*LABELLED["crisis"], *LABELLED["abuse"]})
QUESTIONS = sorted(n.id for n in SCRIPT.nodes.values() if n.type != "effect" and n.store)
START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(CONCERNING),
    st.sampled_from([*QUESTIONS, None]),
    st.sampled_from([timedelta(minutes=1), timedelta(days=2)]),
    st.booleans(),
)
def test_the_safety_reply_always_comes_before_any_other_reply_to_a_concerning_text(
    text: str, node: str | None, silence: timedelta, mantras: bool
) -> None:
    state = State(
        flow=node.split(".", 1)[0] if node else None,
        node=node,
        ask=5,
        started_at=START.isoformat(),
        last_at=START.isoformat(),
        intro_seen=True,
        mantras=MANTRAS if mantras else {},
    )
    if node is not None:
        options = visible_options(state, SCRIPT.node(node), SCRIPT)
        if match_option(text, options) is not None:
            return  # the text is an option's own name ("abusive"): that option leads to help
    assert concern(text, SCRIPT.safety)
    result = step(state, Text(text, START + silence), SCRIPT)
    first = result.replies[0]
    assert SCRIPT.say("safety") in first.text, (node, text, [r.text for r in result.replies])
    assert result.replies[1].text == SCRIPT.say("safety_question")
    heard = SCRIPT.listening
    lines = {*heard.fallback, *(line for t in heard.themes for line in t.lines)}
    assert not any(r.text in lines for r in result.replies)
