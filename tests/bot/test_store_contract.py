"""The storage contract, run against MemoryStore and SqliteStore alike."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import StaleWrite, StoreUnavailable
from bot.ports.store import (
    Address,
    AnswerRow,
    Due,
    FinishedRecord,
    MantraSettings,
    Store,
    TurnWrite,
    UserKey,
    to_db_time,
)
from dialogs.model import JSON, State
from tests.support.chats import START, Clock
from tests.support.documents import dig, items, obj

ANN = UserKey("telegram", "100")
BOB = UserKey("discord", "200")
HOME = Address("telegram", "chat-100")


def state(node: str | None = "reflect.kind", **data: JSON) -> State:
    return State(flow="reflect" if node else None, node=node, data=data, ask=3)


def record(minutes: int = 0, person: str = "p1", **answers: object) -> FinishedRecord:
    at = START + timedelta(minutes=minutes)
    rows = tuple(
        AnswerRow(q, value_int=v) if isinstance(v, int) else AnswerRow(q, value_choice=str(v))
        for q, v in answers.items()
    )
    return FinishedRecord("reflection", person, at - timedelta(minutes=5), at, rows)


async def first_save(store: Store, key: UserKey = ANN, **turn: object) -> int:
    return await store.save(key, TurnWrite(state(), address=HOME, **turn), expected_version=0)  # type: ignore[arg-type]


async def test_unknown_person_loads_as_nothing(store: Store) -> None:
    assert await store.load(ANN) is None


async def test_saved_state_loads_back_with_its_version(store: Store) -> None:
    version = await store.save(ANN, TurnWrite(state(name="Ann")), expected_version=0)
    assert version == 1
    saved = await store.load(ANN)
    assert saved is not None
    assert saved.state == state(name="Ann")
    assert saved.version == 1
    assert await store.save(ANN, TurnWrite(state("reflect.signals")), expected_version=1) == 2
    saved = await store.load(ANN)
    assert saved is not None and saved.state.node == "reflect.signals" and saved.version == 2


async def test_save_with_an_old_version_is_stale_and_writes_nothing(store: Store) -> None:
    await first_save(store)
    await store.save(ANN, TurnWrite(state("reflect.signals")), expected_version=1)
    with pytest.raises(StaleWrite):
        await store.save(
            ANN, TurnWrite(state("reflect.pattern"), finished=(record(),)), expected_version=1
        )
    saved = await store.load(ANN)
    assert saved is not None and saved.state.node == "reflect.signals" and saved.version == 2
    assert (await store.history(ANN)).items == ()


async def test_creating_a_conversation_that_exists_is_stale(store: Store) -> None:
    await first_save(store)
    with pytest.raises(StaleWrite):
        await store.save(ANN, TurnWrite(state()), expected_version=0)


async def test_saving_a_version_that_was_never_stored_is_stale(store: Store) -> None:
    with pytest.raises(StaleWrite):
        await store.save(ANN, TurnWrite(state()), expected_version=4)
    assert await store.load(ANN) is None


async def test_finished_record_keeps_every_answer_with_its_type(store: Store) -> None:
    answers = (
        AnswerRow("name", value_text="Sam"),
        AnswerRow("kind", value_choice="friendship"),
        AnswerRow("signals", value_choice="tone", position=0),
        AnswerRow("signals", value_choice="distance", position=1),
        AnswerRow("reciprocity", value_int=2),
        AnswerRow("closure", value_text="I see value in myself. 🌱 שלום"),
    )
    finished = FinishedRecord("reflection", "p1", START, START + timedelta(minutes=9), answers)
    await first_save(store, finished=(finished,))
    page = await store.history(ANN)
    assert len(page.items) == 1
    item = page.items[0]
    assert (item.kind, item.person_id, item.finished_at) == (
        "reflection",
        "p1",
        finished.finished_at,
    )
    assert item.started_at == START and item.started_at.tzinfo is not None
    assert item.answers == {
        "name": "Sam",
        "kind": "friendship",
        "signals": ["tone", "distance"],
        "reciprocity": 2,
        "closure": "I see value in myself. 🌱 שלום",
    }


async def test_history_is_newest_first_and_paged(store: Store) -> None:
    version = await first_save(store)
    for minute in range(7):
        version = await store.save(
            ANN,
            TurnWrite(state(), finished=(record(minute, person=f"p{minute}"),)),
            expected_version=version,
        )
    first = await store.history(ANN, page=0, per_page=3)
    assert [i.person_id for i in first.items] == ["p6", "p5", "p4"]
    assert (first.page, first.pages) == (0, 3)
    last = await store.history(ANN, page=2, per_page=3)
    assert [i.person_id for i in last.items] == ["p0"]
    assert (await store.history(ANN, page=5, per_page=3)).items == ()


async def test_history_of_an_unknown_person_is_one_empty_page(store: Store) -> None:
    page = await store.history(BOB)
    assert page.items == () and page.pages == 1


async def test_one_record_is_read_by_its_id_and_only_by_its_owner(store: Store) -> None:
    await first_save(store, finished=(record(1, reciprocity=2), record(2, decision="talk")))
    await first_save(store, BOB, finished=(record(3, decision="watch"),))
    mine = (await store.history(ANN)).items
    theirs = (await store.history(BOB)).items
    found = await store.record(ANN, mine[1].id)
    assert found == mine[1]
    assert found is not None and found.answers == {"reciprocity": 2}
    assert await store.record(ANN, theirs[0].id) is None  # Bob's, asked for by Ann
    assert await store.record(ANN, 10_000) is None
    assert await store.record(UserKey("telegram", "nobody"), mine[0].id) is None


async def pending(store: Store, key: UserKey = ANN) -> list[tuple[JSON, JSON, JSON, JSON]]:
    """The person's due rows not yet delivered: (key, due at, address, payload), by due time."""
    doc = await store.export(key)
    rows = [d for d in map(obj, items(doc["due"])) if d["done_at"] is None]
    found = [(d["key"], d["due_at"], d["address"], d["payload"]) for d in rows]
    return sorted(found, key=lambda r: (str(r[1]), str(r[0])))


