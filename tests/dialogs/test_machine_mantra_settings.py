"""The mantra settings as reached from the offer after a reflection: time, zone, how often."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from dialogs import (
    Pick,
    Reply,
    Script,
    SetMantras,
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


# --------------------------------------------------------------------------------------------
# The offer, and the mantra settings it leads into


def test_no_thanks_to_the_offer_ends_quietly(script: Script, at_node: Callable[..., State]) -> None:
    state = at_node("reflect.offer", ask=21)
    result = step(state, Pick("thr:reflect.offer:no:21", AT), script)

    assert kinds(result.replies) == ["answer", "say"]
    assert result.replies[1].text.startswith("Alright. /checkin, /reflect and /history")
    assert result.effects == ()
    assert (result.state.flow, result.state.node) == (None, None)


def test_yes_to_the_offer_sets_up_mantras_by_typing(chat: Chat, script: Script) -> None:
    chat.state = State(intro_seen=True, flow="reflect", node="reflect.offer", ask=21)
    chat.pick("thr:reflect.offer:yes:21")
    assert chat.state.flow == "mantras"
    assert chat.state.node == "mantras.time"

    chat.text("9pm")
    assert chat.last.replies[0] == Reply("21:00", kind="answer")
    assert chat.state.data == {"time": "21:00"}
    assert chat.state.node == "mantras.tz"

    chat.text("berlin")
    assert chat.last.replies[0] == Reply("Europe/Berlin", kind="answer")
    assert chat.state.data == {"time": "21:00", "tz": "Europe/Berlin"}

    chat.press("Once a week")
    assert chat.state.node == "mantras.weekday"
    chat.text("friday")

    assert chat.last.effects == (
        SetMantras(enabled=True, time="21:00", tz="Europe/Berlin", days="fri"),
    )
    assert chat.last.replies[-1].text.startswith("Done. Every Friday at 21:00 (Europe/Berlin).")
    assert chat.state.mantras == {
        "enabled": True,
        "time": "21:00",
        "tz": "Europe/Berlin",
        "days": "fri",
    }
    assert chat.state.node is None
    assert chat.state.flow is None


@pytest.mark.parametrize(
    ("typed", "time"),
    [("9pm", "21:00"), ("07:45", "07:45"), ("7.45", "07:45"), ("12am", "00:00"), ("noon", "12:00")],
)
def test_a_typed_time_is_understood(
    script: Script, at_node: Callable[..., State], typed: str, time: str
) -> None:
    result = step(at_node("mantras.time", ask=22), Text(typed, AT), script)
    assert result.state.data == {"time": time}


@pytest.mark.parametrize("typed", ["25:00", "13pm", "9:75", "soon"])
def test_a_time_that_is_not_a_time_gets_a_hint(
    script: Script, at_node: Callable[..., State], typed: str
) -> None:
    state = at_node("mantras.time", ask=22)
    result = step(state, Text(typed, AT), script)
    assert result.replies[0] == Reply(script.say("hint_time"), kind="notice")
    assert result.state == replace(state, last_at=AT.isoformat())


@pytest.mark.parametrize(
    ("typed", "zone"),
    [("berlin", "Europe/Berlin"), ("Mumbai", "Asia/Kolkata"), ("europe/lisbon", "Europe/Lisbon")],
)
def test_a_time_zone_is_found_by_city_alias_or_name(
    script: Script, at_node: Callable[..., State], typed: str, zone: str
) -> None:
    state = at_node("mantras.tz", data={"time": "09:00"}, ask=23)
    result = step(state, Text(typed, AT), script)
    assert result.state.data == {"time": "09:00", "tz": zone}
    assert result.state.node == "mantras.days"


def test_an_ambiguous_city_offers_candidate_zones(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("mantras.tz", data={"time": "09:00"}, ask=23)
    result = step(state, Text("Indiana", AT), script)

    (ask,) = result.replies
    assert ask.text == script.say("tz_candidates")
    assert result.state.node == "mantras.tz"
    assert result.state.ask == 24
    zones = [b.label for b in ask.buttons]
    assert "America/Indiana/Indianapolis" in zones
    assert len(zones) >= 2
    assert all("Indiana" in zone for zone in zones)

    chosen = step(result.state, Pick("thr:mantras.tz:America/Indiana/Indianapolis:24", AT), script)
    assert chosen.state.data == {"time": "09:00", "tz": "America/Indiana/Indianapolis"}
    assert chosen.state.node == "mantras.days"


def test_an_unknown_city_gets_a_hint(script: Script, at_node: Callable[..., State]) -> None:
    state = at_node("mantras.tz", data={"time": "09:00"}, ask=23)
    result = step(state, Text("Atlantis", AT), script)

    assert kinds(result.replies) == ["notice", "ask"]
    assert result.replies[0].text == script.say("hint_timezone")
    assert result.state == replace(state, last_at=AT.isoformat())


@pytest.mark.parametrize(("label", "days"), [("Every day", "daily"), ("Weekdays", "weekdays")])
def test_daily_and_weekdays_save_without_asking_a_weekday(
    chat: Chat, label: str, days: str
) -> None:
    chat.state = State(
        intro_seen=True,
        flow="mantras",
        node="mantras.days",
        data={"time": "07:30", "tz": "UTC"},
        ask=24,
    )
    chat.pick(f"thr:mantras.days:{days}:24")
    assert chat.last.effects == (SetMantras(enabled=True, time="07:30", tz="UTC", days=days),)


def test_a_typed_hour_at_the_time_question_is_a_time_not_an_option_number(
    script: Script, at_node: Callable[..., State]
) -> None:
    result = step(at_node("mantras.time", ask=22), Text("5", AT), script)
    assert result.state.data["time"] == "05:00"
