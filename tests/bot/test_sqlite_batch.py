"""The group commit (:mod:`bot.sqlite.batch`), called directly on a real SQLite file: every
queued turn written in one transaction, a failing turn rolled back alone to its savepoint, a
failure of the database itself failing every turn and writing none, a rotated key writing
nothing. ``test_sqlite_store.py`` shows batches forming inside the store; here
:func:`write_batch` is given the batch itself, and hypothesis drives the store's queue with
concurrent writers to check that every write is committed exactly once."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import pseudonyms
from bot.crypto import PLAIN, cipher_for, new_key
from bot.errors import EncryptedDataUnreadable, StaleWrite, StoreError, StoreUnavailable
from bot.ports.store import Address, Due, FinishedRecord, MantraSettings, TurnWrite, UserKey
from bot.sqlite import turns
from bot.sqlite.batch import Pending, is_plain, write_batch
from bot.sqlite.store import SqliteStore
from bot.sqlite.support import configure
from dialogs.model import State
from tests.support.chats import START

NOW = "2025-03-01T08:00:00.000000+00:00"
PEOPLE = [UserKey("telegram", str(n)) for n in range(1, 6)]
RECORD = FinishedRecord("reflection", "p1", START, START)
BOGUS = FinishedRecord("diary", "p1", START, START)  # no kind the schema allows


async def made(path: Path, **kwargs: object) -> None:
    """A real store file, migrated and with its install secret, then closed."""
    async with SqliteStore(path, **kwargs):  # type: ignore[arg-type]
        pass


@pytest.fixture
async def conn(db_path: Path) -> AsyncIterator[sqlite3.Connection]:
    await made(db_path)
    connection = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    configure(connection, 0)
    pseudonyms.use_secret(turns.install_secret(connection))
    yield connection
    connection.close()


def pending(
    key: UserKey, turn: TurnWrite, expected: int = 0, user_id: int | None = None
) -> Pending:
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    return Pending(key, turn, expected, user_id, False, future)


def rows(conn: sqlite3.Connection, sql: str) -> list[tuple[object, ...]]:
    return conn.execute(sql).fetchall()


def versions(conn: sqlite3.Connection) -> dict[str, int]:
    sql = (
        "SELECT u.platform_user_id, c.version FROM conversations c JOIN users u ON u.id = c.user_id"
    )
    return {str(user): int(version) for user, version in rows(conn, sql)}  # type: ignore[call-overload]


# --------------------------------------------------------------------------------------------
# Which turns need a savepoint


def test_a_turn_that_only_changes_the_state_is_plain() -> None:
    assert is_plain(TurnWrite(State(node="a")))
    assert is_plain(TurnWrite(State(), address=Address("telegram", "1")))


@pytest.mark.parametrize(
    "extra",
    [
        {"finished": (RECORD,)},
        {"schedule": (Due("checkin:p1", "checkin_reminder", START),)},
        {"cancel": ("checkin:p1",)},
        {"mantras": MantraSettings(True, "09:00", "UTC", "daily", START)},
        {"forget": True},
        {"snooze_until": START},
    ],
    ids=["finished", "schedule", "cancel", "mantras", "forget", "snooze"],
)
def test_a_turn_that_writes_more_than_its_state_is_not_plain(extra: dict[str, object]) -> None:
    assert not is_plain(replace(TurnWrite(State()), **extra))  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# One batch


async def test_every_turn_of_a_batch_is_committed_with_its_own_version(
    conn: sqlite3.Connection,
) -> None:
    batch = [pending(k, TurnWrite(State(node="a"))) for k in PEOPLE]
    outcomes = write_batch(conn, batch, NOW, PLAIN, "t.db")
    assert [o[0] for o in outcomes if isinstance(o, tuple)] == [1] * len(PEOPLE)
    assert len({o[1] for o in outcomes if isinstance(o, tuple)}) == len(PEOPLE)  # user ids
    assert versions(conn) == {k.user_id: 1 for k in PEOPLE}
    assert not conn.in_transaction


async def test_a_stale_turn_fails_alone_and_the_turns_around_it_commit(
    conn: sqlite3.Connection,
) -> None:
    write_batch(conn, [pending(k, TurnWrite(State())) for k in PEOPLE[:3]], NOW, PLAIN, "t")
    batch = [
        pending(PEOPLE[0], TurnWrite(State(node="b")), expected=1),
        pending(PEOPLE[1], TurnWrite(State(node="b")), expected=7),  # not its version
        pending(PEOPLE[2], TurnWrite(State(node="b")), expected=1),
    ]
    first, stale, third = write_batch(conn, batch, NOW, PLAIN, "t")
    assert isinstance(stale, StaleWrite)
    assert first[0] == 2 and third[0] == 2  # type: ignore[index]
    assert versions(conn) == {"1": 2, "2": 1, "3": 2}


async def test_a_turn_rejected_after_its_state_was_written_is_rolled_back_whole(
    conn: sqlite3.Connection,
) -> None:
    """The state UPDATE runs before the bad record's INSERT: the savepoint must undo it, or the
    person's conversation would move on without the record the reply speaks of."""
    write_batch(conn, [pending(k, TurnWrite(State(node="a"))) for k in PEOPLE[:2]], NOW, PLAIN, "t")
    batch = [
        pending(PEOPLE[0], TurnWrite(State(node="b"), finished=(RECORD, BOGUS)), expected=1),
        pending(PEOPLE[1], TurnWrite(State(node="b"), finished=(RECORD,)), expected=1),
    ]
    rejected, written = write_batch(conn, batch, NOW, PLAIN, "t")
    assert isinstance(rejected, StoreError) and "rejected by the schema" in str(rejected)
    assert written[0] == 2  # type: ignore[index]
    assert versions(conn) == {"1": 1, "2": 2}
    assert rows(conn, "SELECT count(*) FROM records") == [(1,)]


