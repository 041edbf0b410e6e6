"""After a disclosure the next conversation asks how the person is since; and ``/safety``, the
safety plan: built step by step, shown as one card, changed a step at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dialogs import Command, Pick, State, Text, step
from dialogs.script import Script
from tests.support.machine import Chat

AT = datetime(2025, 3, 1, 21, 0, tzinfo=UTC)
STEPS = (
    "I stop answering anyone",
    "a long shower, loud music",
    "Jo's kitchen, the park by the river",
    "Jo: 0700 000 000, my sister Ana",
    "Dr Patel, the Samaritans on 116 123",
    "give the pills to Ana to keep",
    "my cat, Ana's kids, the sea in summer",
)


def disclosed(hours_ago: float) -> State:
    at = (AT - timedelta(hours=hours_ago)).isoformat()
    return State(intro_seen=True, disclosed=(at,), ask_since=True, ask=9)


# --------------------------------------------------------------------------------------------
# How are you since?


def test_the_next_conversation_opens_by_asking_how_they_are_since(script: Script) -> None:
    result = step(disclosed(20), Command("checkin", AT), script)
    (question,) = result.replies
    assert question.text == script.say("since_question")
    assert [b.label for b in question.buttons] == [
        "A little better",
        "About the same",
        "Worse",
        "I'd rather not say",
    ]
    assert result.state.ask_since is False  # asked once
    assert result.state.flow is None  # what they came for waits for the answer


def test_after_answering_what_they_came_for_goes_ahead(script: Script) -> None:
    asked = step(disclosed(20), Command("checkin", AT), script).state
    result = step(asked, Pick("thr:core.since:better:10", AT), script)
    assert result.replies[0].text == "A little better"
    assert result.replies[1].text == script.say("since_better")
    assert result.state.flow == "checkin"


def test_worse_since_gets_the_resources_again(script: Script) -> None:
    asked = step(disclosed(20), Text("hi", AT), script).state
    result = step(asked, Text("worse", AT), script)
    assert script.say("safety") in result.replies[1].text
    assert result.replies[-1].text == script.say("menu")


def test_it_is_not_asked_straight_after_the_disclosure(script: Script) -> None:
    result = step(disclosed(0.5), Command("reflect", AT), script)
    assert result.state.flow == "reflect"
    assert result.state.ask_since is True  # still to ask, next time


def test_words_typed_instead_of_an_answer_are_heard_and_what_they_came_for_goes_ahead(
    script: Script,
) -> None:
    asked = step(disclosed(20), Command("reflect", AT), script).state
    result = step(asked, Text("honestly I still feel awful about it", AT), script)
    assert result.state.since_then is None
    assert result.state.flow is None  # typed words with nothing open: heard, and the choices


def test_a_new_disclosure_instead_of_an_answer_is_answered_first(script: Script) -> None:
    asked = step(disclosed(20), Command("reflect", AT), script).state
    result = step(asked, Text("I want to die", AT), script)
    assert result.replies[-1].text == script.say("safety_question")
    assert result.replies[0].text.startswith(script.say("safety_crisis_again"))  # 20 h apart


def test_the_disclosures_remembered_are_the_last_days_only(script: Script) -> None:
    state = State(intro_seen=True, disclosed=((AT - timedelta(days=3)).isoformat(),))
    result = step(state, Text("I want to die", AT), script)
    assert result.state.disclosed == (AT.isoformat(),)


# --------------------------------------------------------------------------------------------
# The safety plan


def build_plan(chat: Chat) -> None:
    chat.command("safety")
    for answer in STEPS:
        chat.text(answer)


def test_a_safety_plan_is_built_step_by_step_and_shown_as_one_card(
    chat: Chat, script: Script
) -> None:
    chat.state = State(intro_seen=True)
    chat.command("safety")
    assert "Stanley" not in chat.question.text  # plain words, no jargon
    assert chat.question.text.endswith(
        "My warning signs: what thoughts, feelings or situations tell you a crisis might be coming?"
    )
    for answer in STEPS:
        chat.text(answer)
    card = chat.last.replies[-1].text
    assert card.startswith("Here is your safety plan.")
    for number, answer in enumerate(STEPS, 1):
        assert f"{number}. " in card and answer in card
    assert chat.state.flow is None
    assert chat.state.plan["reasons"] == STEPS[-1]
    assert chat.state.plan["professionals"] == "Dr Patel, the Samaritans on 116 123"


def test_every_step_of_the_plan_may_be_skipped(chat: Chat, script: Script) -> None:
    chat.state = State(intro_seen=True)
    chat.command("safety")
    chat.text("a long walk")
    for _ in range(6):
        chat.command("skip")
    assert chat.state.plan == {"warning_signs": "a long walk"}


def test_the_plan_is_shown_again_and_changed_one_step_at_a_time(chat: Chat) -> None:
    chat.state = State(intro_seen=True)
    build_plan(chat)
    chat.command("safety")
    assert "Here is your safety plan." in chat.question.text
    assert "my cat, Ana's kids" in chat.question.text
    chat.press("Change it, step by step")
    assert "You wrote: “I stop answering anyone”" in chat.question.text
    chat.press("Keep what I wrote")
    chat.text("a long bath")
    for _ in range(5):
        chat.press("Keep what I wrote")
    assert chat.state.plan["coping"] == "a long bath"
    assert chat.state.plan["warning_signs"] == "I stop answering anyone"
    assert chat.state.plan["reasons"] == STEPS[-1]


def test_keeping_the_plan_as_it_is_changes_nothing(chat: Chat) -> None:
    chat.state = State(intro_seen=True)
    build_plan(chat)
    before = dict(chat.state.plan)
    chat.command("safety")
    chat.press("It's fine as it is")
    assert chat.state.plan == before and chat.state.flow is None


def test_making_a_plan_mid_reflection_sets_it_aside_and_takes_it_up(chat: Chat) -> None:
    chat.command("reflect")
    chat.text("Sam")
    chat.command("safety")
    assert chat.state.flow == "safety"  # no "leave your reflection?" in the way
    chat.command("cancel")
    assert chat.state.flow == "reflect" and chat.state.node == "reflect.kind"
    assert chat.state.data["name"] == "Sam"


def test_a_long_step_of_the_plan_is_shown_whole(chat: Chat) -> None:
    chat.state = State(intro_seen=True)
    chat.command("safety")
    long = "call Jo " * 40
    chat.text(long)
    for _ in range(6):
        chat.command("skip")
    assert long.strip() in chat.last.replies[-1].text  # a number at the end is never cut
