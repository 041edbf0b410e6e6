"""Questions that fit the relationship, in one voice: wording by kind of connection, the essay's
three questions kept in its words for every kind, and workplace help for workplace harm."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from dialogs import Pick, Reply, Text, step
from dialogs.script import CONNECTIONS as KINDS

if TYPE_CHECKING:
    from collections.abc import Callable

    from dialogs import Script, State
    from tests.support.machine import Chat

AT = datetime(2025, 3, 1, 9, 5, tzinfo=UTC)
ESSAY_QUESTIONS = {
    "serving": "Is this connection still serving me?",
    "reciprocal": "Is it reciprocal?",
    "love_or_fear": "Am I staying because of love — or out of fear of being alone?",
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("flow", ["reflect", "checkin"])
def test_the_essays_three_questions_are_in_its_words_for_every_kind(
    script: Script, kind: str, flow: str
) -> None:
    for store, question in ESSAY_QUESTIONS.items():
        node = script.node(f"{flow}.{store}").for_kind(kind)
        assert node.prompt.endswith(question), (flow, kind, store)


def test_a_manager_is_not_asked_about_emotional_unavailability(script: Script) -> None:
    labels = [o.label for o in script.node("reflect.signals").for_kind("work").options]
    assert "Emotionally unavailable" not in labels
    assert "Makes me feel like a burden" not in labels
    romantic = [o.label for o in script.node("reflect.signals").for_kind("romantic").options]
    assert "Emotionally unavailable" in romantic


def test_at_work_love_or_fear_offers_needing_the_job(script: Script) -> None:
    work = script.node("reflect.love_or_fear").for_kind("work")
    assert "Fear of being alone" not in [o.label for o in work.options]
    assert work.option("need") is not None
    assert "the work or the people in it" in work.prompt


def test_at_work_abuse_is_named_as_bullying_and_harassment(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.self", data={"kind": "work"})
    question = step(state, Text("?!", AT), script).replies[-1]
    assert "Hostile or demeaning (bullying, harassment)" in [b.label for b in question.buttons]


def test_workplace_mistreatment_gets_workplace_help_beside_the_general_resources(
    chat: Chat, script: Script
) -> None:
    chat.command("reflect")
    chat.text("Dana")
    chat.press("Work")
    chat.walk_to("reflect.self")
    chat.press("Hostile or demeaning (bullying, harassment)")
    chat.press("Done")
    shown = "\n".join(r.text for r in chat.last.replies)
    assert chat.state.safety_then == "reflect.begging"
    assert script.say("work_help") in shown
    assert script.say("safety") in shown
    assert "HR" in shown and "union" in shown


def test_a_worrying_note_in_a_work_reflection_gets_workplace_help_too(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.serving_note", data={"kind": "work"})
    result = step(state, Text("my boss threatened to hurt me", AT), script)
    assert script.say("work_help") in result.replies[0].text
    state = at_node("reflect.serving_note", data={"kind": "romantic"})
    result = step(state, Text("he threatened to hurt me", AT), script)
    assert script.say("work_help") not in result.replies[0].text


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        ("romantic", "Let go of this connection"),
        ("friendship", "Let go of this connection"),
        ("family", "Step back from this relationship"),
        ("work", "Move on (another team or job)"),
    ],
)
def test_letting_go_is_worded_for_the_kind_and_nobody_can_misread_it(
    script: Script, kind: str, label: str
) -> None:
    node = script.node("reflect.decision").for_kind(kind)
    option = node.option("let_go")
    assert option is not None and option.label == label
    assert "Hold the door open" not in option.label


def test_a_decision_is_acknowledged_as_the_big_thing_it_is(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.decision", data={"kind": "family"}, ask=5)
    result = step(state, Pick("thr:reflect.decision:let_go:5", AT), script)
    echoed, heard, _ = result.replies
    assert echoed == Reply("Step back from this relationship", kind="answer")
    assert "hardest things to choose" in heard.text


def test_a_choice_made_in_a_work_variant_reads_as_worded_on_the_card(chat: Chat) -> None:
    chat.command("reflect")
    chat.text("Dana")
    chat.press("Work")
    chat.walk_to("reflect.love_or_fear")
    chat.press("Neither — I need the job")
    chat.walk_to("reflect.decision")
    chat.press("Move on (another team or job)")
    chat.press("No, thanks")
    card = next(r.text for r in chat.last.replies if r.text.startswith("Here is what you"))
    assert "About Dana · Work" in card
    assert "Love, or fear of being alone: Neither — I need the job" in card
    assert "Your decision: Move on (another team or job)" in card


# --------------------------------------------------------------------------------------------
# One voice


def test_the_scale_shows_its_meaning_when_echoed(
    script: Script, at_node: Callable[..., State]
) -> None:
    result = step(
        at_node("reflect.reciprocity", ask=5), Pick("thr:reflect.reciprocity:1:5", AT), script
    )
    assert result.replies[0] == Reply("1 · almost all me", kind="answer")


def test_nothing_the_bot_says_tells_anyone_to_press_or_tap(script: Script) -> None:
    platform_only = {"private_only"}  # shown only in a Telegram group, which has buttons to tap
    texts = [t for k, t in script.messages.items() if k not in platform_only]
    texts += [n.prompt for node in script.nodes.values() for n in node.variants()]
    for text in texts:
        assert " press " not in f" {text.casefold()} ", text
        assert " tap " not in f" {text.casefold()} ", text


def test_the_essay_is_introduced_once_at_the_first_reflection(chat: Chat, script: Script) -> None:
    chat.reflect_on_sam()
    said = [r.text for s in chat.steps for r in s.replies]
    assert sum("The questions come from an essay" in t for t in said) == 1
    assert not any("The essay asks three questions" in t for t in said)
    chat.press("No, thanks")
    chat.command("reflect")
    chat.walk_to("reflect.serving")
    assert "If someone is trying to lose you" not in chat.question.text


def test_begging_is_asked_without_shame(script: Script) -> None:
    prompt = script.node("reflect.begging").prompt
    assert "no shame" in prompt
    assert prompt.endswith("Am I begging for love, attention or respect?")


def test_the_summary_speaks_to_you_as_the_questions_speak_as_you(chat: Chat) -> None:
    chat.reflect_on_sam()
    card = chat.last.replies[1].text
    assert "Still serving you:" in card and "Your decision:" in card and "Your line:" in card
    assert "serving me" not in card
