"""Commands in and out of a flow: /back, /cancel, /skip, /help, /history, switching, resuming."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from dialogs import (
    Command,
    ExportData,
    Pick,
    Reply,
    Script,
    ShowHistory,
    State,
    Text,
    step,
)
from dialogs.endings import MAX_PEOPLE

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
# /back


def test_back_at_the_first_question_says_there_is_nothing_before_it(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.name", ask=1)
    result = step(state, Command("back", AT), script)

    assert kinds(result.replies) == ["notice", "ask"]
    assert result.replies[0].text == script.say("first_question")
    assert result.state == replace(state, last_at=AT.isoformat())


def test_back_in_the_middle_re_asks_the_previous_question_keeping_answers(
    script: Script, at_node: Callable[..., State]
) -> None:
    data = {"name": "Sam", "kind": "work", "signals": ["tone"], "pattern": "pattern"}
    trail = ("reflect.name", "reflect.kind", "reflect.signals", "reflect.pattern")
    state = at_node("reflect.serving", data=data, trail=trail, ask=8)
    result = step(state, Command("back", AT), script)

    assert result.state.node == "reflect.pattern"
    assert result.state.trail == trail[:-1]
    assert result.state.data == data
    assert result.state.ask == 9
    (ask,) = result.replies
    assert ask.text == script.node("reflect.pattern").prompt
    assert ask.buttons[0].data == "thr:reflect.pattern:one_off:9"

    twice = step(result.state, Command("back", AT), script)
    assert twice.state.node == "reflect.signals"
    assert "✓ Their tone changed" in [b.label for b in twice.replies[0].buttons]


def test_back_then_a_new_answer_replaces_the_old_one(chat: Chat) -> None:
    chat.command("start")
    chat.walk_to("reflect.signals")
    chat.command("back")
    assert chat.state.node == "reflect.kind"
    chat.press("Family")
    assert chat.state.data["kind"] == "family"
    assert chat.state.trail == ("reflect.name", "reflect.kind")


def test_back_after_finishing_cannot_undo_the_saved_reflection(chat: Chat, script: Script) -> None:
    chat.reflect_on_sam()
    result = chat.command("back")

    assert kinds(result.replies) == ["notice", "ask"]
    assert result.replies[0].text == script.say("first_question")
    assert result.state.node == "reflect.offer"
    assert result.effects == ()


def test_back_when_idle_has_nothing_to_go_back_to(script: Script) -> None:
    result = step(State(intro_seen=True), Command("back", AT), script)
    assert result.replies == (Reply(script.say("nothing_to_back")),)


# --------------------------------------------------------------------------------------------
# /cancel, /skip, /help, /history, /export, unknown commands


def test_cancel_mid_flow_with_answers_asks_once_before_dropping_them(
    script: Script, at_node: Callable[..., State]
) -> None:
    """A half-done reflection is not thrown away without asking once."""
    state = at_node("reflect.pattern", data={"name": "Sam"}, trail=("reflect.name",), ask=7)
    asked = step(state, Command("cancel", AT), script)

    (question,) = asked.replies
    assert question.text == script.say("cancel_confirm", flow="reflection")
    assert [b.data for b in question.buttons] == ["thr:core.cancel:yes:8", "thr:core.cancel:no:8"]
    assert asked.state.data["name"] == "Sam"

    result = step(asked.state, Command("cancel", AT), script)  # asked once: twice is an answer
    assert result.replies == (Reply(script.say("cancelled", flow="reflection")),)
    assert result.effects == ()
    assert result.state == State(ask=8, last_at=AT.isoformat(), intro_seen=True)


def test_cancel_confirmed_by_its_button_drops_the_answers(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.pattern", data={"name": "Sam"}, trail=("reflect.name",), ask=7)
    asked = step(state, Command("cancel", AT), script).state
    result = step(asked, Pick("thr:core.cancel:yes:8", AT), script)
    assert result.replies[-1] == Reply(script.say("cancelled", flow="reflection"))
    assert result.state.flow is None


def test_no_to_the_cancel_question_goes_on_where_it_was(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.pattern", data={"name": "Sam"}, trail=("reflect.name",), ask=7)
    asked = step(state, Command("cancel", AT), script).state
    result = step(asked, Text("no", AT), script)
    assert result.state.node == "reflect.pattern"
    assert result.state.data == {"name": "Sam"}
    assert result.replies[-1].text == script.node("reflect.pattern").prompt


def test_cancel_with_nothing_answered_yet_stops_at_once(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.name", ask=7)
    result = step(state, Command("cancel", AT), script)
    assert result.replies == (Reply(script.say("cancelled", flow="reflection")),)
    assert result.state.flow is None


def test_a_stale_cancel_button_changes_nothing(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.pattern", data={"name": "Sam"}, ask=7)
    result = step(state, Pick("thr:core.cancel:yes:3", AT), script)
    assert result.replies[0] == Reply(script.say("stale_button"), kind="notice")
    assert result.state.flow == "reflect"


def test_cancel_when_idle_says_there_is_nothing_to_cancel(script: Script) -> None:
    state = State(intro_seen=True, ask=3)
    result = step(state, Command("cancel", AT), script)
    assert result.replies == (Reply(script.say("nothing_to_cancel")),)
    assert result.state == replace(state, last_at=AT.isoformat())


def test_skip_on_a_required_question_says_it_needs_an_answer(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.kind", ask=2)
    result = step(state, Command("skip", AT), script)

    assert kinds(result.replies) == ["notice", "ask"]
    assert result.replies[0].text == script.say("not_skippable")
    assert result.state == replace(state, last_at=AT.isoformat())


def test_skip_when_idle_has_nothing_to_skip(script: Script) -> None:
    result = step(State(intro_seen=True), Command("skip", AT), script)
    assert result.replies == (Reply(script.say("nothing_to_skip")),)


def test_help_when_idle_lists_the_commands(script: Script) -> None:
    result = step(State(intro_seen=True), Command("help", AT), script)
    assert result.replies == (Reply(script.say("help")),)
    assert "/reflect" in result.replies[0].text


def test_help_in_a_flow_also_explains_back_and_skip(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.kind", ask=2)
    result = step(state, Command("help", AT), script)
    help_text, in_flow, question = result.replies
    assert (help_text, in_flow) == (Reply(script.say("help")), Reply(script.say("help_in_flow")))
    assert question.kind == "ask"  # the question stays in view, its buttons still current
    assert question.text == script.node("reflect.kind").prompt
    assert result.state == replace(state, last_at=AT.isoformat())


@pytest.mark.parametrize(
    ("arg", "page"), [("", 0), ("1", 0), ("2", 1), ("junk", 0), ("0", 0), ("-3", 0)]
)
def test_history_asks_the_service_for_a_page(script: Script, arg: str, page: int) -> None:
    state = State(intro_seen=True)
    result = step(state, Command("history", AT, arg), script)
    assert result.effects == (ShowHistory(page=page),)
    assert result.state == replace(state, last_at=AT.isoformat())


def test_history_with_a_superscript_digit_is_read_as_the_first_page(script: Script) -> None:
    """A superscript digit is no page number: the first page is shown."""
    result = step(State(intro_seen=True), Command("history", AT, "²"), script)
    assert result.effects == (ShowHistory(page=0),)


def test_history_in_a_flow_leaves_the_flow_where_it_is(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.kind", ask=2)
    result = step(state, Command("history", AT), script)
    assert result.effects == (ShowHistory(page=0),)
    assert result.state == replace(state, last_at=AT.isoformat())


def test_export_asks_the_service_for_the_data(script: Script) -> None:
    result = step(State(intro_seen=True), Command("export", AT), script)
    assert result.effects == (ExportData(),)


def test_an_unknown_command_is_named_and_the_question_re_asked(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.kind", ask=2)
    result = step(state, Command("frobnicate", AT), script)

    assert kinds(result.replies) == ["notice", "ask"]
    assert result.replies[0].text == "I don't know /frobnicate. /help lists what I can do."
    assert result.replies[1].buttons[0].data == "thr:reflect.kind:romantic:2"
    assert result.state == replace(state, last_at=AT.isoformat())


def test_commands_are_read_case_insensitively(
    script: Script, at_node: Callable[..., State]
) -> None:
    result = step(at_node("reflect.pattern", ask=7), Command("CANCEL", AT), script)
    assert result.state.flow is None


# --------------------------------------------------------------------------------------------
# Switching flows


def test_reflect_during_a_check_in_asks_whether_to_switch(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("checkin.serving", data={"person_id": "p1", "name": "Sam"}, ask=4)
    result = step(state, Command("reflect", AT), script)

    (ask,) = result.replies
    assert ask.kind == "ask"
    assert ask.text == script.say("switch", flow="check-in", new_flow="reflection")
    assert ask.text.startswith("We're in the middle of your check-in.")
    assert buttons_of(ask) == [
        ("thr:core.switch:go_on:5", "Go on where I was"),
        ("thr:core.switch:new:5", "Start the reflection"),
    ]
    assert result.state.node == "checkin.serving"
    assert result.state.ask == 5


def test_go_on_after_a_switch_prompt_re_asks_the_open_question(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("checkin.serving", data={"person_id": "p1", "name": "Sam"}, ask=4)
    switched = step(state, Command("reflect", AT), script).state
    result = step(switched, Pick("thr:core.switch:go_on:5", AT), script)

    assert result.state.flow == "checkin"
    assert result.state.node == "checkin.serving"
    assert result.state.data == {"person_id": "p1", "name": "Sam"}
    assert result.replies[0].text == "Is this connection still serving me?"
    assert result.replies[0].buttons[0].data == "thr:checkin.serving:yes:6"


def test_start_new_after_a_switch_prompt_leaves_the_check_in(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("checkin.serving", data={"person_id": "p1", "name": "Sam"}, ask=4)
    switched = step(state, Command("reflect", AT), script).state
    result = step(switched, Pick("thr:core.switch:new:5", AT), script)

    assert result.state.flow == "reflect"
    assert result.state.node == "reflect.name"
    assert result.state.data == {}
    assert result.effects == ()
    assert kinds(result.replies) == ["ask"]


def test_reflect_during_a_reflection_welcomes_back(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.kind", ask=2)
    later = AT + timedelta(hours=13)  # away since the morning
    result = step(state, Command("reflect", later), script)
    assert result.replies[0].text == script.say("welcome_back", flow="reflection")
    assert result.state == replace(state, last_at=later.isoformat())


def test_reflect_typed_again_a_minute_in_says_we_are_already_there_not_welcome_back(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = replace(at_node("reflect.kind", ask=2), last_at=(AT - timedelta(minutes=1)).isoformat())
    result = step(state, Command("reflect", AT), script)
    assert result.replies[0].text == script.say("already_in", flow="reflection")
    assert result.replies[1].text == script.node("reflect.kind").prompt


# --------------------------------------------------------------------------------------------
# Picking up after a long silence


def test_text_after_more_than_12_hours_re_asks_instead_of_answering(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.kind", data={"name": "Sam"}, ask=2)
    later = datetime.fromisoformat(state.last_at or "") + timedelta(hours=12, minutes=1)
    result = step(state, Text("Friendship", later), script)

    assert kinds(result.replies) == ["say", "ask"]
    assert result.replies[0].text == script.say("welcome_back", flow="reflection")
    assert result.replies[1].buttons[0].data == "thr:reflect.kind:romantic:2"
    assert result.state == replace(state, last_at=later.isoformat())

    answered = step(result.state, Text("Friendship", later + timedelta(minutes=1)), script)
    assert answered.state.data == {"name": "Sam", "kind": "friendship"}


def test_text_within_12_hours_is_taken_as_the_answer(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.kind", ask=2)
    later = datetime.fromisoformat(state.last_at or "") + timedelta(hours=12)
    result = step(state, Text("Friendship", later), script)
    assert result.state.data == {"kind": "friendship"}


def test_a_current_button_after_a_long_silence_still_applies(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.kind", ask=2)
    later = datetime.fromisoformat(state.last_at or "") + timedelta(days=5)
    result = step(state, Pick("thr:reflect.kind:family:2", later), script)
    assert result.state.data == {"kind": "family"}
    assert result.state.node == "reflect.signals"


def test_a_typed_number_at_the_switch_prompt_answers_the_switch(chat: Chat) -> None:
    chat.command("checkin")
    chat.text("Sam")
    chat.command("reflect")
    assert chat.state.switch_to == "reflect"
    chat.text("2")
    assert chat.state.flow == "reflect"
    assert chat.state.node == "reflect.name"


def test_the_people_a_state_remembers_are_bounded(chat: Chat) -> None:
    for _ in range(30):
        chat.command("reflect")
        chat.walk_to("reflect.offer")
        chat.press("No, thanks")
    assert len(chat.state.people) == MAX_PEOPLE == 8
    assert chat.state.people[-1]["id"] == "p30"


def test_the_commands_the_content_lists_are_the_ones_the_machine_answers(script: Script) -> None:
    from dialogs.commands import HANDLERS

    assert {c.name for c in script.commands} == set(HANDLERS)
    listed = {c.name for c in script.menu_commands()}
    assert listed <= set(HANDLERS)
    for command in script.commands:  # /help names every command it describes, and no other
        assert (f"/{command.name} — " in script.say("help")) == bool(command.help)
    assert set(script.words.values()) <= set(HANDLERS)
