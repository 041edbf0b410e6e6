"""From the machine's effects to what one turn writes: pure functions, no I/O.

:func:`turn_write` gathers the effects the store persists in the turn's transaction (records,
schedules, cancellations, the mantra schedule, forgetting). The read-only effects (history,
export, mantra status) are performed by :mod:`bot.conversations` after the save.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from bot.ports.store import Address, AnswerRow, Due, FinishedRecord, MantraSettings, TurnWrite
from bot.schedule.recurrence import next_occurrence
from dialogs.model import (
    JSON,
    Cancel,
    Finish,
    ForgetUser,
    ScheduleAt,
    SetMantras,
    SnoozeMantras,
    Step,
)
from dialogs.nodekinds import KINDS
from dialogs.script import Script

TEXT_TYPES = frozenset(name for name, kind in KINDS.items() if kind.reads == "words")
"""Node types whose answers are free text: stored only in ``value_text`` (later encrypted)."""


def answer_kinds(script: Script) -> dict[str, str]:
    """Answer key → node type, from the script (``{"name": "text", "kind": "choice", …}``)."""
    return {node.store: node.type for node in script.nodes.values() if node.store}


def answer_rows(answers: Mapping[str, JSON], kinds: Mapping[str, str]) -> tuple[AnswerRow, ...]:
    """One row per answer, one per item of a list. Numbers go to ``value_int``; text typed by
    the person (and any key the script does not know) to ``value_text``; option ids to
    ``value_choice``. ``None`` is an unanswered question and is not stored."""
    rows: list[AnswerRow] = []
    for question, value in answers.items():
        free_text = kinds.get(question, "text") in TEXT_TYPES
        if isinstance(value, list):
            for position, item in enumerate(value):
                row = _row(question, item, free_text, position)
                if row is not None:
                    rows.append(row)
        else:
            row = _row(question, value, free_text, None)
            if row is not None:
                rows.append(row)
    return tuple(rows)


def _row(question: str, value: JSON, free_text: bool, position: int | None) -> AnswerRow | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return AnswerRow(question, value_int=int(value), position=position)
    if isinstance(value, int):
        return AnswerRow(question, value_int=value, position=position)
    if isinstance(value, str) and not free_text:
        return AnswerRow(question, value_choice=value, position=position)
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return AnswerRow(question, value_text=text, position=position)


def finished_record(effect: Finish, kinds: Mapping[str, str]) -> FinishedRecord:
    return FinishedRecord(
        kind=effect.kind,
        person_id=effect.person_id,
        started_at=effect.started_at,
        finished_at=effect.finished_at,
        answers=answer_rows(effect.answers, kinds),
    )


def mantra_settings(effect: SetMantras, at: datetime) -> MantraSettings:
    next_due = next_occurrence(effect.time, effect.tz, effect.days, at) if effect.enabled else None
    return MantraSettings(
        enabled=effect.enabled, time=effect.time, tz=effect.tz, days=effect.days, next_due=next_due
    )


def turn_write(
    result: Step, kinds: Mapping[str, str], *, address: Address | None, at: datetime
) -> TurnWrite:
    """Everything the turn ``result`` persists, for one :meth:`bot.ports.store.Store.save`."""
    finished: list[FinishedRecord] = []
    schedule: list[Due] = []
    cancel: list[str] = []
    mantras: MantraSettings | None = None
    forget = False
    snooze_until: datetime | None = None
    snooze_gentle = False
    for effect in result.effects:
        if isinstance(effect, Finish):
            finished.append(finished_record(effect, kinds))
        elif isinstance(effect, ScheduleAt):
            schedule.append(Due(effect.key, effect.kind, effect.due_at, dict(effect.payload)))
        elif isinstance(effect, Cancel):
            cancel.append(effect.key)
        elif isinstance(effect, SetMantras):
            mantras = mantra_settings(effect, at)
        elif isinstance(effect, ForgetUser):
            forget = True
        elif isinstance(effect, SnoozeMantras):
            snooze_until = effect.until
            snooze_gentle = snooze_gentle or effect.gentle
    return TurnWrite(
        state=result.state,
        address=address,
        finished=tuple(finished),
        schedule=tuple(schedule),
        cancel=tuple(cancel),
        mantras=mantras,
        forget=forget,
        snooze_until=snooze_until,
        snooze_gentle=snooze_gentle,
    )
