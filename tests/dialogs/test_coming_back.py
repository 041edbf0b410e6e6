"""Coming back to things: a note reached again with /back, a reminder asked for before, a menu
left open, an offer already taken up. Each test names the bug it guards against."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from dialogs import Cancel, Command, Finish, Pick, Reply, ScheduleAt, State, Text, step

if TYPE_CHECKING:
    from collections.abc import Callable

    from dialogs import Script
    from tests.support.machine import Chat

AT = datetime(2025, 3, 1, 9, 5, tzinfo=UTC)
SAM = {"id": "p1", "name": "Sam", "kind": "romantic", "decision": "talk", "last_at": "2025-02-01"}


# --------------------------------------------------------------------------------------------
# A note reached again with /back


def back_to_the_note(chat: Chat) -> None:
    chat.command("reflect")
    chat.walk_to("reflect.serving_note")
    chat.text("Some days it still does.")
    chat.command("back")
    assert chat.state.node == "reflect.serving_note"


def test_back_to_a_note_shows_what_was_written(chat: Chat, script: Script) -> None:
    back_to_the_note(chat)
    question = chat.question
    assert "You wrote: “Some days it still does.”" in question.text
    assert [b.label for b in question.buttons] == [
        script.say("keep_label"),
        script.say("clear_label"),
    ]


def test_skip_on_a_note_written_before_keeps_it_instead_of_deleting_it(chat: Chat) -> None:
    back_to_the_note(chat)
    chat.command("skip")
    assert chat.state.data["serving_note"] == "Some days it still does."
    assert chat.last.replies[0] == Reply("Kept what you wrote", kind="answer")
    assert chat.state.node == "reflect.reciprocal"


def test_keep_on_a_note_written_before_keeps_it(chat: Chat) -> None:
    back_to_the_note(chat)
    chat.press("Keep what I wrote")
    assert chat.state.data["serving_note"] == "Some days it still does."


def test_clear_on_a_note_written_before_clears_it(chat: Chat) -> None:
    back_to_the_note(chat)
    chat.press("Clear it")
    assert "serving_note" not in chat.state.data
    assert chat.state.node == "reflect.reciprocal"


def test_typing_again_on_a_note_written_before_replaces_it(chat: Chat) -> None:
    back_to_the_note(chat)
    chat.text("Fewer days than before.")
    assert chat.state.data["serving_note"] == "Fewer days than before."


def test_back_to_a_choice_marks_the_one_chosen(chat: Chat) -> None:
    chat.command("reflect")
    chat.walk_to("reflect.pattern")
    chat.press("A pattern")
    chat.command("back")
    assert "✓ A pattern" in [b.label for b in chat.question.buttons]


# --------------------------------------------------------------------------------------------
# Reminders


def test_a_check_in_that_decides_to_let_go_leaves_no_reminder_pending(chat: Chat) -> None:
    """A check-in that decides to let go, and asks for no reminder, leaves none pending."""
    remind = (AT + timedelta(days=3)).isoformat()
    chat.state = State(intro_seen=True, people=({**SAM, "remind_at": remind},))
    chat.command("checkin")
    chat.press("Sam (romantic)")
    chat.walk_to("checkin.keep")
    chat.press("Change it")
    chat.press("Let go of this connection")
    chat.press("No, thanks")
    assert Cancel("checkin:p1") in chat.last.effects
    assert "remind_at" not in chat.state.people[-1]


def test_finishing_a_check_in_replaces_the_reflections_reminder(chat: Chat) -> None:
    """A check-in's reminder replaces the one asked for before (one reminder per person)."""
    remind = (AT + timedelta(days=3)).isoformat()
    chat.state = State(intro_seen=True, people=({**SAM, "remind_at": remind},))
    chat.command("checkin")
    chat.press("Sam (romantic)")
    chat.walk_to("checkin.followup")
    chat.press("In two weeks")
    (schedule,) = [e for e in chat.last.effects if isinstance(e, ScheduleAt)]
    assert schedule.key == "checkin:p1"  # the same key: the store moves the one reminder
    assert schedule.due_at == chat.at + timedelta(days=14)
    assert not any(isinstance(e, Cancel) for e in chat.last.effects)