def at(moment: datetime) -> str:
    return to_db_time(moment)


async def test_a_scheduled_reminder_is_kept_with_its_address_and_payload(store: Store) -> None:
    due = Due("checkin:p1", "checkin_reminder", START + timedelta(days=7), {"person_id": "p1"})
    await first_save(store, schedule=(due,))
    assert await pending(store) == [
        ("checkin:p1", at(due.due_at), {"platform": "telegram", "chat_id": "chat-100"},
         {"person_id": "p1"}),
    ]  # fmt: skip


async def test_scheduling_a_key_again_moves_it(store: Store) -> None:
    version = await first_save(store, schedule=(Due("k", "checkin_reminder", START),))
    moved = Due("k", "checkin_reminder", START + timedelta(days=3))
    await store.save(ANN, TurnWrite(state(), schedule=(moved,)), expected_version=version)
    assert [(k, due) for k, due, _, _ in await pending(store)] == [("k", at(moved.due_at))]


async def test_cancel_removes_a_pending_item_and_is_applied_before_scheduling(store: Store) -> None:
    version = await first_save(
        store,
        schedule=(Due("a", "checkin_reminder", START), Due("b", "checkin_reminder", START)),
    )
    again = Due("b", "checkin_reminder", START + timedelta(hours=1))
    await store.save(
        ANN, TurnWrite(state(), cancel=("a", "b"), schedule=(again,)), expected_version=version
    )
    assert [(k, due) for k, due, _, _ in await pending(store)] == [("b", at(again.due_at))]


