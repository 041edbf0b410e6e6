"""The check-in: who it is about, the quick questions, keeping or changing the decision."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from dialogs import Command, Finish, Pick, Reply, Script, State, Text, step

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.machine import Chat

AT = datetime(2025, 3, 1, 9, 5, tzinfo=UTC)
SAM = {
    "id": "p1",
    "name": "Sam",
    "kind": "romantic",
    "decision": "let_go",
    "last_at": "2025-02-01T09:00:00+00:00",
}
ANA = {
    "id": "p2",
    "name": "Ana",
    "kind": "work",
    "decision": "boundary",
    "last_at": "2025-02-20T09:00:00+00:00",
}
KIT = {"id": "p3", "name": None, "kind": "family", "decision": None, "last_at": "2025-01-01"}


def kinds(replies: tuple[Reply, ...]) -> list[str]:
    return [r.kind for r in replies]


def answer_quick_questions(chat: Chat) -> None:
    """From "Anything new?" to the last rating: a note, Yes, Sometimes, 2, love, feeling 3."""
    chat.text("We talked on Sunday.")
    chat.press("Yes")
    chat.press("Sometimes")
    chat.press("2")
    chat.text("love")  # "Love" for a partner, "I care about it" at work: the word fits both
    chat.text("3")


def no_follow_up(chat: Chat) -> None:
    """Answer "Shall I check in with you again?" with No, thanks (the check-in then ends)."""
    assert chat.state.node == "checkin.followup"
    chat.press("No, thanks")


# --------------------------------------------------------------------------------------------
# Who the check-in is about


def test_a_check_in_with_nobody_yet_starts_with_name_and_kind(script: Script) -> None:
    result = step(State(intro_seen=True, ask=4), Command("checkin", AT), script)

    assert result.state.flow == "checkin"
    assert result.state.node == "checkin.name"
    assert result.replies[-1].text == script.node("checkin.name").prompt
    assert result.replies[-1].buttons[-1].data == "thr:checkin.name:skip:5"


def test_a_check_in_with_nobody_yet_says_why_it_asks_who(script: Script) -> None:
    """A check-in with nobody reflected on yet says why it asks who."""
    result = step(State(intro_seen=True, ask=4), Command("checkin", AT), script)
    assert Reply(script.say("no_people")) in result.replies


def test_a_check_in_offers_the_people_newest_first(script: Script) -> None:
    state = State(intro_seen=True, ask=4, people=(SAM, ANA, KIT))
    result = step(state, Command("checkin", AT), script)

    (ask,) = result.replies
    assert ask.text == "Which connection is this check-in about?"
    assert [(b.data, b.label) for b in ask.buttons] == [
        ("thr:checkin.person:p2:5", "Ana (work)"),
        ("thr:checkin.person:p1:5", "Sam (romantic)"),
        ("thr:checkin.person:p3:5", "This person (family)"),
        ("thr:checkin.person:new:5", "Someone new"),
    ]
    assert result.state.node == "checkin.person"


def test_choosing_a_person_carries_their_name_and_last_decision(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("checkin.person", ask=5, people=(SAM, ANA))
    result = step(state, Pick("thr:checkin.person:p1:5", AT), script)

    assert result.replies[0] == Reply("Sam (romantic)", kind="answer")
    assert result.state.data == {
        "person_id": "p1",
        "name": "Sam",
        "kind": "romantic",
        "prev_decision": "let_go",
    }
    assert result.state.node == "checkin.news"
    assert result.replies[1].text == "Anything new with Sam since last time? Write it, or skip."


def test_choosing_a_person_recalls_what_was_written_last_time(
    script: Script, at_node: Callable[..., State]
) -> None:
    sam = {**SAM, "words": "I deserve someone who answers."}
    state = at_node("checkin.person", ask=5, people=(sam, ANA))
    result = step(state, Pick("thr:checkin.person:p1:5", AT), script)

    assert result.replies[1].text == (
        "Last time you wrote: “I deserve someone who answers.”\n\n"
        "Anything new with Sam since last time? Write it, or skip."
    )


def test_someone_new_is_asked_what_has_been_happening_not_what_is_new(chat: Chat) -> None:
    """Someone just added is asked what has been happening, not what is new since last time."""
    chat.state = State(intro_seen=True, people=(SAM,))
    chat.command("checkin")
    chat.press("Someone new")
    chat.text("Mum")
    chat.press("Family")
    assert chat.question.text == "What's been happening with Mum? Write it, or skip."
    assert "since last time" not in chat.question.text


def test_a_person_can_be_chosen_by_typing_their_name(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("checkin.person", ask=5, people=(SAM, ANA))
    result = step(state, Text("sam (romantic)", AT), script)
    assert result.state.data["person_id"] == "p1"


def test_someone_new_asks_name_and_kind(script: Script, at_node: Callable[..., State]) -> None:
    state = at_node("checkin.person", ask=5, people=(SAM,))
    result = step(state, Pick("thr:checkin.person:new:5", AT), script)

    assert result.replies[0] == Reply("Someone new", kind="answer")
    assert result.state.node == "checkin.name"
    assert result.state.data == {"person_id": None}


def test_a_forged_person_id_is_not_applied(script: Script, at_node: Callable[..., State]) -> None:
    state = at_node("checkin.person", ask=5, people=(SAM,))
    result = step(state, Pick("thr:checkin.person:p99:5", AT), script)

    assert result.replies[0] == Reply(script.say("forged_button"), kind="notice")
    assert result.state == replace(state, last_at=AT.isoformat())


def test_start_checkin_deep_link_opens_the_check_in(script: Script) -> None:
    state = State(intro_seen=True, ask=4, people=(SAM,))
    result = step(state, Command("start", AT, "checkin"), script)

    assert result.state.flow == "checkin"
    assert result.state.node == "checkin.person"
    assert kinds(result.replies) == ["ask"]


def test_start_checkin_deep_link_on_first_contact_shows_the_intro(script: Script) -> None:
    result = step(State(), Command("start", AT, "checkin"), script)

    assert result.replies[0].text == script.say("intro")
    assert result.state.intro_seen is True
    assert result.state.node == "checkin.name"


# --------------------------------------------------------------------------------------------
# The quick questions


def test_the_feeling_is_rated_one_to_five(script: Script, at_node: Callable[..., State]) -> None:
    state = at_node("checkin.feeling", ask=9, data={"person_id": "p1", "prev_decision": "talk"})
    result = step(state, Text("2", AT), script)

    assert result.replies[0] == Reply("2 · low", kind="answer")
    assert result.state.data["feeling"] == 2
    assert result.state.node == "checkin.keep"


def test_a_feeling_of_six_gets_a_hint(script: Script, at_node: Callable[..., State]) -> None:
    state = at_node("checkin.feeling", ask=9)
    result = step(state, Text("6", AT), script)
    assert result.replies[0] == Reply(script.say("hint_rating"), kind="notice")
    assert result.state == replace(state, last_at=AT.isoformat())


def test_the_keep_question_names_the_last_decision(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("checkin.feeling", ask=9, data={"person_id": "p1", "prev_decision": "let_go"})
    result = step(state, Pick("thr:checkin.feeling:3:9", AT), script)

    ask = result.replies[-1]
    assert ask.text == ("Last time you chose: Let go of this connection. Keep that, or change it?")
    assert [b.label for b in ask.buttons] == ["Keep it", "Change it"]


# --------------------------------------------------------------------------------------------
# Whole check-ins


def test_a_check_in_that_keeps_the_decision_finishes_with_it(chat: Chat) -> None:
    chat.state = State(intro_seen=True, people=(SAM, ANA))
    chat.command("checkin")
    chat.press("Sam (romantic)")
    answer_quick_questions(chat)
    chat.press("Keep it")
    no_follow_up(chat)

    (finish,) = chat.last.effects
    assert finish == Finish(
        kind="checkin",
        person_id="p1",
        started_at=datetime(2025, 3, 1, 9, 1, tzinfo=UTC),
        finished_at=chat.at,
        answers={
            "name": "Sam",
            "kind": "romantic",
            "news": "We talked on Sunday.",
            "serving": "yes",
            "reciprocal": "sometimes",
            "reciprocity": 2,
            "love_or_fear": "love",
            "feeling": 3,
            "keep": "keep",
            "followup_days": 0,
            "decision": "let_go",
        },
    )
    assert (chat.state.flow, chat.state.node) == (None, None)


def test_a_check_in_that_changes_the_decision_asks_for_the_new_one(chat: Chat) -> None:
    chat.state = State(intro_seen=True, people=(SAM, ANA))
    chat.command("checkin")
    chat.press("Sam (romantic)")
    answer_quick_questions(chat)
    chat.press("Change it")
    assert chat.state.node == "checkin.decision"
    chat.press("Have an honest talk")
    no_follow_up(chat)

    (finish,) = chat.last.effects
    assert isinstance(finish, Finish)
    assert finish.person_id == "p1"
    assert finish.answers["keep"] == "change"
    assert finish.answers["decision"] == "talk"


def test_a_check_in_updates_the_person_without_duplicating_them(chat: Chat) -> None:
    chat.state = State(intro_seen=True, people=(SAM, ANA))
    chat.command("checkin")
    chat.press("Sam (romantic)")
    answer_quick_questions(chat)
    chat.press("Change it")
    chat.press("Set a boundary")
    no_follow_up(chat)

    assert chat.state.people == (
        ANA,
        {
            "id": "p1",
            "name": "Sam",
            "kind": "romantic",
            "decision": "boundary",
            "last_at": chat.at.isoformat(),
            "words": "We talked on Sunday.",
        },
    )


def test_a_check_in_shows_its_card_and_a_mantra(chat: Chat, script: Script) -> None:
    chat.state = State(intro_seen=True, people=(SAM,))
    chat.command("checkin")
    chat.press("Sam (romantic)")
    answer_quick_questions(chat)
    chat.press("Keep it")
    no_follow_up(chat)

    assert kinds(chat.last.replies) == ["answer", "say"]
    card = chat.last.replies[1].text
    assert card.startswith("Thank you for checking in about Sam.")
    for line in (
        "About Sam · Romantic",
        "What's new, in your words: “We talked on Sunday.”",
        "Still serving you: Yes",
        "Reciprocal: Sometimes",
        "Who carries the effort: 2 of 5 · mostly me",
        "Love, or fear of being alone: Love",
        "How you feel: 3 of 5 · so-so",
        "Your decision: Let go of this connection",
    ):
        assert line in card.splitlines()
    assert "Check-in saved." not in card
    (seen,) = chat.state.mantra_seen
    assert f"“{script.mantras[seen]}”" in card


def test_a_check_in_about_someone_new_adds_a_person(chat: Chat) -> None:
    chat.state = State(intro_seen=True, people=(SAM,))
    chat.command("checkin")
    chat.press("Someone new")
    chat.text("Jo")
    chat.press("Friendship")
    answer_quick_questions(chat)

    no_follow_up(chat)

    (finish,) = chat.last.effects
    assert isinstance(finish, Finish)
    assert finish.person_id == "p2"
    assert finish.answers["name"] == "Jo"
    assert "keep" not in finish.answers
    assert "decision" not in finish.answers
    assert [p["id"] for p in chat.state.people] == ["p1", "p2"]
    assert chat.state.people[1]["name"] == "Jo"


def test_a_check_in_with_nobody_yet_finishes_with_a_first_person(chat: Chat) -> None:
    chat.state = State(intro_seen=True)
    chat.command("checkin")
    chat.command("skip")
    chat.press("Family")
    answer_quick_questions(chat)

    no_follow_up(chat)

    (finish,) = chat.last.effects
    assert isinstance(finish, Finish)
    assert finish.kind == "checkin"
    assert finish.person_id == "p1"
    assert finish.answers["kind"] == "family"
    assert chat.state.people[0]["id"] == "p1"
    assert chat.state.people[0]["name"] is None


def test_a_check_in_about_a_person_without_a_decision_skips_the_keep_question(
    chat: Chat,
) -> None:
    chat.state = State(intro_seen=True, people=(KIT,))
    chat.command("checkin")
    chat.press("This person (family)")
    answer_quick_questions(chat)

    no_follow_up(chat)

    (finish,) = chat.last.effects
    assert isinstance(finish, Finish)
    assert finish.person_id == "p3"
    assert "keep" not in finish.answers


def test_back_to_someone_new_forgets_the_person_chosen_before(chat: Chat) -> None:
    """Going back from Sam to "Someone new" forgets Sam's decision: the new person is not asked
    "Last time you chose: …", and inherits nothing."""
    chat.state = State(intro_seen=True, people=(SAM,))
    chat.command("checkin")
    chat.press("Sam (romantic)")
    chat.command("back")
    chat.press("Someone new")
    chat.text("Jo")
    chat.press("Work")
    answer_quick_questions(chat)

    assert chat.state.node != "checkin.keep"
    no_follow_up(chat)
    finish = next(e for e in chat.last.effects if isinstance(e, Finish))
    assert finish.person_id == "p2"
    assert "decision" not in finish.answers


def test_a_person_can_be_chosen_by_typing_just_their_name(chat: Chat) -> None:
    chat.reflect_on_sam()
    chat.press("No, thanks")
    chat.command("checkin")
    chat.text("sam")
    assert chat.state.node == "checkin.news"
    assert chat.state.data["person_id"] == "p1"
