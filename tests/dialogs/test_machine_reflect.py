"""The reflection, step by step and branch by branch, through `step()` on literal values."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from dialogs import (
    Button,
    Command,
    Finish,
    Pick,
    Reply,
    ScheduleAt,
    Script,
    State,
    Text,
    step,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.machine import Chat

AT = datetime(2025, 3, 1, 9, 5, tzinfo=UTC)
"""Five minutes after the literal states from ``at_node`` were last active."""


def kinds(replies: tuple[Reply, ...]) -> list[str]:
    return [r.kind for r in replies]


def buttons_of(reply: Reply) -> list[tuple[str, str]]:
    return [(b.data, b.label) for b in reply.buttons]


# --------------------------------------------------------------------------------------------
# First contact


def test_first_contact_by_start_shows_the_intro_then_asks_for_a_name(script: Script) -> None:
    result = step(State(), Command("start", AT), script)

    assert kinds(result.replies) == ["say", "ask"]
    intro, ask = result.replies
    assert intro.text == script.say("intro")
    assert "I'm not a therapist" in intro.text
    assert ask == Reply(
        text=script.node("reflect.name").prompt,
        kind="ask",
        buttons=(Button("thr:reflect.name:skip:1", "Skip"),),
        free_text=True,
    )
    assert result.state == State(
        flow="reflect",
        node="reflect.name",
        ask=1,
        started_at=AT.isoformat(),
        last_at=AT.isoformat(),
        intro_seen=True,
    )
    assert result.effects == ()


def test_first_contact_by_plain_text_shows_the_intro_and_does_not_take_it_as_a_name(
    script: Script,
) -> None:
    result = step(State(), Text("hello?", AT), script)

    assert kinds(result.replies) == ["say", "ask"]
    assert result.replies[0].text == script.say("intro")
    assert result.state.node == "reflect.name"
    assert result.state.data == {}


def test_the_intro_is_shown_only_once(chat: Chat, script: Script) -> None:
    chat.command("start")
    chat.command("cancel")
    again = chat.command("reflect")
    assert kinds(again.replies) == ["ask"]
    assert again.replies[0].text == script.node("reflect.name").prompt

    chat.command("cancel")
    idle_start = chat.command("start")
    assert kinds(idle_start.replies) == ["ask"]
    assert idle_start.replies[0].text == script.say("menu")
    assert [b.label for b in idle_start.replies[0].buttons] == [o.label for o in script.menu]


def test_start_in_the_middle_of_a_reflection_welcomes_back_and_re_asks(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.kind", data={"name": "Sam"}, trail=("reflect.name",), ask=2)
    result = step(state, Command("start", AT), script)

    assert kinds(result.replies) == ["say", "ask"]
    assert result.replies[0].text == script.say("welcome_back", flow="reflection")
    assert result.replies[1].buttons[0] == Button("thr:reflect.kind:romantic:2", "Romantic")
    assert result.state == replace(state, last_at=AT.isoformat())


def test_a_menu_button_starts_the_reflection(script: Script) -> None:
    idle = State(intro_seen=True, ask=7)
    menu = step(idle, Text("hi", AT), script)
    assert menu.replies[0].text == script.say("menu")
    assert menu.replies[0].buttons[0] == Button(
        "thr:core.menu:reflect:8", "Reflect on a relationship"
    )

    result = step(menu.state, Pick("thr:core.menu:reflect:8", AT), script)
    assert result.state.node == "reflect.name"
    assert kinds(result.replies) == ["ask"]


# --------------------------------------------------------------------------------------------
# Who


def test_a_typed_name_is_kept_and_the_kind_is_asked(script: Script) -> None:
    state = step(State(), Command("start", AT), script).state
    result = step(state, Text("  Sam  ", AT), script)

    assert result.state.data == {"name": "Sam"}
    assert result.state.node == "reflect.kind"
    assert result.state.trail == ("reflect.name",)
    assert kinds(result.replies) == ["ask"]
    assert buttons_of(result.replies[0]) == [
        ("thr:reflect.kind:romantic:2", "Romantic"),
        ("thr:reflect.kind:friendship:2", "Friendship"),
        ("thr:reflect.kind:family:2", "Family"),
        ("thr:reflect.kind:work:2", "Work"),
    ]


@pytest.mark.parametrize(
    "event",
    [
        Pick("thr:reflect.name:skip:1", AT),
        Command("skip", AT),
        Text("skip", AT),
        Text("Skip", AT),
        Text("/skip", AT),
    ],
    ids=["skip-button", "skip-command", "typed-skip", "typed-Skip", "typed-slash-skip"],
)
def test_the_name_can_be_skipped(
    script: Script, at_node: Callable[..., State], event: Text | Pick | Command
) -> None:
    result = step(at_node("reflect.name", ask=1), event, script)

    assert result.replies[0] == Reply("Skipped", kind="answer")
    assert result.state.node == "reflect.kind"
    assert result.state.data == {}
    assert result.state.trail == ("reflect.name",)


def test_a_skipped_name_reads_as_this_person(script: Script, at_node: Callable[..., State]) -> None:
    state = at_node("reflect.kind", ask=2, trail=("reflect.name",))
    result = step(state, Pick("thr:reflect.kind:friendship:2", AT), script)
    assert result.replies[1].text.startswith("What has shifted with this person?")


@pytest.mark.parametrize(
    "event",
    [
        Pick("thr:reflect.kind:friendship:2", AT),
        Text("Friendship", AT),
        Text("  friendship! ", AT),
        Text("friend", AT),
        Text("2", AT),
    ],
    ids=["button", "label", "label-loosely", "alias", "number"],
)
def test_the_kind_is_understood_by_button_label_alias_and_number(
    script: Script, at_node: Callable[..., State], event: Text | Pick
) -> None:
    state = at_node("reflect.kind", data={"name": "Sam"}, trail=("reflect.name",), ask=2)
    result = step(state, event, script)

    assert result.replies[0] == Reply("Friendship", kind="answer")
    assert result.state.data == {"name": "Sam", "kind": "friendship"}
    assert result.state.node == "reflect.signals"
    assert result.state.ask == 3
    assert (
        result.replies[1].text
        == "What has shifted with Sam? Choose everything that fits, then Done."
    )


def test_a_kind_that_is_not_an_option_gets_a_hint(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.kind", data={"name": "Sam"}, ask=2)
    result = step(state, Text("neighbour", AT), script)

    assert kinds(result.replies) == ["notice", "ask"]
    assert result.replies[0].text == script.say("hint_choice")
    assert result.state == replace(state, last_at=AT.isoformat())


# --------------------------------------------------------------------------------------------
# Signals: several choices, then Done

SIGNALS = "reflect.signals"


def test_a_signal_toggles_on_with_a_check_mark(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node(SIGNALS, data={"name": "Sam"}, ask=3)
    result = step(state, Pick("thr:reflect.signals:tone:3", AT), script)

    assert result.state.data["signals"] == ["tone"]
    assert result.state.node == SIGNALS
    assert result.state.ask == 4
    (ask,) = result.replies
    assert ask.kind == "ask"
    assert ask.updates_prompt is True
    assert ask.buttons[0] == Button("thr:reflect.signals:tone:4", "✓ Their tone changed")
    assert ask.buttons[1] == Button("thr:reflect.signals:slow_replies:4", "Slow or no replies")
    assert ask.buttons[-1] == Button("thr:reflect.signals:done:4", "Done")


def test_a_signal_pressed_again_toggles_off(script: Script, at_node: Callable[..., State]) -> None:
    state = at_node(SIGNALS, data={"signals": ["tone", "distance"]}, ask=3)
    result = step(state, Pick("thr:reflect.signals:tone:3", AT), script)

    assert result.state.data["signals"] == ["distance"]
    labels = [b.label for b in result.replies[0].buttons]
    assert "Their tone changed" in labels
    assert "✓ Growing distance" in labels
    assert result.replies[0].updates_prompt is True


def test_signals_can_be_typed_by_name_and_number(chat: Chat) -> None:
    chat.command("start")
    chat.walk_to(SIGNALS)
    chat.text("tone")
    chat.text("4")
    assert chat.state.data["signals"] == ["tone", "distance"]
    chat.text("done")
    assert chat.state.node == "reflect.pattern"


def test_done_with_several_signals_answers_with_their_labels(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node(SIGNALS, data={"signals": ["burden", "tone"]}, ask=3)
    result = step(state, Pick("thr:reflect.signals:done:3", AT), script)

    assert result.replies[0] == Reply(
        "Their tone changed, Makes me feel like a burden", kind="answer"
    )
    assert result.state.node == "reflect.pattern"
    assert result.state.data == {"signals": ["burden", "tone"]}


def test_done_with_nothing_chosen_gives_a_hint_and_stays(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node(SIGNALS, data={"name": "Sam"}, ask=3)
    result = step(state, Pick("thr:reflect.signals:done:3", AT), script)

    assert kinds(result.replies) == ["notice", "ask"]
    assert result.replies[0].text == script.say("hint_multi_empty")
    assert result.state == replace(state, last_at=AT.isoformat())


def test_the_hint_for_done_with_nothing_chosen_only_suggests_what_works(
    script: Script, at_node: Callable[..., State]
) -> None:
    """The hint on the signals question offers no /skip: that question cannot be skipped."""
    state = at_node(SIGNALS, ask=3)
    hint = step(state, Pick("thr:reflect.signals:done:3", AT), script).replies[0].text
    skipped = step(state, Command("skip", AT), script)

    assert skipped.replies[0].text == script.say("not_skippable")
    assert "/skip" not in hint


def test_something_else_leads_to_a_free_text_note(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node(SIGNALS, data={"signals": ["tone", "other"]}, ask=3)
    result = step(state, Pick("thr:reflect.signals:done:3", AT), script)

    assert result.state.node == "reflect.signals_other"
    assert result.replies[-1].text == "In a few words, what else has changed?"
    assert result.replies[-1].free_text is True

    noted = step(result.state, Text("They moved to another city.", AT), script)
    assert noted.state.data["signals_other"] == "They moved to another city."
    assert noted.state.node == "reflect.pattern"


def test_without_something_else_the_note_is_not_asked(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node(SIGNALS, data={"signals": ["tone"]}, ask=3)
    result = step(state, Pick("thr:reflect.signals:done:3", AT), script)
    assert result.state.node == "reflect.pattern"


# --------------------------------------------------------------------------------------------
# Self-respect, and the safety message

SELF = "reflect.self"


def test_none_of_these_clears_the_others(script: Script, at_node: Callable[..., State]) -> None:
    state = at_node(SELF, data={"self": ["draining", "one_sided"]}, ask=15)
    result = step(state, Pick("thr:reflect.self:none:15", AT), script)

    assert result.state.data["self"] == ["none"]
    labels = [b.label for b in result.replies[0].buttons]
    assert labels == ["Draining", "One-sided", "Emotionally abusive", "✓ None of these", "Done"]


def test_choosing_another_after_none_of_these_clears_none(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node(SELF, data={"self": ["none"]}, ask=15)
    result = step(state, Pick("thr:reflect.self:draining:15", AT), script)
    assert result.state.data["self"] == ["draining"]


def test_emotionally_abusive_leads_to_the_safety_message_and_question(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node(SELF, data={"self": ["draining", "abusive"]}, ask=15)
    result = step(state, Pick("thr:reflect.self:done:15", AT), script)

    assert result.state.node == SELF  # the care step is no question of its own
    assert result.state.safety_then == "reflect.begging"
    answer, message, ask = result.replies
    assert answer == Reply("Draining, Emotionally abusive", kind="answer")
    assert message.text.startswith(script.node("reflect.safety").prompt)
    assert script.say("safety") in message.text
    assert ask.text == script.say("safety_question")
    assert [b.data for b in ask.buttons] == [
        "thr:core.safety:safe:16",
        "thr:core.safety:stop:16",
        "thr:core.safety:unsafe:16",
    ]


def test_safe_after_the_safety_message_continues_the_reflection_gently(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node(SELF, data={"self": ["abusive"]}, trail=(SELF,), ask=15)
    asked = step(state, Pick("thr:reflect.self:done:15", AT), script).state
    result = step(asked, Pick("thr:core.safety:safe:16", AT), script)

    assert result.state.node == "reflect.closure"  # "Am I begging…?" judges: left out
    assert result.state.data["self"] == ["abusive"]
    assert result.effects == ()


def test_stop_after_the_safety_message_keeps_the_reflection_to_take_up_later(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node(SELF, data={"name": "Sam", "self": ["abusive"]}, ask=15)
    asked = step(state, Pick("thr:reflect.self:done:15", AT), script).state
    result = step(asked, Pick("thr:core.safety:stop:16", AT), script)

    assert result.effects == ()
    assert kinds(result.replies) == ["answer", "say"]
    assert result.replies[1].text == script.say("safety_stopped")
    assert result.state.flow is None
    assert result.state.paused["node"] == "reflect.begging"
    assert result.state.paused["data"] == {"name": "Sam", "self": ["abusive"]}
    assert result.state.paused["gentle"] is True


def test_typed_stop_at_the_safety_message_also_stops(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node(SELF, data={"self": ["abusive"]}, ask=15)
    asked = step(state, Pick("thr:reflect.self:done:15", AT), script).state
    result = step(asked, Text("stop", AT), script)
    assert result.state.flow is None
    assert result.effects == ()


# --------------------------------------------------------------------------------------------
# Reciprocity rating

RATING = "reflect.reciprocity"


@pytest.mark.parametrize(
    "event",
    [Pick("thr:reflect.reciprocity:4:11", AT), Text("4", AT), Text("4/5", AT), Text("4 of 5", AT)],
    ids=["button", "typed-4", "typed-4/5", "typed-4-of-5"],
)
def test_the_reciprocity_rating_is_understood(
    script: Script, at_node: Callable[..., State], event: Text | Pick
) -> None:
    result = step(at_node(RATING, ask=11), event, script)

    assert result.state.data == {"reciprocity": 4}
    assert result.replies[0] == Reply("4 · mostly shared", kind="answer")
    assert result.state.node == "reflect.reciprocal_note"


@pytest.mark.parametrize("typed", ["7", "0", "four", "4/10", "-1"])
def test_a_rating_outside_one_to_five_gets_a_hint(
    script: Script, at_node: Callable[..., State], typed: str
) -> None:
    state = at_node(RATING, ask=11)
    result = step(state, Text(typed, AT), script)

    assert kinds(result.replies) == ["notice", "ask"]
    assert result.replies[0].text == script.say("hint_rating")
    assert result.state == replace(state, last_at=AT.isoformat())


def test_the_rating_shows_five_buttons(script: Script, at_node: Callable[..., State]) -> None:
    state = at_node("reflect.reciprocal", ask=10)
    result = step(state, Pick("thr:reflect.reciprocal:no:10", AT), script)
    assert [b.label for b in result.replies[1].buttons] == ["1", "2", "3", "4", "5"]


# --------------------------------------------------------------------------------------------
# Decision and follow-up days

FOLLOWUP = "reflect.followup"


def test_the_decision_is_kept_by_button(script: Script, at_node: Callable[..., State]) -> None:
    state = at_node("reflect.decision", ask=19)
    result = step(state, Pick("thr:reflect.decision:boundary:19", AT), script)

    answered, heard, question = result.replies
    assert answered == Reply("Set a boundary", kind="answer")
    boundary = script.node("reflect.decision").option("boundary")
    assert boundary is not None
    assert heard == Reply(boundary.say or "")
    assert result.state.data == {"decision": "boundary"}
    assert result.state.node == FOLLOWUP
    assert question.free_text is True
    assert question.numbers_are_values is True


@pytest.mark.parametrize(
    ("event", "days"),
    [
        (Pick("thr:reflect.followup:d7:20", AT), 7),
        (Text("In a week", AT), 7),
        (Text("10", AT), 10),
        (Text("10 days", AT), 10),
        (Text("90", AT), 90),
    ],
    ids=["button", "label", "typed-10", "typed-10-days", "typed-max"],
)
def test_the_follow_up_days_are_understood(
    script: Script, at_node: Callable[..., State], event: Text | Pick, days: int
) -> None:
    result = step(at_node(FOLLOWUP, data={"decision": "talk"}, ask=20), event, script)

    assert result.state.node == "reflect.offer"
    (finish, schedule) = result.effects
    assert isinstance(finish, Finish)
    assert finish.answers["followup_days"] == days
    assert schedule == ScheduleAt(
        due_at=AT + timedelta(days=days),
        key="checkin:p1",
        kind="checkin_reminder",
        payload={"person_id": "p1"},
    )


def test_a_typed_small_number_of_days_means_days_not_an_option_number(
    script: Script, at_node: Callable[..., State]
) -> None:
    """Typing 3 where days are asked is three days, not the third option (two weeks)."""
    result = step(at_node(FOLLOWUP, ask=20), Text("3", AT), script)
    finish = result.effects[0]
    assert isinstance(finish, Finish)
    assert finish.answers["followup_days"] == 3


@pytest.mark.parametrize("typed", ["200", "0", "91", "a while"])
def test_days_out_of_range_get_a_hint(
    script: Script, at_node: Callable[..., State], typed: str
) -> None:
    state = at_node(FOLLOWUP, ask=20)
    result = step(state, Text(typed, AT), script)

    assert kinds(result.replies) == ["notice", "ask"]
    assert (
        result.replies[0].text == "Please choose an option, or type a number of days from 1 to 90."
    )
    assert result.effects == ()
    assert result.state == replace(state, last_at=AT.isoformat())


# --------------------------------------------------------------------------------------------
# A whole reflection, and what finishing it gives


def test_a_whole_reflection_finishes_with_every_answer(chat: Chat) -> None:
    chat.reflect_on_sam()

    finish, schedule = chat.last.effects
    assert finish == Finish(
        kind="reflection",
        person_id="p1",
        started_at=datetime(2025, 3, 1, 9, 1, tzinfo=UTC),
        finished_at=chat.at,
        answers={
            "name": "Sam",
            "kind": "romantic",
            "signals": ["tone", "slow_replies"],
            "pattern": "pattern",
            "serving": "partly",
            "serving_note": "Some days it still does.",
            "reciprocal": "sometimes",
            "reciprocity": 4,
            "love_or_fear": "fear",
            "self": ["draining"],
            "begging": "sometimes",
            "closure": "I see value in myself.",
            "decision": "let_go",
            "followup_days": 10,
        },
    )
    assert schedule == ScheduleAt(
        due_at=chat.at + timedelta(days=10),
        key="checkin:p1",
        kind="checkin_reminder",
        payload={"person_id": "p1"},
    )


def test_finishing_shows_the_summary_card_and_a_mantra(chat: Chat, script: Script) -> None:
    chat.reflect_on_sam()

    assert kinds(chat.last.replies) == ["answer", "say", "ask"]
    summary = chat.last.replies[1].text
    assert summary.startswith("Here is what you wrote today.")
    lines = summary.splitlines()
    for line in (
        "About Sam · Romantic",
        "What shifted: Their tone changed, Slow or no replies",
        "One-off or pattern: A pattern",
        "Still serving you: Partly",
        "   your note: “Some days it still does.”",
        "Reciprocal: Sometimes",
        "Who carries the effort: 4 of 5 · mostly shared",
        "Love, or fear of being alone: Fear of being alone",
        "The relationship feels: Draining",
        "Begging for love, attention or respect: Sometimes",
        "Your decision: Let go of this connection",
        "I'll check in with you in 10 days.",
        "Your line: “I see value in myself.”",
    ):
        assert line in lines
    (seen,) = chat.state.mantra_seen
    essay = f"From the essay: “{script.mantras[seen]}”"
    assert lines.index("Your line: “I see value in myself.”") < lines.index(essay)
    assert "A line to keep" not in summary


def test_finishing_remembers_the_person_and_offers_mantras(chat: Chat, script: Script) -> None:
    chat.reflect_on_sam()

    assert chat.state.people == (
        {
            "id": "p1",
            "name": "Sam",
            "kind": "romantic",
            "decision": "let_go",
            "last_at": chat.at.isoformat(),
            "words": "I see value in myself.",
            "remind_at": (chat.at + timedelta(days=10)).isoformat(),
        },
    )
    assert chat.state.node == "reflect.offer"
    assert chat.state.data == {}
    assert chat.state.trail == ()
    assert chat.last.replies[-1].text == script.node("reflect.offer").prompt
    assert [b.label for b in chat.last.replies[-1].buttons] == ["Yes, set it up", "No, thanks"]


def test_no_thanks_to_a_follow_up_schedules_nothing(
    script: Script, at_node: Callable[..., State]
) -> None:
    result = step(at_node(FOLLOWUP, ask=20), Pick("thr:reflect.followup:none:20", AT), script)

    (finish,) = result.effects
    assert isinstance(finish, Finish)
    assert finish.answers == {"followup_days": 0}
    assert "I'll check in with you" not in result.replies[1].text


def test_a_second_reflection_is_about_a_new_person(chat: Chat) -> None:
    chat.reflect_on_sam()
    chat.press("No, thanks")
    chat.command("reflect")
    chat.walk_to("reflect.offer")

    finish = next(e for e in chat.last.effects if isinstance(e, Finish))
    assert finish.person_id == "p2"
    assert [p["id"] for p in chat.state.people] == ["p1", "p2"]


def test_the_follow_up_is_due_in_utc_whatever_zone_the_event_came_in(
    script: Script, at_node: Callable[..., State]
) -> None:
    at = datetime(2025, 3, 1, 10, 5, tzinfo=ZoneInfo("Europe/Berlin"))
    result = step(at_node(FOLLOWUP, ask=20), Pick("thr:reflect.followup:d3:20", at), script)

    schedule = result.effects[1]
    assert isinstance(schedule, ScheduleAt)
    assert schedule.due_at == datetime(2025, 3, 4, 9, 5, tzinfo=UTC)
    assert schedule.due_at.utcoffset() == timedelta(0)


def test_a_follow_up_answer_is_dropped_when_its_option_is_unticked_after_back(chat: Chat) -> None:
    chat.command("start")
    chat.text("Sam")
    chat.press("Romantic")
    chat.press("Something else")
    chat.press("Done")
    chat.text("they moved away")
    assert chat.state.data["signals_other"] == "they moved away"
    chat.command("back")
    chat.command("back")
    assert chat.state.node == "reflect.signals"
    chat.press("Something else")
    chat.press("Growing distance")
    chat.press("Done")
    assert chat.state.node == "reflect.pattern"
    assert "signals_other" not in chat.state.data
