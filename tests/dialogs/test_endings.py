"""How a flow ends (:mod:`dialogs.endings`), called directly: what a finished reflection or
check-in hands to the store (its answers, the person, a reminder asked for or cancelled), how
the list of people a check-in offers is kept, and what the content's effects do (mantras on or
off, forgetting, the safety plan saved and loaded). The machine tests see the card and the
effects at the end of a walk; here each rule is tried with the state that triggers it."""

from __future__ import annotations

from datetime import timedelta

from dialogs import (
    Cancel,
    Effect,
    Finish,
    ForgetUser,
    Reply,
    ScheduleAt,
    SetMantras,
    State,
    load_script,
)
from dialogs.endings import MAX_PEOPLE, finish, run_effect
from tests.support.machine import START, at_node

SCRIPT = load_script()
AT = START + timedelta(minutes=30)
REFLECTION = SCRIPT.node("reflect.finish")
CHECKIN = SCRIPT.node("checkin.finish")


def finished(state: State, node: object = REFLECTION) -> tuple[State, list[Reply], list[Effect]]:
    said: list[Reply] = []
    effects: list[Effect] = []
    after = finish(state, node, SCRIPT, AT, said, effects)  # type: ignore[arg-type]
    return after, said, effects


def effect(state: State, node_id: str) -> tuple[State, list[Reply], list[Effect]]:
    said: list[Reply] = []
    effects: list[Effect] = []
    return run_effect(state, SCRIPT.node(node_id), SCRIPT, AT, said, effects), said, effects


# --------------------------------------------------------------------------------------------
# A finished reflection or check-in


def test_a_new_person_gets_the_next_number_after_the_highest_not_after_the_count() -> None:
    """p2 was forgotten from the list: the new person must not be given p3 a second time."""
    people = ({"id": "p1", "last_at": "a"}, {"id": "p3", "last_at": "b"})
    _, _, effects = finished(at_node("reflect.finish", people=people, data={"name": "Sam"}))
    record = effects[0]
    assert isinstance(record, Finish)
    assert record.person_id == "p4"


def test_the_record_holds_the_answers_and_when_it_began_but_not_the_bookkeeping() -> None:
    data = {"name": "Sam", "person_id": "p1", "prev_decision": "talk", "closure": "Enough."}
    state = at_node("checkin.finish", data=data, people=({"id": "p1"},))
    _, _, effects = finished(state, CHECKIN)
    assert effects[0] == Finish(
        kind="checkin",
        person_id="p1",
        started_at=START,
        finished_at=AT,
        answers={"name": "Sam", "closure": "Enough."},
    )


def test_keeping_the_decision_at_a_check_in_records_the_previous_decision() -> None:
    data = {"person_id": "p1", "prev_decision": "boundary", "keep": "keep"}
    _, _, effects = finished(at_node("checkin.finish", data=data, people=({"id": "p1"},)), CHECKIN)
    record = effects[0]
    assert isinstance(record, Finish)
    assert record.answers["decision"] == "boundary"


def test_a_reminder_asked_for_is_scheduled_that_many_days_on_under_the_persons_key() -> None:
    state = at_node("reflect.finish", data={"followup_days": 7})
    after, _, effects = finished(state)
    assert effects[1] == ScheduleAt(
        due_at=AT + timedelta(days=7),
        key="checkin:p1",
        kind="checkin_reminder",
        payload={"person_id": "p1"},
    )
    assert after.people[-1]["remind_at"] == (AT + timedelta(days=7)).isoformat()


def test_no_reminder_asked_again_cancels_the_one_still_due() -> None:
    due = (AT + timedelta(days=2)).isoformat()
    people = ({"id": "p1", "remind_at": due},)
    state = at_node("checkin.finish", data={"person_id": "p1", "followup_days": 0}, people=people)
    after, _, effects = finished(state, CHECKIN)
    assert effects[1:] == [Cancel("checkin:p1")]
    assert "remind_at" not in after.people[-1]


def test_no_reminder_and_none_before_cancels_nothing() -> None:
    _, _, effects = finished(at_node("reflect.finish", data={"followup_days": 0}))
    assert [type(e) for e in effects] == [Finish]


