"""What only the SQLite store does: files, pragmas, locks, the cache, and bad databases."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import MigrationError, StaleWrite, StoreError, StoreUnavailable
from bot.migrate import shipped
from bot.ports.store import FinishedRecord, TurnWrite, UserKey
from bot.sqlite.store import SqliteStore
from dialogs.model import State
from tests.support.chats import START

ANN = UserKey("telegram", "100")


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


async def test_opening_creates_the_folder_and_the_file(tmp_path: Path) -> None:
    path = tmp_path / "data" / "deeper" / "threshold.db"
    async with SqliteStore(path):
        assert path.is_file()


async def test_migrations_are_applied_once_and_recorded(db_path: Path) -> None:
    async with SqliteStore(db_path):
        pass
    recorded = rows(db_path, "SELECT version, name FROM schema_migrations")
    assert recorded == [(m.version, m.name) for m in shipped()]
    assert recorded[0] == (1, "init")
    tables = {r[0] for r in rows(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {
        "users",
        "conversations",
        "records",
        "answers",
        "mantra_subscriptions",
        "due",
        "delivery_log",
    } <= tables
    async with SqliteStore(db_path):  # re-open: nothing to do, nothing duplicated
        pass
    assert rows(db_path, "SELECT version, name FROM schema_migrations") == recorded


async def test_wal_and_foreign_keys_are_on(sqlite_store: SqliteStore) -> None:
    assert await sqlite_store.pragma("journal_mode") == "wal"
    assert await sqlite_store.pragma("foreign_keys") == 1
    assert await sqlite_store.pragma("synchronous") == 1  # NORMAL


async def test_database_from_a_newer_threshold_is_refused(db_path: Path) -> None:
    async with SqliteStore(db_path):
        pass
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (99, 'future', 'x')")
    with pytest.raises(MigrationError, match="newer"):
        await SqliteStore(db_path).open()


def assert_plain(exc: StoreUnavailable, path: Path, reason: str) -> None:
    message = str(exc)
    assert str(path) in message and reason in message
    assert "Traceback" not in message and "\n" not in message
    assert exc.__cause__ is None and (exc.__suppress_context__ or exc.__context__ is None)


async def test_path_that_is_a_folder_is_unavailable(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    with pytest.raises(StoreUnavailable) as caught:
        await SqliteStore(folder).open()
    assert_plain(caught.value, folder, "is a folder")


async def test_folder_that_is_a_file_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    path = tmp_path / "data" / "t.db"
    with pytest.raises(StoreUnavailable) as caught:
        await SqliteStore(path).open()
    assert_plain(caught.value, path, "cannot be created")


async def test_garbage_file_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    path.write_bytes(b"these are not the bytes you are looking for " * 100)
    with pytest.raises(StoreUnavailable) as caught:
        await SqliteStore(path).open()
    assert_plain(caught.value, path, "not an SQLite database")


async def test_file_in_a_read_only_place_is_unavailable(tmp_path: Path) -> None:
    if os.geteuid() == 0:  # root writes through permission bits; /proc refuses even root
        path = Path("/proc/threshold-test.db")
    else:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o555)
        path = folder / "t.db"
    with pytest.raises(StoreUnavailable) as caught:
        await SqliteStore(path).open()
    assert_plain(caught.value, path, "cannot be opened")


async def test_database_locked_by_another_process_is_unavailable_then_recovers(
    db_path: Path,
) -> None:
    async with SqliteStore(db_path, busy_timeout=0.05) as store:
        await store.save(ANN, TurnWrite(State(node="a")), expected_version=0)
        other = sqlite3.connect(db_path, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreUnavailable, match="locked"):
            await store.save(ANN, TurnWrite(State(node="b")), expected_version=1)
        other.execute("ROLLBACK")
        other.close()
        saved = await store.load(ANN)
        assert saved is not None and saved.state.node == "a" and saved.version == 1
        assert await store.save(ANN, TurnWrite(State(node="b")), expected_version=1) == 2


async def test_another_process_writing_makes_the_cached_copy_stale(db_path: Path) -> None:
    async with SqliteStore(db_path) as mine, SqliteStore(db_path) as theirs:
        await mine.save(ANN, TurnWrite(State(node="a")), expected_version=0)
        assert (await theirs.load(ANN)) is not None
        await theirs.save(ANN, TurnWrite(State(node="theirs")), expected_version=1)
        cached = await mine.load(ANN)  # served from the cache: still version 1
        assert cached is not None and cached.version == 1
        with pytest.raises(StaleWrite):
            await mine.save(ANN, TurnWrite(State(node="mine")), expected_version=1)
        fresh = await mine.load(ANN)  # the stale entry was dropped: read from the file
        assert fresh is not None and fresh.state.node == "theirs" and fresh.version == 2


async def test_cache_is_bounded(db_path: Path) -> None:
    async with SqliteStore(db_path, cache_size=3) as store:
        for n in range(10):
            await store.save(UserKey("t", str(n)), TurnWrite(State()), expected_version=0)
        assert store.cached == 3
        saved = await store.load(UserKey("t", "0"))  # evicted, read back from the file
        assert saved is not None and saved.version == 1


async def test_unreadable_stored_state_starts_afresh_instead_of_locking_out(
    db_path: Path,
) -> None:
    async with SqliteStore(db_path) as store:
        await store.save(ANN, TurnWrite(State(node="a")), expected_version=0)
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE conversations SET state = '{\"version\": 999}'")
    async with SqliteStore(db_path) as store:
        saved = await store.load(ANN)
        assert saved is not None and saved.state == State() and saved.version == 1
        assert await store.save(ANN, TurnWrite(State(node="b")), expected_version=1) == 2


async def test_turns_in_flight_together_share_commits(db_path: Path) -> None:
    ticks = iter(range(1_000_000))

    def ticking() -> datetime:  # each batch reads the clock once: distinct stamps = batches
        return START + timedelta(microseconds=next(ticks))

    async with SqliteStore(db_path, clock=ticking) as store:
        people = [UserKey("t", str(n)) for n in range(200)]
        versions = await asyncio.gather(
            *(store.save(k, TurnWrite(State()), expected_version=0) for k in people)
        )
        assert versions == [1] * 200
    assert rows(db_path, "SELECT count(*) FROM conversations") == [(200,)]
    batches = rows(db_path, "SELECT count(DISTINCT updated_at) FROM conversations")[0][0]
    assert isinstance(batches, int) and batches < 10


async def test_writes_queued_before_close_are_committed(db_path: Path) -> None:
    store = await SqliteStore(db_path).open()
    pending = [
        asyncio.create_task(
            store.save(UserKey("t", str(n)), TurnWrite(State()), expected_version=0)
        )
        for n in range(20)
    ]
    await asyncio.sleep(0)
    await store.close()
    assert [await p for p in pending] == [1] * 20
    assert rows(db_path, "SELECT count(*) FROM conversations") == [(20,)]


async def test_turn_rejected_by_the_schema_is_rolled_back_alone(db_path: Path) -> None:
    bob = UserKey("discord", "bob")
    async with SqliteStore(db_path) as store:
        await store.save(ANN, TurnWrite(State(node="a")), expected_version=0)
        await store.save(bob, TurnWrite(State(node="a")), expected_version=0)
        bogus = FinishedRecord("diary", "p1", START, START)  # not a kind the schema allows
        results = await asyncio.gather(
            store.save(ANN, TurnWrite(State(node="b"), finished=(bogus,)), expected_version=1),
            store.save(bob, TurnWrite(State(node="b")), expected_version=1),
            return_exceptions=True,
        )
        assert isinstance(results[0], StoreError) and results[1] == 2
        saved = await store.load(ANN)
        assert saved is not None and (saved.state.node, saved.version) == ("a", 1)
    assert rows(db_path, "SELECT count(*) FROM records") == [(0,)]
    assert rows(db_path, "SELECT version FROM conversations ORDER BY user_id") == [(1,), (2,)]