async def test_due_items_go_to_the_known_address_or_the_private_chat(store: Store) -> None:
    await first_save(store)  # ANN's address is HOME
    await store.save(
        ANN, TurnWrite(state(), schedule=(Due("x", "checkin_reminder", START),)), expected_version=1
    )
    await store.save(
        BOB, TurnWrite(state(), schedule=(Due("y", "checkin_reminder", START),)), expected_version=0
    )
    assert [a for _, _, a, _ in await pending(store)] == [
        {"platform": "telegram", "chat_id": "chat-100"}
    ]
    assert [a for _, _, a, _ in await pending(store, BOB)] == [
        {"platform": "discord", "chat_id": "200"}
    ]


async def test_mantra_schedule_is_saved_read_and_switched_off(store: Store) -> None:
    assert await store.mantras(ANN) is None
    on = MantraSettings(True, "07:30", "Europe/Berlin", "weekdays", START + timedelta(hours=30))
    version = await first_save(store, mantras=on)
    sub = await store.mantras(ANN)
    assert sub is not None
    assert (sub.enabled, sub.time, sub.tz, sub.days, sub.next_due, sub.rotation) == (
        True,
        "07:30",
        "Europe/Berlin",
        "weekdays",
        on.next_due,
        (),
    )
    off = MantraSettings(False, "07:30", "Europe/Berlin", "weekdays", None)
    await store.save(ANN, TurnWrite(state(), mantras=off), expected_version=version)
    sub = await store.mantras(ANN)
    assert sub is not None and not sub.enabled and sub.next_due is None


async def test_unreachable_person_loses_mantras_until_they_write_again(store: Store) -> None:
    on = MantraSettings(True, "09:00", "UTC", "daily", START + timedelta(hours=1))
    version = await first_save(store, mantras=on)
    await store.mark_unreachable(ANN)
    sub = await store.mantras(ANN)
    assert sub is not None and not sub.enabled
    exported = await store.export(ANN)
    assert dig(exported, "user", "unreachable") is True
    await store.save(ANN, TurnWrite(state(), address=HOME), expected_version=version)
    assert dig(await store.export(ANN), "user", "unreachable") is False
    await store.mark_unreachable(UserKey("telegram", "nobody"))  # unknown: nothing to do


async def test_forget_deletes_everything_about_the_person_only(store: Store) -> None:
    on = MantraSettings(True, "09:00", "UTC", "daily", START + timedelta(hours=1))
    version = await first_save(
        store,
        finished=(record(kind="family"),),
        schedule=(Due("k", "checkin_reminder", START),),
        mantras=on,
    )
    await first_save(
        store, BOB, finished=(record(),), schedule=(Due("k", "checkin_reminder", START),)
    )
    assert await store.save(ANN, TurnWrite(State(), forget=True), expected_version=version) == 0
    assert await store.load(ANN) is None
    assert await store.mantras(ANN) is None
    assert (await store.history(ANN)).items == ()
    assert await store.export(ANN) == {
        "user": None,
        "conversation": None,
        "records": [],
        "mantras": None,
        "due": [],
        "delivery_log": [],
        "tables": {},
    }
    assert [k for k, _, _, _ in await pending(store, BOB)] == ["k"]  # Bob's stays
    assert len((await store.history(BOB)).items) == 1
    # starting over works like a first visit
    assert await store.save(ANN, TurnWrite(state()), expected_version=0) == 1


async def test_forget_with_an_old_version_is_stale(store: Store) -> None:
    await first_save(store)
    await store.save(ANN, TurnWrite(state()), expected_version=1)
    with pytest.raises(StaleWrite):
        await store.save(ANN, TurnWrite(State(), forget=True), expected_version=1)
    assert await store.load(ANN) is not None


