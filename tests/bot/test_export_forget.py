"""``/export`` and ``/forget`` through the service on a real SQLite file, with and without
encryption: the export validates against ``docs/export.schema.json``, round-trips, and holds
every row of every table about the person; forgetting leaves no row about them anywhere, and
afterwards they are a stranger."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from bot.conversations import Conversations
from bot.crypto import PLAIN, Sealer, cipher_for, new_key
from bot.memory.store import MemoryStore
from bot.ports.schedule import Graces
from bot.ports.store import AnswerRow, Store, answers_from_rows
from bot.sqlite.export import NOT_PERSONAL, SHAPED, user_tables
from bot.sqlite.schedule import SqliteSchedule
from bot.sqlite.store import SqliteStore
from dialogs.codec import state_from_json, state_to_json
from dialogs.script import Script
from tests.support.chats import REFLECTION, Chat, Clock, chat_for, play

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "export.schema.json").read_text(encoding="utf-8"))
PEOPLE = "users"
"""The root: one row per person (``id``); every other table hangs off it."""
CHILD_TABLES = {"answers": ("record_id", "records")}
"""Tables without a ``user_id`` that belong to a person through a parent row."""
CHECKIN = [("press", "p1"), ("send", "canary-news-5c1f he called, briefly"), ("press", "yes"),
           ("press", "sometimes"), ("press", "3"), ("press", "love"), ("press", "4"),
           ("press", "keep"), ("press", "d3")]  # fmt: skip


@dataclass
class World:
    db: Path
    store: Store
    service: Conversations
    clock: Clock
    cipher: Sealer = PLAIN


@pytest.fixture(params=["plain", "encrypted"])
async def world(
    request: pytest.FixtureRequest, tmp_path: Path, script: Script, clock: Clock
) -> AsyncIterator[World]:
    db = tmp_path / "t.db"
    key = new_key() if request.param == "encrypted" else None
    cipher = cipher_for(key)
    async with SqliteStore(db, clock=clock, cipher=cipher) as store:
        yield World(db, store, Conversations(store, script, clock=clock), clock, cipher)


async def deliver_reminders(db: Path, chat: Chat, clock: Clock, cipher: Sealer) -> None:
    """The scheduler's own way, on the store's file: the check-in reminder that is due (three
    days on) is claimed and sent; that day's mantra is not this test's business and waits."""
    clock.advance(days=3, hours=1)
    async with SqliteSchedule(db, clock=clock, cipher=cipher) as schedule:
        await schedule.claim(clock.now, Graces(), limit=100)
        for delivery in await schedule.pending("telegram", 100):
            if delivery.user == chat.key and delivery.kind == "checkin_reminder":
                await schedule.begin(delivery.id, mantras=21)
                await schedule.settle(delivery.id, "sent")


async def a_whole_life(chat: Chat, store: Store, clock: Clock, world: World | None = None) -> None:
    """A reflection with mantras set up, a check-in, a reminder delivered (on a database file),
    a block and return."""
    await chat.command("reflect")
    await play(chat, REFLECTION)
    await chat.press("yes")
    await chat.press("0900")
    await chat.press("UTC")
    await chat.press("daily")
    await chat.command("checkin")
    await play(chat, CHECKIN)
    if world is not None:
        await deliver_reminders(world.db, chat, clock, world.cipher)
    await store.mark_unreachable(chat.key)
    await chat.command("reflect")  # back again, mid-way through a new reflection
    await chat.send("Robin")


async def forget(chat: Chat) -> None:
    await chat.command("forget")
    if chat.said("in the middle of"):
        await chat.press("new")  # leave the reflection in progress for the deletion
    await chat.press("yes")


def rows(db: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def tables(db: Path) -> list[str]:
    return [
        name
        for (name,) in rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")
        if not name.startswith("sqlite_")
    ]


async def exported(chat: Chat) -> dict[str, Any]:
    [reply] = [r for r in await chat.command("export") if r.attachment is not None]
    assert reply.attachment is not None
    doc: dict[str, Any] = json.loads(reply.attachment.data)
    return doc


# --------------------------------------------------------------------------------------------
# Export


async def test_the_export_validates_against_the_documented_schema(world: World) -> None:
    ann = chat_for(world.service, world.clock, "ann")
    await a_whole_life(ann, world.store, world.clock, world)
    doc = await exported(ann)
    Draft202012Validator.check_schema(SCHEMA)
    errors = sorted(Draft202012Validator(SCHEMA).iter_errors(doc), key=str)
    assert errors == [], [e.message for e in errors]
    assert [r["kind"] for r in doc["records"]] == ["reflection", "checkin"]
    outcomes = {(d["kind"], d["outcome"]) for d in doc["delivery_log"]}
    assert ("checkin_reminder", "sent") in outcomes and ("user", "unreachable") in outcomes
    assert doc["mantras"]["enabled"] is False  # switched off when the bot was blocked
    assert doc["conversation"]["state"]["data"] == {"name": "Robin"}


async def test_the_export_round_trips_to_what_is_stored(world: World) -> None:
    ann = chat_for(world.service, world.clock, "ann")
    await a_whole_life(ann, world.store, world.clock, world)
    doc = await exported(ann)
    again = json.loads(json.dumps(doc, ensure_ascii=False))
    assert again == doc
    saved = await world.store.load(ann.key)
    assert saved is not None
    state = state_from_json(again["conversation"]["state"])
    assert state == saved.state and state_to_json(state) == again["conversation"]["state"]
    assert again["conversation"]["version"] == saved.version
    history = (await world.store.history(ann.key, per_page=50)).items
    rebuilt = [answers_from_rows([AnswerRow(**a) for a in r["answers"]]) for r in again["records"]]
    assert rebuilt == [dict(item.answers) for item in reversed(history)]
    assert rebuilt[1]["news"] == "canary-news-5c1f he called, briefly"


async def test_the_export_holds_every_row_of_every_table_about_the_person(world: World) -> None:
    ann, bob = (chat_for(world.service, world.clock, who) for who in ("ann", "bob"))
    for chat in (ann, bob):
        await a_whole_life(chat, world.store, world.clock, world)
    with sqlite3.connect(world.db) as conn:  # a table a later version adds
        conn.execute("CREATE TABLE reminders_seen (id INTEGER PRIMARY KEY, user_id INTEGER,"
                     " note TEXT, at TEXT)")  # fmt: skip
        conn.execute("INSERT INTO reminders_seen (user_id, note, at) SELECT id, 'seen', 'x'"
                     " FROM users WHERE platform_user_id = 'ann'")  # fmt: skip
    doc = await exported(ann)
    [(uid,)] = rows(world.db, "SELECT id FROM users WHERE platform_user_id = 'ann'")
    section = {"users": "user", "conversations": "conversation", "mantra_subscriptions": "mantras"}
    with sqlite3.connect(world.db) as conn:
        for table in user_tables(conn):
            count = rows(world.db, f"SELECT count(*) FROM {table} WHERE user_id = ?", uid)[0][0]
            if table in section:
                assert (doc[section[table]] is not None) == (count == 1), table
            elif table in SHAPED:
                key = "user" if table == "users" else table
                assert len(doc[key]) == count, table
            else:
                assert doc["tables"][table] == [{"note": "seen", "at": "x"}]
    answers = rows(world.db, "SELECT count(*) FROM answers a JOIN records r ON r.id = a.record_id"
                   " WHERE r.user_id = ?", uid)[0][0]  # fmt: skip
    assert sum(len(r["answers"]) for r in doc["records"]) == answers
    assert "bob" not in json.dumps(doc)


def test_every_table_is_exported_or_known_to_hold_nothing_personal(tmp_path: Path) -> None:
    db = tmp_path / "schema.db"
    with sqlite3.connect(db) as conn:
        from bot.migrate import migrate

        conn.isolation_level = None
        migrate(conn)
        with_user_id = set(user_tables(conn))
    for table in tables(db):
        assert (
            table in with_user_id
            or table in NOT_PERSONAL
            or table in CHILD_TABLES
            or table == PEOPLE
        ), (
            f"{table}: give it a user_id (exported and forgotten), or classify it in "
            "bot/sqlite/export.py"
        )


async def test_the_memory_store_export_has_the_same_shape(script: Script, clock: Clock) -> None:
    store = MemoryStore(clock=clock)
    ann = chat_for(Conversations(store, script, clock=clock), clock, "ann")
    await a_whole_life(ann, store, clock)
    doc = await exported(ann)
    assert list(Draft202012Validator(SCHEMA).iter_errors(doc)) == []


# --------------------------------------------------------------------------------------------
# Forget


async def test_forget_leaves_no_row_about_the_person_in_any_table(world: World) -> None:
    ann, bob = (chat_for(world.service, world.clock, who) for who in ("ann", "bob"))
    for chat in (ann, bob):
        await a_whole_life(chat, world.store, world.clock, world)
    [(ann_id,)] = rows(world.db, "SELECT id FROM users WHERE platform_user_id = 'ann'")
    before = {t: rows(world.db, f"SELECT count(*) FROM {t}")[0][0] for t in tables(world.db)}
    await forget(ann)
    assert ann.said("Everything is deleted")
    with sqlite3.connect(world.db) as conn:
        with_user_id = user_tables(conn)
    for table in tables(world.db):
        if table in with_user_id:
            assert rows(world.db, f"SELECT count(*) FROM {table} WHERE user_id = ?", ann_id) == [
                (0,)
            ], table
        elif table == PEOPLE:
            assert rows(world.db, "SELECT count(*) FROM users WHERE id = ?", ann_id) == [(0,)]
        elif table in CHILD_TABLES:
            column, parent = CHILD_TABLES[table]
            orphans = rows(world.db, f"SELECT count(*) FROM {table} WHERE {column} NOT IN"
                           f" (SELECT id FROM {parent})")  # fmt: skip
            assert orphans == [(0,)], table
        else:
            assert table in NOT_PERSONAL, table
    after = {t: rows(world.db, f"SELECT count(*) FROM {t}")[0][0] for t in tables(world.db)}
    assert after["users"] == 1 and after["answers"] == before["answers"] // 2  # bob's stay
    assert after["delivery_log"] == before["delivery_log"] // 2


async def test_after_forget_the_person_is_a_stranger(world: World, script: Script) -> None:
    ann = chat_for(world.service, world.clock, "ann")
    await a_whole_life(ann, world.store, world.clock, world)
    await forget(ann)
    assert await world.store.load(ann.key) is None
    assert rows(world.db, "SELECT count(*) FROM users") == [(0,)]
    assert await world.store.mantras(ann.key) is None
    assert rows(world.db, "SELECT count(*) FROM due") == [(0,)]
    doc = await exported(ann)  # asking for the export is a first visit, and it is empty
    assert (doc["records"], doc["due"], doc["delivery_log"], doc["mantras"]) == ([], [], [], None)
    await ann.command("start")
    assert ann.said(script.say("intro").splitlines()[0])  # greeted as someone new
    await ann.command("history")
    assert ann.said("Nothing here yet")
