"""``/mantras <words>``: the schedule set in one command, asking only what is missing."""

from __future__ import annotations

from datetime import UTC, datetime

from dialogs import Command, Script, SetMantras, State, Text, step

AT = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
KNOWN = State(intro_seen=True)


def test_every_word_given_sets_the_schedule_at_once(script: Script) -> None:
    result = step(KNOWN, Command("mantras", AT, "on 07:30 Europe/Berlin weekdays"), script)
    assert result.effects == (SetMantras(True, "07:30", "Europe/Berlin", "weekdays"),)
    assert result.state.flow is None
    assert result.state.mantras["tz"] == "Europe/Berlin"


def test_words_come_in_any_order_with_a_city_and_a_weekday(script: Script) -> None:
    result = step(KNOWN, Command("mantras", AT, "fri lisbon 9pm"), script)
    assert result.effects == (SetMantras(True, "21:00", "Europe/Lisbon", "fri"),)


def test_off_turns_mantras_off(script: Script) -> None:
    on = State(intro_seen=True, mantras={"enabled": True, "time": "08:00", "tz": "UTC"})
    result = step(on, Command("mantras", AT, "OFF"), script)
    assert [e.enabled for e in result.effects if isinstance(e, SetMantras)] == [False]
    assert result.state.mantras["enabled"] is False


def test_what_is_missing_is_asked(script: Script) -> None:
    result = step(KNOWN, Command("mantras", AT, "7pm daily"), script)
    assert result.effects == ()
    assert result.state.node == "mantras.tz"
    assert result.state.data == {"time": "19:00", "days": "daily"}
    assert result.replies[-1].kind == "ask"


def test_on_alone_asks_from_the_time(script: Script) -> None:
    result = step(KNOWN, Command("mantras", AT, "on"), script)
    assert result.state.node == "mantras.time"


def test_words_it_cannot_read_are_named_and_left_out(script: Script) -> None:
    result = step(KNOWN, Command("mantras", AT, "08:00 UTC daily sometimes"), script)
    assert result.replies[0].kind == "notice"
    assert "sometimes" in result.replies[0].text
    assert result.effects == (SetMantras(True, "08:00", "UTC", "daily"),)


def test_an_impossible_time_is_not_a_time(script: Script) -> None:
    result = step(KNOWN, Command("mantras", AT, "25:99 UTC daily"), script)
    assert "25:99" in result.replies[0].text
    assert result.state.node == "mantras.time"


def test_in_the_middle_of_a_reflection_it_asks_before_switching(script: Script) -> None:
    started = step(KNOWN, Command("reflect", AT), script).state
    busy = step(started, Text("Sam", AT), script).state
    result = step(busy, Command("mantras", AT, "off"), script)
    assert result.effects == ()
    assert result.state.flow == "reflect"
    assert result.state.switch_to == "mantras"


def test_a_first_contact_with_arguments_still_says_what_the_bot_is(script: Script) -> None:
    result = step(State(), Command("mantras", AT, "07:30 UTC daily"), script)
    assert "not a therapist" in result.replies[0].text
    assert result.state.intro_seen
