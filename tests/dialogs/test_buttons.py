"""Buttons: stale, doubled, forged and finished ones never change answers; ids fit 64 bytes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from dialogs import (
    JSON,
    Command,
    Finish,
    ForgetUser,
    Pick,
    Reply,
    Script,
    SetMantras,
    ShowMantras,
    State,
    step,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.machine import Chat

AT = datetime(2025, 3, 1, 9, 5, tzinfo=UTC)
TELEGRAM_LIMIT = 64


def kinds(replies: tuple[Reply, ...]) -> list[str]:
    return [r.kind for r in replies]


@pytest.fixture
def at_pattern(at_node: Callable[..., State]) -> State:
    """Halfway through a reflection: the one-off-or-pattern question, shown as ask 7."""
    return at_node(
        "reflect.pattern",
        data={"name": "Sam", "kind": "romantic", "signals": ["tone"]},
        trail=("reflect.name", "reflect.kind", "reflect.signals"),
        ask=7,
    )


# --------------------------------------------------------------------------------------------
# Stale buttons


@pytest.mark.parametrize(
    "data",
    [
        "thr:reflect.kind:friendship:2",
        "thr:reflect.signals:distance:4",
        "thr:reflect.pattern:one_off:6",
        "thr:reflect.name:skip:1",
    ],
    ids=["earlier-question", "earlier-toggle", "same-question-older-ask", "earlier-skip"],
)
def test_a_stale_button_is_noticed_and_the_question_re_asked(
    script: Script, at_pattern: State, data: str
) -> None:
    result = step(at_pattern, Pick(data, AT), script)

    assert kinds(result.replies) == ["notice", "ask"]
    assert result.replies[0].text == script.say("stale_button")
    assert result.replies[1].text == script.node("reflect.pattern").prompt
    assert result.replies[1].buttons[0].data == "thr:reflect.pattern:one_off:7"
    assert result.effects == ()
    assert result.state == replace(at_pattern, last_at=AT.isoformat())


def test_a_button_from_a_later_ask_number_is_stale_too(script: Script, at_pattern: State) -> None:
    result = step(at_pattern, Pick("thr:reflect.pattern:one_off:8", AT), script)
    assert result.replies[0].text == script.say("stale_button")
    assert result.state == replace(at_pattern, last_at=AT.isoformat())


def test_a_double_press_is_applied_once(script: Script, at_node: Callable[..., State]) -> None:
    state = at_node("reflect.kind", data={"name": "Sam"}, trail=("reflect.name",), ask=2)
    first = step(state, Pick("thr:reflect.kind:romantic:2", AT), script)
    second = step(first.state, Pick("thr:reflect.kind:romantic:2", AT), script)

    assert first.state.data == {"name": "Sam", "kind": "romantic"}
    assert second.replies[0] == Reply(script.say("stale_button"), kind="notice")
    assert second.state == replace(first.state, last_at=AT.isoformat())
    assert second.state.trail == ("reflect.name", "reflect.kind")


def test_a_double_press_on_a_toggle_toggles_once(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.signals", ask=3)
    first = step(state, Pick("thr:reflect.signals:tone:3", AT), script)
    second = step(first.state, Pick("thr:reflect.signals:tone:3", AT), script)

    assert first.state.data == {"signals": ["tone"]}
    assert second.state.data == {"signals": ["tone"]}
    assert second.replies[0].text == script.say("stale_button")


def test_a_double_press_on_the_last_answer_finishes_once(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.followup", data={"decision": "talk"}, ask=20)
    first = step(state, Pick("thr:reflect.followup:d7:20", AT), script)
    second = step(first.state, Pick("thr:reflect.followup:d7:20", AT), script)

    assert [type(e).__name__ for e in first.effects] == ["Finish", "ScheduleAt"]
    assert second.effects == ()
    assert second.state.people == first.state.people


def test_a_stale_switch_button_does_not_switch(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("checkin.serving", ask=4, data={"news": "We talked."})
    switched = step(state, Command("reflect", AT), script).state
    answered = step(switched, Pick("thr:core.switch:go_on:5", AT), script).state
    again = step(answered, Pick("thr:core.switch:new:5", AT), script)

    assert again.replies[0].text == script.say("stale_button")
    assert again.state.flow == "checkin"


# --------------------------------------------------------------------------------------------
# Forged buttons

FORGED = {
    "wrong-prefix": "xyz:reflect.pattern:one_off:7",
    "unknown-node": "thr:reflect.nowhere:one_off:7",
    "unknown-option": "thr:reflect.pattern:sometimes:7",
    "non-numeric-ask": "thr:reflect.pattern:one_off:seven",
    "negative-ask": "thr:reflect.pattern:one_off:-7",
    "huge-ask": "thr:reflect.pattern:one_off:12345678901",
    "too-many-colons": "thr:reflect.pattern:one_off:7:7",
    "too-few-colons": "thr:reflect.pattern:7",
    "empty-parts": "thr:::",
    "empty-string": "",
    "10-kb-of-junk": "thr:" + "x\u202e:" * 3_500,
    "not-a-question-node": "thr:reflect.finish:x:7",
    "skip-on-a-required-node": "thr:reflect.pattern:skip:7",
    "done-on-a-choice-node": "thr:reflect.pattern:done:7",
    "unknown-menu-entry": "thr:core.menu:rm_rf:7",
    "unknown-switch-choice": "thr:core.switch:maybe:7",
    "spaces": "thr: reflect.pattern : one_off : 7",
}


@pytest.mark.parametrize("data", list(FORGED.values()), ids=list(FORGED))
def test_a_forged_button_is_noticed_and_nothing_changes(
    script: Script, at_pattern: State, data: str
) -> None:
    result = step(at_pattern, Pick(data, AT), script)

    assert kinds(result.replies) == ["notice", "ask"]
    assert result.replies[0].text == script.say("forged_button")
    assert result.replies[1].buttons[0].data == "thr:reflect.pattern:one_off:7"
    assert result.effects == ()
    assert result.state == replace(at_pattern, last_at=AT.isoformat())


def test_a_button_with_a_superscript_ask_number_is_forged(
    script: Script, at_pattern: State
) -> None:
    """A button whose ask counter is a superscript digit is forged, and nothing raises."""
    result = step(at_pattern, Pick("thr:reflect.pattern:one_off:²", AT), script)
    assert result.replies[0].text == script.say("forged_button")


def test_a_forged_button_when_idle_changes_nothing(script: Script) -> None:
    state = State(intro_seen=True, ask=3)
    result = step(state, Pick("nonsense", AT), script)
    assert result.replies == (Reply(script.say("forged_button"), kind="notice"),)
    assert result.state == replace(state, last_at=AT.isoformat())


def test_a_hidden_options_button_is_not_applied(
    script: Script, at_node: Callable[..., State]
) -> None:
    """ "Turn them off" is not shown while mantras are off, so its button cannot be pressed."""
    state = at_node("mantras.menu", ask=3)
    result = step(state, Pick("thr:mantras.menu:off:3", AT), script)

    assert result.replies[0].text == script.say("forged_button")
    assert result.effects == ()
    assert result.state == replace(state, last_at=AT.isoformat())


# --------------------------------------------------------------------------------------------
# Buttons from a finished conversation


def test_a_button_from_a_finished_reflection_changes_nothing(chat: Chat, script: Script) -> None:
    chat.command("start")
    chat.walk_to("reflect.offer")
    old_kind = next(b for b in chat.all_buttons() if b.data.startswith("thr:reflect.kind:"))
    chat.press("No, thanks")
    finished = chat.state

    result = chat.pick(old_kind.data)

    assert result.replies == (Reply(script.say("finished_button"), kind="notice"),)
    assert result.effects == ()
    assert result.state == replace(finished, last_at=chat.at.isoformat())


def test_the_offer_button_after_the_offer_was_answered_changes_nothing(
    chat: Chat, script: Script
) -> None:
    chat.command("start")
    chat.walk_to("reflect.offer")
    offer_no = chat.button("No, thanks").data
    chat.pick(offer_no)
    result = chat.pick(offer_no)

    assert result.replies == (Reply(script.say("finished_button"), kind="notice"),)
    assert (result.state.flow, result.state.node) == (None, None)


def test_a_menu_button_pressed_during_a_flow_is_stale(chat: Chat, script: Script) -> None:
    chat.state = State(intro_seen=True)
    chat.command("start")
    reflect = chat.button("Reflect on a relationship").data
    chat.pick(reflect)
    result = chat.pick(reflect)

    assert result.replies[0].text == script.say("stale_button")
    assert result.state.node == "reflect.name"


# --------------------------------------------------------------------------------------------
# Every button fits Telegram's 64 bytes


def test_every_button_of_a_whole_walk_fits_64_bytes(chat: Chat) -> None:
    chat.state = State(ask=9_999_900)  # seven-digit ask numbers, the most the loader allows for
    chat.command("start")
    chat.walk_to("reflect.offer")
    chat.press("Yes, set it up")
    chat.press("21:00")
    chat.text("Indiana")
    chat.press("America/Indiana/Indianapolis")
    chat.press("Once a week")
    chat.press("Wednesday")
    chat.command("checkin")
    chat.walk_to("checkin.keep")
    chat.press("Change it")
    chat.command("reflect")
    chat.press("Start the reflection")
    chat.text("Sam")
    chat.command("mantras")
    chat.press("Start the mantra settings")
    chat.press("Choose a schedule")
    chat.press("07:30")
    chat.text("north dakota")
    chat.command("cancel")
    chat.command("forget")

    buttons = chat.all_buttons()
    assert len(buttons) > 80
    assert {len(b.data.rsplit(":", 1)[1]) for b in buttons} == {7}
    for button in buttons:
        assert len(button.data.encode("utf-8")) <= TELEGRAM_LIMIT, button.data


# --------------------------------------------------------------------------------------------
# /forget


def test_forget_asks_for_a_confirmation_without_the_intro(script: Script) -> None:
    result = step(State(), Command("forget", AT), script)

    (ask,) = result.replies
    assert ask.text == script.node("forget.confirm").prompt
    assert [(b.data, b.label) for b in ask.buttons] == [
        ("thr:forget.confirm:yes:1", "Yes, delete everything"),
        ("thr:forget.confirm:no:1", "No, keep it"),
    ]
    assert result.effects == ()


def test_forget_confirmed_deletes_everything_and_starts_fresh(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node(
        "forget.confirm",
        ask=40,
        people=({"id": "p1", "name": "Sam"},),
        mantra_seen=(3, 5),
        mantras={"enabled": True, "time": "09:00", "tz": "UTC", "days": "daily"},
    )
    result = step(state, Pick("thr:forget.confirm:yes:40", AT), script)

    assert result.effects == (ForgetUser(),)
    assert kinds(result.replies) == ["answer", "say"]
    assert result.replies[1].text == script.node("forget.done").prompt
    assert result.state == State(ask=40, last_at=AT.isoformat())


def test_after_forgetting_the_intro_is_shown_again(chat: Chat, script: Script) -> None:
    chat.command("start")
    chat.command("cancel")
    chat.command("forget")
    chat.press("Yes, delete everything")
    result = chat.text("hello")

    assert result.replies[0].text == script.say("intro")


@pytest.mark.parametrize(
    "event",
    [Pick("thr:forget.confirm:no:40", AT), Command("cancel", AT)],
    ids=["no-button", "cancel"],
)
def test_forget_declined_deletes_nothing(
    script: Script, at_node: Callable[..., State], event: Pick | Command
) -> None:
    people = ({"id": "p1", "name": "Sam"},)
    state = at_node("forget.confirm", ask=40, people=people)
    result = step(state, event, script)

    assert result.effects == ()
    assert result.state.people == people
    assert result.state.flow is None


def test_forget_declined_by_button_says_nothing_was_deleted(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("forget.confirm", ask=40)
    result = step(state, Pick("thr:forget.confirm:no:40", AT), script)
    assert [r.text for r in result.replies] == ["No, keep it", "Nothing was deleted."]


def test_a_stale_forget_confirmation_deletes_nothing(chat: Chat, script: Script) -> None:
    chat.state = State(intro_seen=True)
    chat.command("forget")
    yes = chat.button("Yes, delete everything").data
    chat.press("No, keep it")
    result = chat.pick(yes)

    assert result.effects == ()
    assert result.replies == (Reply(script.say("finished_button"), kind="notice"),)


# --------------------------------------------------------------------------------------------
# The mantras menu

ON: dict[str, JSON] = {"enabled": True, "time": "07:30", "tz": "Europe/Berlin", "days": "weekdays"}


def test_the_mantras_menu_when_off_offers_no_turn_off(script: Script) -> None:
    result = step(State(intro_seen=True), Command("mantras", AT), script)

    (ask,) = result.replies
    assert ask.text == script.say("mantras_status_off")
    assert [b.label for b in ask.buttons] == ["Choose a schedule", "Leave as it is"]
    assert result.effects == ()


def test_the_mantras_menu_when_on_offers_turn_off(script: Script) -> None:
    result = step(State(intro_seen=True, mantras=ON), Command("mantras", AT), script)

    (ask,) = result.replies
    assert ask.text == "Mantras are on: every weekday at 07:30 (Europe/Berlin)."
    assert [b.label for b in ask.buttons] == [
        "Choose a schedule",
        "Turn them off",
        "Leave as it is",
    ]
    assert result.effects == (ShowMantras(),)


def test_turn_them_off_keeps_the_schedule_but_disables_it(chat: Chat) -> None:
    chat.state = State(intro_seen=True, mantras=ON)
    chat.command("mantras")
    result = chat.press("Turn them off")

    assert result.effects == (
        SetMantras(enabled=False, time="07:30", tz="Europe/Berlin", days="weekdays"),
    )
    assert chat.state.mantras == {**ON, "enabled": False}
    assert result.replies[-1].text.startswith("Mantras are off: no more will be sent.")


def test_leave_as_it_is_changes_nothing(chat: Chat) -> None:
    chat.state = State(intro_seen=True, mantras=ON)
    chat.command("mantras")
    result = chat.press("Leave as it is")

    assert not any(isinstance(e, (SetMantras, Finish)) for e in result.effects)
    assert [r.text for r in result.replies] == ["Leave as it is", "Alright, nothing changed."]
    assert chat.state.mantras == ON


def test_the_current_zone_is_offered_when_changing_the_schedule(chat: Chat) -> None:
    chat.state = State(intro_seen=True, mantras=ON)
    chat.command("mantras")
    chat.press("Choose a schedule")
    chat.press("09:00")

    assert [b.label for b in chat.question.buttons] == ["Europe/Berlin", "UTC"]
    chat.press("Europe/Berlin")
    assert chat.state.data == {"menu": "setup", "time": "09:00", "tz": "Europe/Berlin"}