async def test_export_holds_every_row_as_json(store: Store, clock: Clock) -> None:
    on = MantraSettings(True, "09:00", "UTC", "daily", START + timedelta(hours=1))
    await first_save(
        store,
        finished=(record(reciprocity=3, kind="work"),),
        schedule=(Due("k", "checkin_reminder", START, {"person_id": "p1"}),),
        mantras=on,
    )
    doc = await store.export(ANN)
    assert json.loads(json.dumps(doc)) == doc
    assert doc["user"] == {
        "platform": "telegram",
        "user_id": "100",
        "address": {"platform": "telegram", "chat_id": "chat-100"},
        "unreachable": False,
        "created_at": "2025-03-01T08:00:00.000000+00:00",
    }
    assert dig(doc, "conversation", "state", "node") == "reflect.kind"
    [rec] = items(doc["records"])
    answers = map(obj, items(dig(rec, "answers")))
    assert {a["question"]: a["value_int"] or a["value_choice"] for a in answers} == {
        "reciprocity": 3,
        "kind": "work",
    }
    assert dig(doc, "mantras", "tz") == "UTC"
    [due] = map(obj, items(doc["due"]))
    assert due["key"] == "k" and due["done_at"] is None and due["payload"] == {"person_id": "p1"}
    assert doc["delivery_log"] == []  # nothing delivered yet (the scheduler writes these rows)


async def test_naive_time_is_refused_and_nothing_of_the_turn_is_written(store: Store) -> None:
    naive = FinishedRecord("reflection", "p1", datetime(2025, 1, 1), datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="naive"):
        await store.save(ANN, TurnWrite(state(), finished=(naive,)), expected_version=0)
    assert await store.load(ANN) is None
    assert (await store.history(ANN)).items == ()


async def test_one_stale_turn_does_not_fail_others_written_together(store: Store) -> None:
    await first_save(store)
    results = await asyncio.gather(
        store.save(ANN, TurnWrite(state("reflect.pattern")), expected_version=7),
        store.save(BOB, TurnWrite(state(), finished=(record(),)), expected_version=0),
        store.save(UserKey("console", "c"), TurnWrite(state()), expected_version=0),
        return_exceptions=True,
    )
    assert isinstance(results[0], StaleWrite)
    assert list(results[1:]) == [1, 1]  # gather answers a list (typeshed says a tuple)
    assert len((await store.history(BOB)).items) == 1
    saved = await store.load(ANN)
    assert saved is not None and saved.state.node == "reflect.kind"


async def test_closed_store_is_unavailable(store: Store) -> None:
    await store.close()
    with pytest.raises(StoreUnavailable):
        await store.save(ANN, TurnWrite(state()), expected_version=0)


def test_times_are_aware_utc() -> None:
    from bot.ports.store import from_db_time, to_db_time

    local = datetime(2025, 3, 30, 3, 30, tzinfo=UTC).astimezone()
    text = to_db_time(local)
    assert text.endswith("+00:00") and len(text) == len("2025-03-30T03:30:00.000000+00:00")
    assert from_db_time(text) == local and from_db_time(text).tzinfo is UTC


async def test_ping_answers_while_the_store_is_open_and_not_once_closed(store: Store) -> None:
    await store.ping()
    await store.close()
    with pytest.raises(StoreUnavailable):
        await store.ping()


# --------------------------------------------------------------------------------------------
# The webhook inbox


async def test_an_update_recorded_twice_is_kept_once_and_applied_once(store: Store) -> None:
    body = b'{"update_id": 5, "message": {"text": "what I wrote"}}'
    assert await store.inbox_put("telegram", 5, body) is True
    assert await store.inbox_put("telegram", 5, body) is False  # a redelivery
    assert await store.inbox_put("telegram", 6, b'{"update_id": 6}') is True
    pending = await store.inbox_pending("telegram", 10)
    assert [(i.update_id, i.body) for i in pending] == [(5, body), (6, b'{"update_id": 6}')]
    assert await store.inbox_pending("discord", 10) == []
    await store.inbox_done("telegram", 5)
    assert [i.update_id for i in await store.inbox_pending("telegram", 10)] == [6]
    assert await store.inbox_put("telegram", 5, body) is False  # still recognised once applied