def test_the_people_list_keeps_the_most_recent_and_moves_the_one_just_seen_last() -> None:
    people = tuple({"id": f"p{n}", "last_at": f"2025-01-{n:02d}"} for n in range(1, MAX_PEOPLE + 1))
    state = at_node("checkin.finish", data={"person_id": "p3"}, people=people)
    after, _, _ = finished(state, CHECKIN)
    assert len(after.people) == MAX_PEOPLE
    assert [p["id"] for p in after.people][-1] == "p3"
    full = at_node("reflect.finish", people=people)  # a ninth person: the oldest falls off
    after, _, _ = finished(full)
    assert len(after.people) == MAX_PEOPLE
    assert "p1" not in [p["id"] for p in after.people]
    assert after.people[-1]["id"] == f"p{MAX_PEOPLE + 1}"


def test_a_check_in_without_a_name_or_words_keeps_those_of_the_reflection() -> None:
    sam = {"id": "p1", "name": "Sam", "kind": "romantic", "words": "I miss how it was."}
    state = at_node("checkin.finish", data={"person_id": "p1", "serving": "no"}, people=(sam,))
    after, _, _ = finished(state, CHECKIN)
    entry = after.people[-1]
    assert (entry["name"], entry["kind"], entry["words"]) == (
        "Sam",
        "romantic",
        "I miss how it was.",
    )


def test_after_finishing_no_answer_and_no_trail_are_left_in_the_state() -> None:
    state = at_node("reflect.finish", data={"name": "Sam"}, trail=("reflect.name",))
    after, _, _ = finished(state)
    assert after.data == {} and after.trail == ()


def test_a_reflection_that_went_on_gently_closes_gently_without_an_essay_line() -> None:
    state = at_node("reflect.finish", gentle=True, mantra_seen=(1, 2))
    after, said, _ = finished(state)
    assert SCRIPT.say("gentle_close") in said[0].text
    assert not any(m in said[0].text for m in SCRIPT.mantras)
    assert after.mantra_seen == (1, 2)  # no line was used up


def test_a_reflection_that_went_well_closes_with_an_essay_line_and_counts_it_seen() -> None:
    after, said, _ = finished(at_node("reflect.finish"))
    assert len(after.mantra_seen) == 1
    assert SCRIPT.mantras[after.mantra_seen[0]] in said[0].text


# --------------------------------------------------------------------------------------------
# The content's effects


def test_mantras_on_takes_the_answers_then_the_schedule_then_the_defaults() -> None:
    schedule = {"enabled": False, "time": "21:00", "tz": "Europe/Berlin"}
    state = at_node("mantras.save", data={"time": "07:30"}, mantras=schedule)
    after, said, effects = effect(state, "mantras.save")
    assert effects == [SetMantras(enabled=True, time="07:30", tz="Europe/Berlin", days="daily")]
    assert after.mantras == {
        "enabled": True,
        "time": "07:30",
        "tz": "Europe/Berlin",
        "days": "daily",
    }
    assert said


def test_mantras_off_keeps_the_schedule_chosen() -> None:
    schedule = {"enabled": True, "time": "21:00", "tz": "Asia/Tokyo", "days": "weekdays"}
    after, _, effects = effect(at_node("mantras.off", mantras=schedule), "mantras.off")
    assert effects == [SetMantras(enabled=False, time="21:00", tz="Asia/Tokyo", days="weekdays")]
    assert after.mantras == {**schedule, "enabled": False}


def test_forgetting_leaves_a_fresh_state_that_still_counts_its_questions() -> None:
    """Buttons shown before the deletion must read as stale afterwards, never as current."""
    state = at_node("forget.done", ask=12, people=({"id": "p1", "name": "Sam"},), intro_seen=True)
    after, _, effects = effect(state, "forget.done")
    assert effects == [ForgetUser()]
    assert after == State(ask=12)


def test_saving_the_plan_keeps_only_its_written_steps() -> None:
    data = {"coping": "A walk.", "distract": "", "name": "Sam", "reasons": "My dog."}
    after, said, _ = effect(at_node("safety.save", data=data), "safety.save")
    assert after.plan == {"coping": "A walk.", "reasons": "My dog."}
    assert "A walk." in said[0].text and "Sam" not in said[0].text


def test_loading_no_plan_changes_nothing_and_a_saved_one_fills_the_answers() -> None:
    empty = at_node("safety.load")
    assert effect(empty, "safety.load")[0] == empty
    saved = at_node("safety.load", plan={"coping": "A walk."}, data={"x": 1})
    assert effect(saved, "safety.load")[0].data == {"x": 1, "coping": "A walk."}
