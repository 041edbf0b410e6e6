"""A pressed button (:mod:`dialogs.presses`), read directly with :func:`on_pick`: which
buttons are answered as forged (no button ever said that), which as stale, and what a real one
does. ``test_buttons.py`` covers stale and forged question buttons in a conversation; here each
kind of button id is tried against the rule that reads it: the reserved ids (skip, done, same,
clear), the menu, /history's record buttons, a zone or a person that is not shown."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dialogs import Reply, ShowRecord, State, load_script
from dialogs.flow import Out
from dialogs.presses import on_pick
from tests.support.machine import at_node

SCRIPT = load_script()
AT = datetime(2025, 3, 1, 9, 5, tzinfo=UTC)
FORGED = Reply(SCRIPT.say("forged_button"), kind="notice")
STALE = Reply(SCRIPT.say("stale_button"), kind="notice")


def press(state: State, data: str) -> tuple[State, Out]:
    out = Out(at=AT)
    return on_pick(state, data, SCRIPT, out), out


# --------------------------------------------------------------------------------------------
# The reserved ids


@pytest.mark.parametrize(
    ("node", "option"),
    [
        ("reflect.kind", "skip"),  # a required question never showed Skip
        ("reflect.kind", "done"),  # only a several-choice question shows Done
        ("reflect.kind", "same"),  # only a note shows keep / clear
        ("reflect.pattern", "clear"),
        ("reflect.reciprocity", "skip"),
    ],
)
def test_a_reserved_id_on_a_question_that_never_shows_it_is_forged(node: str, option: str) -> None:
    state = at_node(node)
    after, out = press(state, f"thr:{node}:{option}:5")
    assert out.replies[0] == FORGED
    assert after == state
    assert out.replies[-1].kind == "ask"  # the question comes again


def test_keep_forged_on_a_choice_answered_before_does_not_keep_it() -> None:
    """Back on a choice (after /back), its stored answer must not be kept by a "same" button
    that only notes show: the person is asked the choice again."""
    state = at_node("reflect.kind", data={"kind": "romantic"})
    after, out = press(state, "thr:reflect.kind:same:5")
    assert out.replies[0] == FORGED
    assert after == state


def test_skip_on_an_optional_question_skips_it() -> None:
    after, out = press(at_node("reflect.name"), "thr:reflect.name:skip:5")
    assert after.node == "reflect.kind"
    assert "name" not in after.data
    assert out.replies[0] == Reply(SCRIPT.say("answered_skip"), kind="answer")


def test_keep_on_a_note_with_nothing_written_is_forged_not_an_empty_answer() -> None:
    """ "Keep" only exists while a note is written; pressed with none, nothing is stored."""
    state = at_node("reflect.closure")
    after, out = press(state, "thr:reflect.closure:same:5")
    assert out.replies[0] == FORGED
    assert after == state


def test_clear_on_a_written_note_drops_it_and_goes_on() -> None:
    state = at_node("reflect.closure", data={"closure": "I have said enough."})
    after, out = press(state, "thr:reflect.closure:clear:5")
    assert "closure" not in after.data
    assert after.node == SCRIPT.node("reflect.closure").next
    assert out.replies[0] == Reply(SCRIPT.say("answered_cleared"), kind="answer")


# --------------------------------------------------------------------------------------------
# Options that are known but not shown now


def test_a_person_button_for_someone_not_in_the_list_is_forged() -> None:
    state = at_node("checkin.person", people=({"id": "p1", "name": "Sam", "kind": "romantic"},))
    after, out = press(state, "thr:checkin.person:p7:5")
    assert out.replies[0] == FORGED
    assert after == state


def test_a_person_button_for_someone_listed_chooses_them() -> None:
    sam = {"id": "p1", "name": "Sam", "kind": "romantic", "decision": "talk"}
    after, _ = press(at_node("checkin.person", people=(sam,)), "thr:checkin.person:p1:5")
    assert after.data["person_id"] == "p1"
    assert after.data["prev_decision"] == "talk"


def test_a_zone_button_for_a_real_zone_not_shown_now_is_taken() -> None:
    """Candidates offered for a typed city are shown once; a press on one after the list has
    changed is still a real zone, and taken as the answer."""
    after, out = press(at_node("mantras.tz"), "thr:mantras.tz:Asia/Kolkata:5")
    assert after.data["tz"] == "Asia/Kolkata"
    assert out.replies[0] == Reply("Asia/Kolkata", kind="answer")


def test_a_zone_button_for_a_made_up_zone_is_forged() -> None:
    state = at_node("mantras.tz")
    after, out = press(state, "thr:mantras.tz:Mars/Olympus_Mons:5")
    assert out.replies[0] == FORGED
    assert after == state


def test_a_button_naming_a_node_that_is_no_question_is_forged() -> None:
    state = at_node("reflect.decision")
    after, out = press(state, "thr:reflect.finish:yes:5")
    assert out.replies[0] == FORGED
    assert after == state


def test_a_known_button_of_another_question_is_stale_not_forged() -> None:
    after, out = press(at_node("reflect.pattern"), "thr:reflect.kind:romantic:5")
    assert out.replies[0] == STALE
    assert "kind" not in after.data


# --------------------------------------------------------------------------------------------
# The menu and /history


def test_a_menu_button_with_an_option_the_menu_never_had_is_forged() -> None:
    after, out = press(State(intro_seen=True, ask=3), "thr:core.menu:rm:3")
    assert out.replies[0] == FORGED
    assert after.flow is None


def test_a_menu_button_from_an_earlier_menu_is_stale() -> None:
    option = SCRIPT.menu[0].id
    _, out = press(State(intro_seen=True, ask=3), f"thr:core.menu:{option}:2")
    assert out.replies[0] == Reply(SCRIPT.say("finished_button"), kind="notice")


def test_the_current_menus_reflect_button_begins_a_reflection() -> None:
    after, _ = press(State(intro_seen=True, ask=3), "thr:core.menu:reflect:3")
    assert after.flow == "reflect"
    assert after.node == "reflect.name"


def test_a_record_button_asks_for_that_record_and_leaves_the_question_as_it_was() -> None:
    state = at_node("reflect.pattern")
    after, out = press(state, "thr:core.record:42:0")
    assert out.effects == [ShowRecord(record_id=42)]
    assert out.aside
    assert after == state
    assert out.replies == []


@pytest.mark.parametrize("record", ["abc", "-1", "4.2", "\u00b2", "1" * 13])
def test_a_record_button_whose_id_is_no_record_number_is_forged(record: str) -> None:
    state = at_node("reflect.pattern")
    after, out = press(state, f"thr:core.record:{record}:0")
    assert out.replies[0] == FORGED
    assert out.effects == []
    assert after == state


# --------------------------------------------------------------------------------------------
# Side questions


@pytest.mark.parametrize(
    ("node", "option"),
    [
        ("core.cancel", "maybe"),
        ("core.switch", "both"),
        ("core.safety", "fine"),
        ("core.since", "x"),
    ],
)
def test_a_side_questions_button_with_an_answer_it_never_offered_is_forged(
    node: str, option: str
) -> None:
    state = at_node("reflect.pattern", cancelling=True)
    after, out = press(state, f"thr:{node}:{option}:5")
    assert out.replies[0] == FORGED
    assert after == state


def test_malformed_data_is_forged_and_changes_nothing() -> None:
    state = at_node("reflect.pattern")
    for data in ("", "thr", "thr:reflect.pattern:pattern", "reflect.pattern:pattern:5"):
        after, out = press(state, data)
        assert out.replies[0] == FORGED, data
        assert after == state
