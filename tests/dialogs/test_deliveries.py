"""Delivered messages and their buttons: stop, snooze and "check in now", pressed whenever.

Also the time-zone question's help by the time on the person's clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from dialogs import Pick, Reply, Script, SetMantras, State, Text, step
from dialogs.deliveries import instant, mantra_reply, minute, reminder_reply
from dialogs.model import JSON, SnoozeMantras

DELIVERED = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
M = minute(DELIVERED)
STOP = f"thr:core.mantra:stop:{M}"
SNOOZE = f"thr:core.mantra:snooze:{M}"
ON: dict[str, JSON] = {"enabled": True, "time": "09:00", "tz": "Europe/Berlin", "days": "daily"}


def mid_reflection(at_node: Callable[..., State]) -> State:
    state = at_node("reflect.serving", data={"name": "Sam", "kind": "romantic"}, ask=9)
    return replace(state, mantras=ON, trail=("reflect.name", "reflect.kind"))


# --------------------------------------------------------------------------------------------
# What is delivered


def test_a_mantra_comes_with_stop_and_snooze_buttons_that_fit_telegram(script: Script) -> None:
    reply = mantra_reply(script, 3, DELIVERED)
    assert reply.text == script.mantras[3]
    assert [(b.data, b.label) for b in reply.buttons] == [
        (STOP, script.say("mantra_stop_label")),
        (SNOOZE, script.say("mantra_snooze_label")),
    ]
    assert all(len(b.data.encode()) <= 64 for b in reply.buttons)
    assert instant(M) == DELIVERED


def test_a_mantra_index_beyond_the_lines_wraps_around(script: Script) -> None:
    assert mantra_reply(script, len(script.mantras) + 1, DELIVERED).text == script.mantras[1]


def test_a_reminder_names_the_person_and_offers_the_check_in(script: Script) -> None:
    state = State(people=({"id": "p2", "name": "Sam", "kind": "friendship"},))
    reply = reminder_reply(script, state, "p2", DELIVERED)
    assert reply.text.startswith("You asked me to check in about Sam.")
    assert [b.data for b in reply.buttons] == [f"thr:core.remind:checkin:{M}"]
    unnamed = reminder_reply(script, State(), "p9", DELIVERED)
    assert "check in about this person" in unnamed.text


# --------------------------------------------------------------------------------------------
# Stop


def test_stop_mid_reflection_turns_mantras_off_and_leaves_the_question_open(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = mid_reflection(at_node)
    days_later = DELIVERED + timedelta(days=3)
    result = step(state, Pick(STOP, days_later), script)

    assert result.effects == (
        SetMantras(enabled=False, time="09:00", tz="Europe/Berlin", days="daily"),
    )
    assert result.replies == (
        Reply(script.say("mantra_stop_label"), kind="answer"),
        Reply(script.say("mantra_stopped")),
    )
    assert result.state == replace(state, mantras={**ON, "enabled": False})
    # the open question's buttons still work
    answered = step(result.state, Pick("thr:reflect.serving:yes:9", days_later), script)
    assert answered.state.data["serving"] == "yes"


def test_stop_pressed_twice_leaves_mantras_off_and_says_so(
    script: Script, at_node: Callable[..., State]
) -> None:
    once = step(mid_reflection(at_node), Pick(STOP, DELIVERED), script)
    twice = step(once.state, Pick(STOP, DELIVERED + timedelta(minutes=1)), script)
    assert twice.state.mantras == once.state.mantras
    assert twice.replies[-1] == Reply(script.say("mantra_already_off"))
    assert twice.effects == once.effects  # writing "off" again changes nothing


def test_stop_when_nothing_is_in_progress_keeps_the_person_idle(script: Script) -> None:
    state = State(intro_seen=True, mantras=ON, ask=4)
    result = step(state, Pick(STOP, DELIVERED), script)
    assert (result.state.flow, result.state.node, result.state.ask) == (None, None, 4)
    assert not any(r.kind == "ask" for r in result.replies)


# --------------------------------------------------------------------------------------------
# Snooze


def test_snooze_pauses_from_the_delivery_not_from_the_press(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = mid_reflection(at_node)
    pressed = step(state, Pick(SNOOZE, DELIVERED + timedelta(hours=5)), script)
    until = DELIVERED + timedelta(days=script.snooze_days)
    assert pressed.effects == (SnoozeMantras(until=until),)
    assert pressed.replies[-1] == Reply(script.say("mantra_snoozed", days=script.snooze_days))
    assert pressed.state == state  # the schedule itself and the open question are untouched

    again = step(pressed.state, Pick(SNOOZE, DELIVERED + timedelta(days=2)), script)
    assert again.effects == pressed.effects  # idempotent: the same pause, not a longer one


def test_a_snooze_that_would_already_be_over_changes_nothing(
    script: Script, at_node: Callable[..., State]
) -> None:
    late = DELIVERED + timedelta(days=script.snooze_days, minutes=1)
    result = step(mid_reflection(at_node), Pick(SNOOZE, late), script)
    assert result.effects == ()
    assert result.replies[-1] == Reply(script.say("mantra_snooze_over"))


def test_snooze_when_mantras_are_off_changes_nothing(script: Script) -> None:
    result = step(State(intro_seen=True), Pick(SNOOZE, DELIVERED), script)
    assert result.effects == ()
    assert result.replies[-1] == Reply(script.say("mantra_already_off"))


def test_a_press_on_a_delivery_keeps_the_silence_before_the_open_question(
    script: Script, at_node: Callable[..., State]
) -> None:
    # Pressed two days after the last answer: typed text afterwards still gets "welcome back".
    state = mid_reflection(at_node)
    later = DELIVERED + timedelta(days=2)
    pressed = step(state, Pick(SNOOZE, later), script)
    assert pressed.state.last_at == state.last_at
    typed = step(pressed.state, Text("yes", later + timedelta(minutes=1)), script)
    assert typed.state.node == "reflect.serving"
    assert typed.replies[0].text.startswith("Welcome back")


# --------------------------------------------------------------------------------------------
# The reminder's button, and data no delivery carries


def test_check_in_now_starts_the_check_in(script: Script) -> None:
    state = State(intro_seen=True, people=({"id": "p1", "name": "Sam", "kind": "romantic"},))
    result = step(state, Pick(f"thr:core.remind:checkin:{M}", DELIVERED), script)
    assert result.replies[0] == Reply(script.say("checkin_now"), kind="answer")
    assert (result.state.flow, result.state.node) == ("checkin", "checkin.person")
    assert any(b.label.startswith("Sam") for b in result.replies[-1].buttons)


def test_check_in_now_mid_reflection_asks_before_leaving_it(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = mid_reflection(at_node)
    result = step(state, Pick(f"thr:core.remind:checkin:{M}", DELIVERED), script)
    assert result.state.node == "reflect.serving"  # still there, until the person chooses
    assert result.replies[-1].text == script.say("switch", flow="reflection", new_flow="check-in")


@pytest.mark.parametrize(
    "data",
    ["thr:core.mantra:explode:1", "thr:core.remind:stop:1", "thr:core.mantra:stop:1234567890"],
)
def test_data_no_delivery_carries_is_forged_and_changes_nothing(
    script: Script, at_node: Callable[..., State], data: str
) -> None:
    state = mid_reflection(at_node)
    result = step(state, Pick(data, DELIVERED), script)
    assert result.effects == ()
    assert result.replies[0] == Reply(script.say("forged_button"), kind="notice")
    assert result.state.node == state.node and result.state.data == state.data


# --------------------------------------------------------------------------------------------
# Finding a time zone by the time on the clock


def at_tz(at_node: Callable[..., State], now: datetime) -> State:
    """The time-zone question, asked a minute before ``now``."""
    before = (now - timedelta(minutes=1)).isoformat()
    return at_node("mantras.tz", data={"time": "09:00"}, ask=23, last_at=before)


@pytest.mark.parametrize(
    ("now", "typed", "first"),
    [
        (datetime(2025, 1, 15, 13, 5, tzinfo=UTC), "14:05", "Europe/Berlin"),  # CET, +1
        (datetime(2025, 7, 15, 13, 5, tzinfo=UTC), "15:05", "Europe/Berlin"),  # CEST, +2
        (datetime(2025, 7, 15, 13, 5, tzinfo=UTC), "9:05", "America/New_York"),  # EDT, -4
        (datetime(2025, 7, 15, 13, 5, tzinfo=UTC), "18:50", "Asia/Kathmandu"),  # +5:45
        (datetime(2025, 1, 15, 13, 5, tzinfo=UTC), "2:05 am", "Pacific/Auckland"),  # NZDT, +13
    ],
)
def test_typing_the_clock_offers_the_zones_showing_that_time_now(
    script: Script, at_node: Callable[..., State], now: datetime, typed: str, first: str
) -> None:
    result = step(at_tz(at_node, now), Text(typed, now), script)
    said, ask = result.replies
    assert said.text.startswith("Right now it is")
    zones = [b.label for b in ask.buttons]
    assert zones[0] == first and 1 <= len(zones) <= 8
    for zone in zones:  # every zone offered shows that time, within two minutes
        local = now.astimezone(script.zone_rules[zone])
        typed_minutes = int(said.text.split()[4][:2]) * 60 + int(said.text.split()[4][3:5])
        assert abs(local.hour * 60 + local.minute - typed_minutes) % 1440 in (0, 1, 2, 1438, 1439)
    chosen = step(result.state, Pick(ask.buttons[0].data, now), script)
    assert chosen.state.data == {"time": "09:00", "tz": first}


def test_lord_howe_is_told_apart_by_its_half_hour(
    script: Script, at_node: Callable[..., State]
) -> None:
    summer = datetime(2025, 1, 15, 1, 0, tzinfo=UTC)  # +11 on Lord Howe, as in Sydney
    winter = datetime(2025, 7, 15, 1, 0, tzinfo=UTC)  # +10:30 on Lord Howe, +10 in Sydney
    in_summer = [
        b.label
        for b in step(at_tz(at_node, summer), Text("12:00", summer), script).replies[1].buttons
    ]
    in_winter = [
        b.label
        for b in step(at_tz(at_node, winter), Text("11:30", winter), script).replies[1].buttons
    ]
    assert "Australia/Sydney" in in_summer
    assert "Australia/Lord_Howe" in in_winter
    assert set(in_winter) <= {"Australia/Lord_Howe", "Australia/LHI"}  # LHI: its other name


def test_a_clock_time_no_zone_shows_gets_a_hint(
    script: Script, at_node: Callable[..., State]
) -> None:
    now = datetime(2025, 1, 15, 13, 5, tzinfo=UTC)
    state = at_tz(at_node, now)
    result = step(state, Text("14:37", now), script)
    assert result.replies[0] == Reply(script.say("hint_tz_clock", time="14:37"), kind="notice")
    assert result.state == replace(state, last_at=now.isoformat())


def test_a_bare_number_still_picks_an_option_not_a_clock_time(
    script: Script, at_node: Callable[..., State]
) -> None:
    now = datetime(2025, 1, 15, 13, 5, tzinfo=UTC)
    result = step(at_tz(at_node, now), Text("1", now), script)
    assert result.state.data == {"time": "09:00", "tz": "UTC"}
