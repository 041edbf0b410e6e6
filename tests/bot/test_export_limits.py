"""/export under load: more records than SQLite takes parameters in one query (read in chunks,
on a connection of its own), and asked for again straight away (a kind no, not a second read)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from bot.conversations import Conversations
from bot.ports.store import TurnWrite, UserKey
from bot.sqlite.store import SqliteStore
from dialogs.model import Command, State
from dialogs.script import Script
from tests.support.chats import Clock
from tests.support.documents import dig

KEY = UserKey("telegram", "1")
RECORDS = 33_000  # past SQLite's 32,766 parameters in one statement


async def test_an_export_of_33000_records_holds_every_one(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    async with SqliteStore(db) as store:
        await store.save(KEY, TurnWrite(State(intro_seen=True)), expected_version=0)
    with sqlite3.connect(db) as conn:
        [(uid,)] = conn.execute("SELECT id FROM users").fetchall()
        at = "2025-03-01T08:00:00.000000+00:00"
        conn.executemany(
            "INSERT INTO records (id, user_id, kind, person_id, started_at, finished_at)"
            " VALUES (?, ?, 'checkin', 'p1', ?, ?)",
            [(n, uid, at, at) for n in range(1, RECORDS + 1)],
        )
        conn.executemany(
            "INSERT INTO answers (record_id, question, value_int) VALUES (?, 'feeling', ?)",
            [(n, 1 + n % 5) for n in range(1, RECORDS + 1)],
        )
    async with SqliteStore(db) as store:
        doc = await store.export(KEY)
        records = doc["records"]
        assert isinstance(records, list) and len(records) == RECORDS
        assert all(dig(r, "answers", 0, "value_int") == 1 + n % 5 for n, r in enumerate(records, 1))
        assert await store.load(KEY) is not None  # the store's own connection still answers


async def test_asking_for_the_export_again_straight_away_is_a_kind_no(
    sqlite_store: SqliteStore, script: Script, clock: Clock
) -> None:
    service = Conversations(sqlite_store, script, clock=clock)
    first = await service.handle(KEY, Command("export", clock.now))
    again = await service.handle(KEY, Command("export", clock.now + timedelta(seconds=10)))
    assert [r.attachment is not None for r in first] == [True]
    assert [r.attachment for r in again] == [None]
    assert again[0].text == script.say("export.too_soon")
    later = await service.handle(KEY, Command("export", clock.now + timedelta(minutes=2)))
    assert [r.attachment is not None for r in later] == [True]
