"""From the machine's effects to one turn's write: answers typed, scheduled, forgotten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.effects import answer_kinds, answer_rows, turn_write
from bot.ports.store import Address, AnswerRow, Due
from dialogs.model import (
    Cancel,
    ExportData,
    Finish,
    ForgetUser,
    ScheduleAt,
    SetMantras,
    SnoozeMantras,
    State,
    Step,
)
from dialogs.script import Script

AT = datetime(2025, 3, 1, 8, tzinfo=UTC)
KINDS = {"name": "text", "kind": "choice", "signals": "multi", "reciprocity": "rating"}


def test_answer_kinds_come_from_the_script(script: Script) -> None:
    kinds = answer_kinds(script)
    assert kinds["name"] == "text" and kinds["closure"] == "text"
    assert kinds["kind"] == "choice" and kinds["signals"] == "multi"
    assert kinds["reciprocity"] == "rating" and kinds["followup_days"] == "days"


def test_typed_text_choices_and_numbers_go_to_their_columns() -> None:
    rows = answer_rows(
        {"name": "tone", "kind": "family", "signals": ["tone", "burden"], "reciprocity": 4},
        KINDS,
    )
    assert rows == (
        AnswerRow("name", value_text="tone"),  # typed text, even when it looks like an option
        AnswerRow("kind", value_choice="family"),
        AnswerRow("signals", value_choice="tone", position=0),
        AnswerRow("signals", value_choice="burden", position=1),
        AnswerRow("reciprocity", value_int=4),
    )


def test_unknown_keys_are_kept_as_private_text_and_nothing_is_stored_for_none() -> None:
    rows = answer_rows({"mystery": "x", "extra": {"a": 1}, "flag": True, "gone": None}, KINDS)
    assert rows == (
        AnswerRow("mystery", value_text="x"),
        AnswerRow("extra", value_text='{"a": 1}'),
        AnswerRow("flag", value_int=1),
    )


def test_turn_collects_every_persisted_effect() -> None:
    finish = Finish("reflection", "p1", AT, AT + timedelta(minutes=9), {"kind": "work"})
    remind = ScheduleAt(AT + timedelta(days=3), "checkin:p1", "checkin_reminder", {"p": "p1"})
    mantras = SetMantras(True, "07:30", "Europe/Berlin", "daily")
    result = Step(
        State(node="x"),
        (),
        (finish, remind, Cancel("old"), mantras, ExportData()),
    )
    turn = turn_write(result, KINDS, address=Address("telegram", "9"), at=AT)
    assert turn.state == State(node="x") and turn.address == Address("telegram", "9")
    [record] = turn.finished
    assert record.answers == (AnswerRow("kind", value_choice="work"),)
    assert turn.schedule == (Due("checkin:p1", "checkin_reminder", remind.due_at, {"p": "p1"}),)
    assert turn.cancel == ("old",)
    assert turn.mantras is not None
    assert turn.mantras.next_due == datetime(2025, 3, 2, 6, 30, tzinfo=UTC)  # 07:30 CET, tomorrow
    assert not turn.forget


def test_mantras_switched_off_have_no_next_time() -> None:
    result = Step(State(), (), (SetMantras(False),))
    turn = turn_write(result, KINDS, address=None, at=AT)
    assert turn.mantras is not None and not turn.mantras.enabled
    assert turn.mantras.next_due is None


def test_forget_is_flagged() -> None:
    turn = turn_write(Step(State(), (), (ForgetUser(),)), KINDS, address=None, at=AT)
    assert turn.forget


def test_a_snooze_is_carried_to_the_store_as_it_came() -> None:
    until = AT + timedelta(days=7)
    turn = turn_write(Step(State(), (), (SnoozeMantras(until),)), KINDS, address=None, at=AT)
    assert turn.snooze_until == until and turn.mantras is None
