"""What ``/history`` shows: a page of past reflections and check-ins, each with a few of the
person's own words and a button to read it whole, and one record as its summary card.

Pure: the service reads the records from the store and hands them here with the person's time
zone; every word comes from the content (``history.*`` and the card's messages). A record's
button is ``thr:core.record:<record id>:0``; it never goes stale, and the service shows the
record only to the person it belongs to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Protocol

from dialogs.listening import shorten
from dialogs.model import JSON, Button, Reply, State
from dialogs.prompts import answer_text, button_data, card, last_words
from dialogs.script import Script

RECORD = "core.record"
EXCERPT = 60
"""How much of a record's own words its line in the listing shows."""


class Record(Protocol):
    """A finished reflection or check-in, as the store returns it."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def person_id(self) -> str: ...
    @property
    def finished_at(self) -> datetime: ...
    @property
    def answers(self) -> Mapping[str, JSON]: ...


def day(moment: datetime, tz: tzinfo) -> str:
    local = moment.astimezone(tz)
    return f"{local.day} {local:%b %Y}"


def _name(record: Record, state: State, script: Script) -> str:
    person = next((p for p in state.people if p.get("id") == record.person_id), {})
    name = record.answers.get(script.history_name) or person.get("name")
    return str(name) if name else script.say("someone")


def _kind(record: Record, script: Script) -> str:
    flow = script.flows.get(record.kind)
    return flow.title if flow else record.kind


def line(record: Record, state: State, script: Script, tz: tzinfo) -> str:
    """One record in the listing: date, kind, name, ratings, decision, and a few own words."""
    answers = record.answers
    details = []
    for store, message in zip(
        script.history_ratings, ("history.reciprocity", "history.feeling"), strict=False
    ):
        if isinstance(answers.get(store), int):
            details.append(script.say(message, value=str(answers[store])))
    decision = answer_text(answers, "decision", script)
    if decision:
        details.append(decision)
    words = last_words(answers, script)
    return script.say(
        "history.item",
        date=day(record.finished_at, tz),
        kind=_kind(record, script),
        name=_name(record, state, script),
        details="".join(f" · {d}" for d in details),
        words=script.say("history.words", value=shorten(words, EXCERPT)) if words else "",
    )


def page(
    records: Sequence[Record], number: int, pages: int, state: State, script: Script, tz: tzinfo
) -> Reply:
    """A page of the listing (``number`` from 0), newest first, a button to read each one."""
    lines = [script.say("history.header", page=str(number + 1), pages=str(pages))]
    lines.extend(line(r, state, script, tz) for r in records)
    if number + 1 < pages:
        lines.append(script.say("history.more", next=str(number + 2)))
    elif number > 0:
        lines.append(script.say("history.first"))
    buttons = tuple(
        Button(
            button_data(RECORD, str(r.id), 0),
            script.say("history.open", date=day(r.finished_at, tz), name=_name(r, state, script)),
        )
        for r in records
    )
    return Reply("\n".join(lines), buttons=buttons)


def view(record: Record, state: State, script: Script, tz: tzinfo) -> Reply:
    """One record whole: when, what kind, and its card with the person's own words."""
    answers = dict(record.answers)
    if not answers.get(script.history_name):
        person = next((p for p in state.people if p.get("id") == record.person_id), {})
        if person.get("name"):
            answers[script.history_name] = person["name"]
    text = script.say(
        "history.record",
        date=day(record.finished_at, tz),
        kind=_kind(record, script),
        card=card(answers, script),
    )
    return Reply(text)


__all__ = ["RECORD", "Record", "day", "line", "page", "view"]
