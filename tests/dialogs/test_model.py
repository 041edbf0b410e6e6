"""The dialog's vocabulary (:mod:`dialogs.model`): plain, frozen data. What a reader of the
module relies on is pinned here: nothing a turn holds can be changed in place, no two people's
states share a default, a fresh state is idle, of the current version and JSON-able as it
is, and every event carries its moment. The codec's round trips are in ``test_codec.py``."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import get_args

import pytest

from dialogs import (
    Button,
    Command,
    Event,
    Pick,
    Reply,
    ScheduleAt,
    SetMantras,
    State,
    Step,
    Text,
    Unsupported,
)
from dialogs.model import STATE_VERSION

AT = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (State(), "node"),
        (Text("hi", AT), "text"),
        (Pick("thr:a.b:c:1", AT), "data"),
        (Reply("hello"), "text"),
        (Button("thr:a.b:c:1", "C"), "label"),
        (SetMantras(enabled=True), "tz"),
        (Step(State(), ()), "state"),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, str) else v,
)
def test_a_value_of_a_turn_cannot_be_changed_in_place(value: object, field: str) -> None:
    """The machine hands back new values; an adapter that changed one would change history."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, field, None)


def test_two_fresh_states_share_no_mapping() -> None:
    """A default shared between states would carry one person's answers into another's."""
    first, second = State(), State()
    for name in ("data", "mantras", "plan", "paused"):
        assert getattr(first, name) is not getattr(second, name), name
    assert ScheduleAt(AT, "k", "checkin_reminder").payload is not (
        ScheduleAt(AT, "k", "checkin_reminder").payload
    )


def test_a_fresh_state_is_idle_unseen_and_of_the_current_version() -> None:
    state = State()
    assert (state.flow, state.node, state.ask, state.intro_seen) == (None, None, 0, False)
    assert state.version == STATE_VERSION
    assert not any(
        (state.switch_to, state.cancelling, state.safety_then, state.since_then, state.ask_since)
    )


def test_a_fresh_state_is_json_as_it_is() -> None:
    """State holds only JSON-able values so it can be persisted without translation."""
    raw = json.loads(json.dumps(dataclasses.asdict(State())))
    assert raw["version"] == STATE_VERSION and raw["data"] == {}


def test_every_event_carries_the_moment_it_happened() -> None:
    """The machine never reads a clock: the time comes in on the event."""
    kinds = get_args(Event)
    assert set(kinds) == {Text, Pick, Command, Unsupported}
    for kind in kinds:
        assert "at" in {f.name for f in dataclasses.fields(kind)}, kind


def test_a_reply_is_plain_text_by_default_and_a_step_has_no_effect_by_default() -> None:
    reply = Reply("hello")
    assert (reply.kind, reply.buttons, reply.free_text, reply.updates_prompt) == (
        "say",
        (),
        False,
        False,
    )
    assert reply.attachment is None and not reply.numbers_are_values
    assert Step(State(), (reply,)).effects == ()


def test_mantras_set_without_a_schedule_default_to_nine_daily_in_utc() -> None:
    assert SetMantras(enabled=True) == SetMantras(True, "09:00", "UTC", "daily")
