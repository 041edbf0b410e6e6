"""The conversation service end to end: real events, the real machine, a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot.conversations import EXPORT_FORMAT, Conversations
from bot.ports.store import Address, UserKey
from bot.sqlite.store import SqliteStore
from dialogs.model import Pick
from dialogs.script import Script
from tests.support.chats import REFLECTION, START, Chat, Clock, chat_for, play

TABLES = ("conversations", "records", "mantra_subscriptions", "due", "delivery_log")


def query(path: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, args).fetchall()


async def test_whole_reflection_is_stored_with_every_answer(
    chat: Chat, db_path: Path, script: Script
) -> None:
    await chat.command("reflect")
    await play(chat, REFLECTION)
    assert chat.said("Here is what you wrote today.")
    [(record_id, kind, person, started, finished)] = query(
        db_path, "SELECT id, kind, person_id, started_at, finished_at FROM records"
    )
    assert (kind, person) == ("reflection", "p1")
    assert started == "2025-03-01T08:01:00.000000+00:00"
    assert finished == "2025-03-01T08:20:00.000000+00:00"
    answers = query(
        db_path,
        "SELECT question, position, value_text, value_choice, value_int FROM answers"
        " WHERE record_id = ? ORDER BY question, position",
        record_id,
    )
    assert answers == [
        ("begging", None, None, "sometimes", None),
        ("closure", None, "I see value in myself.", None, None),
        ("decision", None, None, "boundary", None),
        ("followup_days", None, None, None, 7),
        ("kind", None, None, "romantic", None),
        ("love_or_fear", None, None, "fear", None),
        ("name", None, "Sam", None, None),
        ("pattern", None, None, "pattern", None),
        ("reciprocal", None, None, "sometimes", None),
        ("reciprocal_note", None, "I plan everything.", None, None),
        ("reciprocity", None, None, None, 2),
        ("self", 0, None, "draining", None),
        ("serving", None, None, "partly", None),
        ("serving_note", None, "Some days are fine.", None, None),
        ("signals", 0, None, "tone", None),
        ("signals", 1, None, "distance", None),
    ]
    [(key, due_at, platform, chat_id)] = query(
        db_path, "SELECT key, due_at_utc, address_platform, address_chat_id FROM due"
    )
    assert key == "checkin:p1" and (platform, chat_id) == ("telegram", "chat-1")
    assert due_at == (START + timedelta(days=7, minutes=20)).isoformat(timespec="microseconds")


async def test_a_new_process_resumes_at_the_same_question(
    db_path: Path, script: Script, clock: Clock
) -> None:
    async with SqliteStore(db_path, clock=clock) as store:
        chat = chat_for(Conversations(store, script, clock=clock), clock)
        await chat.command("reflect")
        await play(chat, REFLECTION[:9])
        asked = chat.question
        button = chat.button("2")
    async with SqliteStore(db_path, clock=clock) as store:
        chat = chat_for(Conversations(store, script, clock=clock), clock)
        await chat.command("start")
        assert chat.question.text == asked.text
        await chat.event(Pick(button.data, clock.advance(minutes=1)))  # the pre-restart button
        assert not chat.said("earlier question")
        assert "give and take" in chat.question.text
        await play(chat, REFLECTION[10:])
    assert query(db_path, "SELECT count(*) FROM records") == [(1,)]
    assert query(db_path, "SELECT value_int FROM answers WHERE question = 'reciprocity'") == [(2,)]


async def test_double_click_is_applied_once(chat: Chat, db_path: Path) -> None:
    await chat.command("reflect")
    await chat.send("Sam")
    press = Pick(chat.button("romantic").data, chat.clock.advance(minutes=1))
    first, second = await asyncio.gather(
        chat.conversations.handle(chat.key, press), chat.conversations.handle(chat.key, press)
    )
    assert [r.text for r in first if r.kind == "answer"] == ["Romantic"]
    assert any("earlier question" in r.text for r in second)
    assert not any(r.kind == "answer" for r in second)
    [(state,)] = query(db_path, "SELECT state FROM conversations")
    data = json.loads(str(state))
    assert data["node"] == "reflect.signals" and data["data"]["kind"] == "romantic"


async def test_many_people_reflect_at_once(
    service: Conversations, clock: Clock, db_path: Path
) -> None:
    chats = [chat_for(service, clock, user=str(n)) for n in range(150)]

    async def reflect(chat: Chat) -> None:
        await chat.command("reflect")
        for action, value in REFLECTION:
            await asyncio.sleep(0)
            await (chat.send(value) if action == "send" else chat.press(value))

    await asyncio.gather(*(reflect(c) for c in chats))
    assert query(db_path, "SELECT count(*) FROM records") == [(150,)]
    counts = query(db_path, "SELECT count(*) FROM answers GROUP BY record_id")
    assert counts == [(16,)] * 150
    assert service.active == 0  # every person's lock was dropped once idle


async def test_unavailable_database_gets_a_kind_reply_and_changes_nothing(
    db_path: Path, script: Script, clock: Clock
) -> None:
    async with SqliteStore(db_path, clock=clock, busy_timeout=0.05) as store:
        chat = chat_for(Conversations(store, script, clock=clock), clock)
        await chat.command("reflect")
        await play(chat, REFLECTION[:18])
        before = query(db_path, "SELECT state, version FROM conversations")
        button = chat.button("d7")
        blocker = sqlite3.connect(db_path, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            replies = await chat.press("d7")  # would finish the reflection
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert [r.text for r in replies] == [script.say("error.busy")]
        assert query(db_path, "SELECT state, version FROM conversations") == before
        assert query(db_path, "SELECT count(*) FROM records") == [(0,)]
        assert query(db_path, "SELECT count(*) FROM due") == [(0,)]
        await chat.event(Pick(button.data, clock.advance(minutes=1)))  # trying again works
        assert chat.said("Here is what you wrote today.")
        assert query(db_path, "SELECT count(*) FROM records") == [(1,)]


async def test_forget_leaves_no_row_about_the_person(
    service: Conversations, clock: Clock, db_path: Path
) -> None:
    ann, bob = chat_for(service, clock, "ann"), chat_for(service, clock, "bob")
    for chat in (ann, bob):
        await chat.command("reflect")
        await play(chat, REFLECTION)
        await chat.press("yes")  # mantras: set them up
        await chat.press("0900")
        await chat.press("UTC")
        await chat.press("daily")
    ann_id = query(db_path, "SELECT id FROM users WHERE platform_user_id = 'ann'")[0][0]
    await ann.command("forget")
    await ann.press("yes")
    assert ann.said("Everything is deleted")
    assert query(db_path, "SELECT count(*) FROM users WHERE platform_user_id = 'ann'") == [(0,)]
    for table in TABLES:
        assert query(db_path, f"SELECT count(*) FROM {table} WHERE user_id = ?", ann_id) == [(0,)]
    assert query(db_path, "SELECT count(*) FROM answers") == [(16,)]  # bob's only
    assert query(db_path, "SELECT count(*) FROM mantra_subscriptions") == [(1,)]
    await ann.command("history")
    assert ann.said("Nothing here yet")


async def test_history_lists_reflections_newest_first(chat: Chat) -> None:
    await chat.command("reflect")
    await play(chat, REFLECTION)
    await chat.command("history")
    [text] = [r.text for r in chat.last]
    lines = text.splitlines()
    assert lines[0].startswith("Your reflections and check-ins") and "page 1 of 1" in lines[0]
    assert lines[1].startswith("1 Mar 2025 · reflection · Sam")
    assert "effort 2/5" in lines[1] and "Set a boundary" in lines[1]
    assert lines[1].endswith("— “I see value in myself.”")  # a few of their own words


async def test_export_is_a_json_file_of_everything(chat: Chat) -> None:
    await chat.command("reflect")
    await play(chat, REFLECTION)
    await chat.command("export")
    [reply] = [r for r in chat.last if r.attachment]
    assert reply.attachment is not None
    assert reply.attachment.filename == "threshold-export.json"
    assert reply.attachment.media_type == "application/json"
    doc = json.loads(reply.attachment.data)
    assert doc["format"] == EXPORT_FORMAT
    assert doc["user"]["user_id"] == "1"
    [record] = doc["records"]
    assert {"question": "name", "position": None, "value_text": "Sam", "value_choice": None,
            "value_int": None} in record["answers"]  # fmt: skip
    assert [d["key"] for d in doc["due"]] == ["checkin:p1"]


async def test_mantra_schedule_says_when_the_next_one_comes(chat: Chat) -> None:
    await chat.command("mantras")
    await chat.press("setup")
    await chat.send("7:30")
    await chat.send("Europe/Berlin")
    await chat.press("weekdays")
    assert chat.said("The next one comes on Monday 3 March at 07:30.")  # 1 March is a Saturday
    await chat.command("mantras")
    assert chat.said("Mantras are on: every weekday at 07:30 (Europe/Berlin).")
    assert chat.said("The next one comes on Monday 3 March at 07:30.")
    assert chat.last[-1].kind == "ask"  # the status comes before the question


async def test_turn_logs_carry_keys_and_nodes_never_what_was_typed(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await chat.command("reflect")
    await chat.send("Sam Secretname")
    await chat.send("my-private-answer")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert str(chat.key) in text and "reflect.name" in text  # the keyed pseudonym, at DEBUG
    assert "telegram:1" not in text and str(chat.key).startswith("telegram~")
    assert "Secretname" not in text and "my-private-answer" not in text


async def test_idle_people_hold_no_lock(service: Conversations, clock: Clock) -> None:
    for n in range(50):
        await chat_for(service, clock, str(n)).command("help")
    assert service.active == 0


async def test_address_is_remembered_for_later_deliveries(
    service: Conversations, clock: Clock, db_path: Path
) -> None:
    chat = chat_for(service, clock)
    chat.address = Address("telegram", "dm-42")
    await chat.command("help")
    chat.address = None  # a later event without an address keeps the known one
    await chat.command("help")
    assert query(db_path, "SELECT address_platform, address_chat_id FROM users") == [
        ("telegram", "dm-42")
    ]
    assert UserKey("telegram", "1") == chat.key


async def test_two_processes_on_one_file_take_turns_without_losing_answers(
    db_path: Path, script: Script, clock: Clock
) -> None:
    async with SqliteStore(db_path, clock=clock) as one, SqliteStore(db_path, clock=clock) as two:
        first = chat_for(Conversations(one, script, clock=clock), clock)
        second = chat_for(Conversations(two, script, clock=clock), clock)
        await first.command("reflect")
        await second.send("Sam")  # the other process answers the name question
        second_kind = second.button("family")
        await first.event(Pick(second_kind.data, clock.advance(minutes=1)))
        assert not first.said("earlier question")  # first's cached copy was stale: reloaded
        assert "What has shifted with Sam?" in first.question.text
    [(state,)] = query(db_path, "SELECT state FROM conversations")
    assert json.loads(str(state))["data"] == {"name": "Sam", "kind": "family"}
