"""``threshold migrate-db``: an SQLite file with everything in it moves to PostgreSQL, is checked
row for row, and reads back the same through the PostgreSQL store under the same key."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from adapters.cli import main
from bot.crypto import cipher_for, new_key
from bot.ports.schedule import Graces
from bot.ports.store import AnswerRow, Due, FinishedRecord, TurnWrite, UserKey
from bot.postgres.moving import MoveRefused, _check
from bot.postgres.store import PostgresStore
from bot.sqlite.schedule import SqliteSchedule
from bot.sqlite.store import SqliteStore
from dialogs.model import State
from tests.support.chats import START, Clock
from tests.support.schedules import NINE, subscribe

ANN = UserKey("telegram", "100")


async def migrate_db(path: Path, url: str) -> int:
    """``threshold migrate-db`` as typed (on a thread: the command runs its own event loop)."""
    return await asyncio.to_thread(main, ["migrate-db", "--from", f"sqlite:///{path}", "--to", url])


async def fill(path: Path, key: str, clock: Clock) -> list[UserKey]:
    """People with conversations, records, answers of every kind, reminders, mantras, the
    delivery log and the inbox, all sealed under ``key``."""
    cipher = cipher_for(key)
    people = [ANN, UserKey("discord", "200"), UserKey("telegram", "300")]
    async with SqliteStore(path, clock=clock, cipher=cipher) as store:
        for n, person in enumerate(people):
            await subscribe(store, person.user_id, clock.now, platform=person.platform)
            answers = (
                AnswerRow("name", value_text=f"Sam {n} 🌱"),
                AnswerRow("kind", value_choice="friendship"),
                AnswerRow("signals", value_choice="tone", position=0),
                AnswerRow("signals", value_choice="distance", position=1),
                AnswerRow("reciprocity", value_int=n),
            )
            record = FinishedRecord(
                "reflection", "p1", START, START + timedelta(minutes=9), answers
            )
            due = Due("checkin:p1", "checkin_reminder", NINE, {"person_id": "p1"})
            saved = await store.load(person)
            assert saved is not None
            await store.save(
                person,
                TurnWrite(State(data={"n": n}), finished=(record,), schedule=(due,)),
                expected_version=saved.version,
            )
        await store.inbox_put("telegram", 7, b'{"update_id": 7, "message": {"text": "hi"}}')
        async with SqliteSchedule(path, clock=clock, cipher=cipher) as schedule:
            await schedule.claim(NINE, Graces(), limit=100)
    return people


async def test_a_whole_sqlite_database_moves_and_reads_back_the_same(
    tmp_path: Path, pg_url: str, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    key = new_key()
    path = tmp_path / "t.db"
    people = await fill(path, key, clock)
    async with SqliteStore(path, clock=clock, cipher=cipher_for(key)) as lite:
        before = {p: (await lite.export(p), await lite.history(p)) for p in people}
        inbox = await lite.inbox_pending("telegram", 10)

    assert await migrate_db(path, pg_url) == 0
    said = capsys.readouterr().out
    assert "checked row for row" in said and "answers 15" in said and key not in said

    async with PostgresStore(pg_url, clock=clock, cipher=cipher_for(key)) as moved:
        after = {p: (await moved.export(p), await moved.history(p)) for p in people}
        assert await moved.inbox_pending("telegram", 10) == inbox
        version = await moved.save(ANN, TurnWrite(State()), expected_version=2)  # goes on
        assert version == 3
        another = UserKey("telegram", "new")  # ids continue past the moved ones
        assert await moved.save(another, TurnWrite(State()), expected_version=0) == 1
    assert after == before


async def test_a_wrong_key_cannot_read_what_moved(
    tmp_path: Path, pg_url: str, clock: Clock
) -> None:
    path = tmp_path / "t.db"
    await fill(path, new_key(), clock)
    assert await migrate_db(path, pg_url) == 0
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match="not the key"):
        await PostgresStore(pg_url, cipher=cipher_for(new_key())).open()


async def test_moving_into_a_database_that_holds_people_is_refused_and_changes_nothing(
    tmp_path: Path, pg_url: str, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.db"
    await fill(path, new_key(), clock)
    async with PostgresStore(pg_url) as other:
        await other.save(UserKey("telegram", "someone"), TurnWrite(State()), expected_version=0)
    assert await migrate_db(path, pg_url) == 1
    assert "already holds" in capsys.readouterr().err
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (1,)


@pytest.mark.parametrize(
    ("source", "target", "says"),
    [
        ("data/t.db", "postgresql://127.0.0.1/test", "--from must be an SQLite URL"),
        ("sqlite:///t.db", "mysql://127.0.0.1/test", "--to must be a PostgreSQL URL"),
        ("sqlite:///no/such/file.db", "postgresql://127.0.0.1/test", "no SQLite database"),
    ],
)
def test_a_move_between_wrong_places_is_refused_in_one_line(
    source: str, target: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate-db", "--from", source, "--to", target]) == 1
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1


def test_a_file_at_an_older_schema_is_refused_until_threshold_upgraded_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name, at)")
        conn.execute("INSERT INTO schema_migrations VALUES (1, 'init', 'x')")
    assert main(["migrate-db", "--from", f"sqlite:///{path}", "--to", "postgresql://x/y"]) == 1
    assert "start this release of Threshold on it once" in capsys.readouterr().err


async def test_the_row_for_row_check_finds_one_changed_value(
    tmp_path: Path, pg_url: str, clock: Clock
) -> None:
    path = tmp_path / "t.db"
    await fill(path, new_key(), clock)
    assert await migrate_db(path, pg_url) == 0
    async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as conn:
        await conn.execute("UPDATE records SET person_id = 'p2' WHERE id = 2")
        lite = sqlite3.connect(path)
        try:
            with pytest.raises(MoveRefused, match="records: row 2 differs"):
                await _check(lite, conn, "records", "id")
            await _check(lite, conn, "answers", "id")  # the others still match
        finally:
            lite.close()