def test_turning_mantras_off_says_reminders_still_come_when_one_is_due(
    script: Script, at_node: Callable[..., State]
) -> None:
    """Turning mantras off says check-in reminders still come, when one is due."""
    remind = (AT + timedelta(days=3)).isoformat()
    state = at_node(
        "mantras.menu",
        mantras={"enabled": True, "time": "09:00", "tz": "UTC", "days": "daily"},
        people=({**SAM, "remind_at": remind},),
        ask=4,
    )
    said = step(state, Pick("thr:mantras.menu:off:4", AT), script).replies[-1].text
    assert script.say("reminders_still_come").strip() in said
    assert "Nothing more will be sent" not in said
    state = at_node("mantras.menu", mantras={"enabled": True}, people=(SAM,), ask=4)
    said = step(state, Pick("thr:mantras.menu:off:4", AT), script).replies[-1].text
    assert script.say("reminders_still_come").strip() not in said


def test_stop_under_a_mantra_says_reminders_still_come_when_one_is_due(script: Script) -> None:
    remind = (AT + timedelta(days=3)).isoformat()
    state = State(
        intro_seen=True, mantras={"enabled": True}, people=({**SAM, "remind_at": remind},)
    )
    result = step(state, Pick("thr:core.mantra:stop:29000000", AT), script)
    assert script.say("reminders_still_come").strip() in result.replies[-1].text


# --------------------------------------------------------------------------------------------
# Numbers of days, offers, menus left open


def test_typing_3_on_the_check_in_question_means_three_days_not_the_third_choice(
    script: Script, at_node: Callable[..., State]
) -> None:
    """Where a number of days is asked, a typed number is days, never a choice's position."""
    for typed, days in (("3", 3), ("5", 5)):
        result = step(at_node("reflect.followup"), Text(typed, AT), script)
        (finish,) = [e for e in result.effects if isinstance(e, Finish)]
        assert finish.answers["followup_days"] == days
    assert result.replies[0] == Reply("In 5 days", kind="answer")
    question = step(
        at_node("reflect.decision", ask=5), Pick("thr:reflect.decision:talk:5", AT), script
    )
    assert question.replies[-1].numbers_are_values is True


def test_the_mantra_offer_is_not_made_again_when_mantras_are_on(chat: Chat) -> None:
    """The mantra offer at the end of a reflection is not made to someone who has them on."""
    chat.state = State(intro_seen=True, mantras={"enabled": True, "time": "09:00", "tz": "UTC"})
    chat.command("reflect")
    chat.walk_to("reflect.followup")
    chat.press("No, thanks")
    assert chat.state.flow is None
    assert not any(b.data.startswith("thr:reflect.offer") for b in chat.all_buttons())


def test_a_mantras_menu_left_open_hours_ago_does_not_hold_up_a_check_in(chat: Chat) -> None:
    """A /mantras menu left open holds up nothing: there is nothing in it to lose."""
    chat.state = State(intro_seen=True, people=(SAM,))
    chat.command("mantras")
    chat.command("checkin", after=timedelta(hours=5))
    assert chat.state.flow == "checkin"
    assert chat.state.node == "checkin.person"
    assert chat.state.switch_to is None


def test_a_reflection_with_answers_still_asks_before_switching(chat: Chat) -> None:
    chat.command("reflect")
    chat.text("Sam")
    chat.command("checkin")
    assert chat.state.flow == "reflect"
    assert chat.state.switch_to == "checkin"


def test_a_check_in_reminder_can_be_answered_in_words(script: Script) -> None:
    result = step(State(intro_seen=True, people=(SAM,)), Text("check in now", AT), script)
    assert result.state.flow == "checkin"


def test_a_deep_link_command_with_the_flow_open_welcomes_back(script: Script) -> None:
    state = State(intro_seen=True)
    begun = step(state, Command("reflect", AT), script).state
    again = step(begun, Command("reflect", AT + timedelta(hours=13)), script)
    assert again.replies[0].text.startswith("Welcome back")
