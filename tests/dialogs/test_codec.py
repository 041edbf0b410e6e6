"""State to JSON and back: everything survives, and a malformed state is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dialogs import InvalidState, State, dumps, loads, state_from_json, state_to_json

FULL = State(
    flow="reflect",
    node="reflect.signals",
    data={"name": "Sam 💔 \u05e9\u05dc\u05d5\u05dd", "signals": ["tone", "other"], "n": 4},
    trail=("reflect.name", "reflect.kind"),
    ask=12,
    started_at="2025-03-01T09:00:00+00:00",
    last_at="2025-03-01T09:05:00+00:00",
    intro_seen=True,
    people=({"id": "p1", "name": "Ana", "kind": "work", "decision": None, "last_at": "x"},),
    mantra_seen=(3, 0, 20),
    mantras={"enabled": True, "time": "21:00", "tz": "Europe/Berlin", "days": "fri"},
)


@pytest.mark.parametrize("state", [State(), FULL], ids=["empty", "full"])
def test_a_state_round_trips_through_json_text(state: State) -> None:
    assert loads(dumps(state)) == state


def test_a_state_round_trips_through_a_json_able_dict() -> None:
    raw = state_to_json(FULL)
    assert json.loads(json.dumps(raw)) == raw
    assert state_from_json(raw) == FULL


def test_dumps_is_compact_and_keeps_unicode_readable() -> None:
    assert dumps(State()).startswith('{"version":2,"flow":null,"node":null,"data":{},')
    assert "Sam 💔 \u05e9\u05dc\u05d5\u05dd" in dumps(FULL)


def test_the_version_is_written() -> None:
    assert state_to_json(State())["version"] == 2


def test_missing_optional_fields_take_their_defaults() -> None:
    assert state_from_json({"version": 2}) == State()


def test_a_version_1_state_is_upgraded_with_its_side_questions_in_fields_of_their_own() -> None:
    """A new version of the state used to reset people's conversations; now it is upgraded."""
    old = {
        "version": 1,
        "flow": "reflect",
        "node": "mantras.tz",
        "data": {
            "name": "Sam",
            "_switch": "checkin",
            "_safety": "reflect.reciprocal",
            "_safety_step": "unsafe",
            "_tz_candidates": ["America/Indiana/Indianapolis", "America/Indiana/Vevay"],
            "_gentle": True,
            "_low": True,
            "_has_plan": True,
        },
        "paused": {"flow": "checkin", "data": {"news": "hi", "_gentle": True}},
        "ask": 7,
    }
    state = state_from_json(old)
    assert state.version == 2
    assert state.data == {"name": "Sam"}
    assert state.switch_to == "checkin"
    assert (state.safety_then, state.safety_step) == ("reflect.reciprocal", "unsafe")
    assert state.zones_offered == ("America/Indiana/Indianapolis", "America/Indiana/Vevay")
    assert state.gentle and state.low
    assert state.paused == {"flow": "checkin", "data": {"news": "hi"}, "gentle": True}
    assert (state.flow, state.node, state.ask) == ("reflect", "mantras.tz", 7)
    assert state_from_json(state_to_json(state)) == state


def test_a_version_1_state_with_nothing_aside_is_upgraded_unchanged() -> None:
    assert state_from_json({"version": 1, "data": {"name": "Ana"}}) == State(data={"name": "Ana"})


def good() -> dict[str, Any]:
    return state_to_json(FULL)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("version", 3, "unknown state version 3"),
        ("version", 0, "unknown state version 0"),
        ("version", None, "unknown state version None"),
        ("version", "1", "unknown state version '1'"),
        ("flow", 3, "flow must be a string or null"),
        ("node", ["reflect.kind"], "node must be a string or null"),
        ("data", [], "data must be an object"),
        ("data", "{}", "data must be an object"),
        ("trail", "reflect.name", "trail must be a list of strings"),
        ("trail", [1, 2], "trail must be a list of strings"),
        ("ask", "12", "ask must be a non-negative integer"),
        ("ask", -1, "ask must be a non-negative integer"),
        ("ask", True, "ask must be a non-negative integer"),
        ("ask", 1.5, "ask must be a non-negative integer"),
        ("started_at", 20250301, "started_at must be a string or null"),
        ("last_at", {}, "last_at must be a string or null"),
        ("intro_seen", "yes", "intro_seen must be a boolean"),
        ("intro_seen", 1, "intro_seen must be a boolean"),
        ("people", {"p1": {}}, "people must be a list of objects"),
        ("people", ["p1"], "people must be a list of objects"),
        ("mantra_seen", [1, "2"], "mantra_seen must be a list of integers"),
        ("mantra_seen", [True], "mantra_seen must be a list of integers"),
        ("mantras", [], "mantras must be an object"),
    ],
)
def test_a_malformed_state_is_refused(field: str, value: object, message: str) -> None:
    raw = good()
    raw[field] = value
    with pytest.raises(InvalidState, match=message.replace("(", r"\(")):
        state_from_json(raw)


@pytest.mark.parametrize("raw", [None, [], "state", 1], ids=["null", "list", "string", "number"])
def test_a_state_that_is_not_an_object_is_refused(raw: object) -> None:
    with pytest.raises(InvalidState, match="state must be an object"):
        state_from_json(raw)


@pytest.mark.parametrize("text", ["", "{", "not json", "{'version': 1}"])
def test_text_that_is_not_json_is_refused(text: str) -> None:
    with pytest.raises(InvalidState, match="not JSON"):
        loads(text)


def test_invalid_state_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        loads("[]")
