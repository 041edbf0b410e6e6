"""Random conversations: whatever a person sends, the machine answers and its state stays sound."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs import (
    JSON,
    Button,
    Command,
    Event,
    ExportData,
    Pick,
    ShowHistory,
    State,
    Step,
    Text,
    Unsupported,
    dumps,
    load_script,
    loads,
    state_from_json,
    state_to_json,
    step,
)
from dialogs.prompts import parse_button

SCRIPT = load_script()
START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
TELEGRAM_LIMIT = 64
UNASKED = frozenset({"core.mantra", "core.remind", "core.record"})
"""Buttons that answer no question (a delivery's, a record's): they carry no ask number."""

# What people type: every label and alias in the content, the words the engine listens for,
# answers to the typed questions, and text that has broken parsers elsewhere.
WORDS = sorted(
    {o.label for n in SCRIPT.nodes.values() for o in n.options}
    | {a for n in SCRIPT.nodes.values() for o in n.options for a in o.aliases}
    | {"done", "skip", "/skip", "Skip", "next", "ok", "1", "2", "3", "5", "8", "0", "12"}
    | {"4/5", "4 of 5", "7", "10", "10 days", "200", "9pm", "07:45", "noon", "25:00"}
    | {"berlin", "Indiana", "Mumbai", "Atlantis", "north dakota", "UTC", "europe/lisbon"}
    | {
        "",
        " ",
        "\n\t",
        "\x00\x07",
        "²",
        "\u0663",
        "🙂",
        "💔😶\u200d🌫️",
        "\u200f\u05e9\u05dc\u05d5\u05dd",
    }
    | {"\u0633\u0627\u0645\u064a", "x" * 10_001, "x" * 81, "Sam", "this person (family)"}
)
COMMANDS = (
    "start",
    "reflect",
    "checkin",
    "mantras",
    "forget",
    "help",
    "history",
    "export",
    "cancel",
    "back",
    "skip",
)
ARGS = ("", "checkin", "reflect", "mantras", "forget", "2", "0", "junk", "²", "99999")
FORGED = (
    "",
    "thr:::",
    "thr:reflect.kind:romantic",
    "thr:reflect.kind:romantic:1:2",
    "thr:reflect.kind:alien:1",
    "thr:reflect.nowhere:x:1",
    "thr:reflect.finish:x:1",
    "thr:core.menu:rm:1",
    "thr:core.switch:maybe:1",
    "thr:checkin.person:p99:1",
    "thr:mantras.tz:Mars/Base:1",
    "thr:reflect.kind:romantic:²",
    "xyz:reflect.kind:romantic:1",
    "thr:" + "junk:" * 2_000,
)
PEOPLE: tuple[dict[str, JSON], ...] = (
    {"id": "p1", "name": "Sam", "kind": "romantic", "decision": "let_go", "last_at": "2025-01-01"},
    {"id": "p2", "name": None, "kind": "work", "decision": None, "last_at": "2025-02-01"},
)
MANTRAS_ON: dict[str, JSON] = {
    "enabled": True,
    "time": "07:30",
    "tz": "Europe/Berlin",
    "days": "weekdays",
}
QUESTIONS = sorted(n.id for n in SCRIPT.nodes.values() if n.type not in ("finish", "effect"))


def open_at(node: str) -> State:
    """Someone who has been here before, in the middle of ``node``."""
    data: dict[str, JSON] = {"name": "Sam"}
    if node.startswith("checkin."):
        data.update(person_id="p1", prev_decision="let_go")
    return State(
        flow=node.split(".", 1)[0],
        node=node,
        data=data,
        ask=30,
        started_at=START.isoformat(),
        last_at=START.isoformat(),
        intro_seen=True,
        people=PEOPLE,
        mantra_seen=(4, 2),
        mantras=MANTRAS_ON,
    )


first_states = st.one_of(
    st.just(State()),
    st.just(State(intro_seen=True, people=PEOPLE, mantras=MANTRAS_ON, ask=30)),
    st.sampled_from(QUESTIONS).map(open_at),
)
texts = st.one_of(st.sampled_from(WORDS), st.text(max_size=40))
Action = tuple[str, object, object]
KINDS = ["onward"] * 6 + ["current"] * 3 + ["text"] * 3 + ["stale", "forged", "command", "other"]


@st.composite
def actions(draw: st.DrawFn) -> Action:
    kind = draw(st.sampled_from(KINDS))
    if kind in ("current", "stale"):
        return (kind, draw(st.integers(0, 10_000)), None)
    if kind == "text":
        return (kind, draw(texts), None)
    if kind == "forged":
        return (kind, draw(st.one_of(st.sampled_from(FORGED), st.text(max_size=70))), None)
    if kind == "command":
        name = draw(st.one_of(st.sampled_from(COMMANDS), st.text(min_size=1, max_size=12)))
        return (kind, name, draw(st.one_of(st.sampled_from(ARGS), st.text(max_size=12))))
    if kind == "other":
        return (kind, draw(st.sampled_from(["sticker", "photo", "voice note"])), None)
    return (kind, draw(st.integers(1, 12)), None)


conversations = st.tuples(
    first_states,
    st.lists(
        st.tuples(actions(), st.sampled_from([1, 60, 3_600, 13 * 3_600, 3 * 86_400])),
        min_size=1,
        max_size=40,
    ),
)


def onward(state: State, at: datetime, current: list[Button]) -> Event:
    """Answer the open question plainly, the way someone going through the flow would."""
    node = SCRIPT.nodes.get(state.node or "")
    if state.flow is None:
        return Command(("reflect", "checkin", "mantras", "forget")[state.ask % 4], at)
    if node is None or not current:
        return Command("start", at)
    if node.type == "text":
        return Text("a few words", at)
    if node.type == "multi" and state.data.get(node.store or ""):
        return Pick(current[-1].data, at)
    return Pick(current[0].data, at)


def to_event(
    action: Action, state: State, at: datetime, current: list[Button], earlier: list[Button]
) -> Event:
    kind, value, arg = action
    if kind == "current" and current:
        assert isinstance(value, int)
        return Pick(current[value % len(current)].data, at)
    if kind == "stale" and earlier:
        assert isinstance(value, int)
        return Pick(earlier[value % len(earlier)].data, at)
    if kind == "text":
        return Text(str(value), at)
    if kind == "forged":
        return Pick(str(value), at)
    if kind == "command":
        return Command(str(value), at, str(arg))
    if kind == "other":
        return Unsupported(str(value), at)
    return onward(state, at, current)


def check(before: State, event: Event, result: Step) -> None:
    state = result.state
    asked = (ShowHistory, ExportData)
    assert result.replies or any(isinstance(e, asked) for e in result.effects), event

    assert loads(dumps(state)) == state
    raw = json.loads(json.dumps(state_to_json(state)))
    assert state_from_json(raw) == state

    assert (state.flow is None) == (state.node is None)
    if state.node is not None:
        assert state.node in SCRIPT.nodes
        assert SCRIPT.node(state.node).flow == state.flow
    assert state.ask >= before.ask
    if state.last_at != event.at.isoformat():  # an aside: only a delivered message answered
        assert state.last_at == before.last_at
        assert (state.flow, state.node, state.ask, state.data) == (
            before.flow,
            before.node,
            before.ask,
            before.data,
        )

    for reply in result.replies:
        for button in reply.buttons:
            assert len(button.data.encode("utf-8")) <= TELEGRAM_LIMIT, button.data
            parsed = parse_button(button.data)
            assert parsed is not None, button.data
            if parsed[0] not in UNASKED:  # a question's button carries the ask it was shown at
                assert parsed[2] == state.ask, (button.data, state.ask)


@settings(max_examples=800, deadline=None)
@given(conversations)
def test_any_conversation_is_answered_and_keeps_a_sound_state(
    conversation: tuple[State, list[tuple[Action, int]]],
) -> None:
    state, moves = conversation
    at = START + timedelta(minutes=1)
    current: list[Button] = []
    earlier: list[Button] = []
    for action, gap in moves:
        repeat = action[1] if action[0] == "onward" else 1
        assert isinstance(repeat, int)
        for _ in range(repeat):
            at += timedelta(seconds=gap)
            event = to_event(action, state, at, current, earlier)
            result = step(state, event, SCRIPT)
            check(state, event, result)
            state = result.state
            shown = [b for reply in result.replies for b in reply.buttons]
            if shown:
                earlier.extend(current)
                current = shown