async def test_a_failure_of_the_database_fails_every_turn_and_writes_none(
    conn: sqlite3.Connection,
) -> None:
    """A turn that ran fine before the failure must not be committed either: its waiter is
    told it failed, so its data must not be there."""
    conn.execute("ALTER TABLE records RENAME TO records_gone")  # the next record's INSERT fails
    batch = [
        pending(PEOPLE[0], TurnWrite(State(node="a"))),
        pending(PEOPLE[1], TurnWrite(State(node="a"), finished=(RECORD,))),
    ]
    outcomes = write_batch(conn, batch, NOW, PLAIN, "t.db")
    assert all(isinstance(o, StoreUnavailable) for o in outcomes)
    assert "t.db" in str(outcomes[0])
    assert versions(conn) == {}
    assert not conn.in_transaction


async def test_a_database_locked_by_another_writer_fails_the_batch_unavailable(
    conn: sqlite3.Connection, db_path: Path
) -> None:
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        outcomes = write_batch(conn, [pending(PEOPLE[0], TurnWrite(State()))], NOW, PLAIN, "t")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert isinstance(outcomes[0], StoreUnavailable)
    assert versions(conn) == {}


async def test_a_key_rotated_under_the_process_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "sealed.db"
    await made(path, cipher=cipher_for(new_key()))
    conn = sqlite3.connect(path, isolation_level=None)
    configure(conn, 0)
    try:
        stranger = cipher_for(new_key())  # not the key the file is sealed with
        outcomes = write_batch(conn, [pending(PEOPLE[0], TurnWrite(State()))], NOW, stranger, "t")
        assert isinstance(outcomes[0], EncryptedDataUnreadable)
        assert versions(conn) == {} and not conn.in_transaction
    finally:
        conn.close()


async def test_a_forgotten_persons_state_is_gone_from_the_file_when_the_batch_returns(
    conn: sqlite3.Connection, db_path: Path
) -> None:
    secret = "my-very-private-words-" * 4
    first = write_batch(
        conn, [pending(PEOPLE[0], TurnWrite(State(data={"n": secret})))], NOW, PLAIN, "t"
    )
    user_id = first[0][1]  # type: ignore[index]
    outcome = write_batch(
        conn, [pending(PEOPLE[0], TurnWrite(State(), forget=True), 1, user_id)], NOW, PLAIN, "t"
    )
    assert outcome == [(0, None)]
    assert versions(conn) == {}
    for name in (db_path, Path(f"{db_path}-wal")):
        if name.exists():
            assert secret.encode() not in name.read_bytes(), name


# --------------------------------------------------------------------------------------------
# Concurrent writers through the store's queue

Turn = tuple[int, bool]  # (records finished in it, sent twice at once)
Plan = list[list[Turn]]
plans = st.lists(
    st.lists(st.tuples(st.integers(0, 2), st.booleans()), min_size=1, max_size=6),
    min_size=1,
    max_size=5,
)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


async def _write_concurrently(path: Path, plan: Plan) -> tuple[dict[str, int], int, int]:
    """Each person's turns in order, all people at once; a turn "sent twice" is saved twice
    concurrently with the same expected version, as a double press would be."""
    expected_records = 0

    async def person(key: UserKey, their_turns: list[Turn]) -> int:
        nonlocal expected_records
        version = 0
        for records, twice in their_turns:
            turn = TurnWrite(State(node=f"v{version}"), finished=(RECORD,) * records)
            copies = 2 if twice else 1
            results: list[int | BaseException] = await asyncio.gather(
                *(store.save(key, turn, expected_version=version) for _ in range(copies)),
                return_exceptions=True,
            )
            won = [r for r in results if isinstance(r, int)]
            assert len(won) == 1, results  # exactly one copy of the same write succeeds
            assert all(isinstance(r, StaleWrite) for r in results if not isinstance(r, int))
            assert won[0] == version + 1
            version = won[0]
            expected_records += records
        return version

    async with SqliteStore(path) as store:
        keys = [UserKey("telegram", str(n)) for n in range(len(plan))]
        finals = await asyncio.gather(*(person(k, t) for k, t in zip(keys, plan, strict=True)))
    conn = sqlite3.connect(path)
    try:
        stored = versions(conn)
        records = rows(conn, "SELECT count(*) FROM records")[0][0]
    finally:
        conn.close()
    assert stored == {k.user_id: v for k, v in zip(keys, finals, strict=True)}
    return stored, int(records), expected_records  # type: ignore[call-overload]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=plans)
def test_concurrent_writers_have_every_write_committed_exactly_once(
    folder: Path, plan: Plan
) -> None:
    path = folder / f"{abs(hash(repr(plan)))}-{len(list(folder.iterdir()))}.db"
    stored, records, expected = asyncio.run(_write_concurrently(path, plan))
    assert sorted(stored.values()) == sorted(len(turns_of) for turns_of in plan)
    assert records == expected
