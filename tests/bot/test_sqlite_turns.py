"""The SQL of one turn (:mod:`bot.sqlite.turns`), called directly on a real, migrated SQLite
file: people found or added, a conversation loaded with its reachable address, a turn's
version check, address and schedule rows, a person marked unreachable, and the webhook inbox.
The store contract (``test_store_contract.py``) checks these through the store; here each
function's own rule is tried on the rows it reads and writes."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import pseudonyms
from bot.crypto import PLAIN
from bot.errors import StaleWrite
from bot.ports.store import Address, Due, MantraSettings, TurnWrite, UserKey
from bot.sqlite import turns
from bot.sqlite.store import SqliteStore
from bot.sqlite.support import configure
from dialogs.codec import loads
from dialogs.model import State
from tests.support.chats import START

NOW = "2025-03-01T08:00:00.000000+00:00"
LATER = "2025-03-02T08:00:00.000000+00:00"
ANN = UserKey("telegram", "100")
HOME = Address("telegram", "100")
GROUP = Address("telegram", "-500")


async def migrated(path: Path) -> sqlite3.Connection:
    async with SqliteStore(path):
        pass
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    configure(conn, 0)
    pseudonyms.use_secret(turns.install_secret(conn))
    return conn


@pytest.fixture
async def conn(db_path: Path) -> AsyncIterator[sqlite3.Connection]:
    connection = await migrated(db_path)
    yield connection
    connection.close()


def one(conn: sqlite3.Connection, sql: str, *args: object) -> tuple[object, ...]:
    row = conn.execute(sql, args).fetchone()
    assert row is not None, sql
    return tuple(row)


def turn(conn: sqlite3.Connection, write: TurnWrite, expected: int, **kw: object) -> int:
    user_id = turns.find_user(conn, ANN)
    version, _ = turns.apply_turn(conn, ANN, user_id, write, expected, NOW, **kw)  # type: ignore[arg-type]
    return version


# --------------------------------------------------------------------------------------------
# People and conversations


def test_adding_someone_twice_gives_one_person_with_the_first_address(
    conn: sqlite3.Connection,
) -> None:
    first = turns.ensure_user(conn, ANN, HOME, NOW)
    again = turns.ensure_user(conn, ANN, GROUP, LATER)
    assert first == again == turns.find_user(conn, ANN)
    assert one(conn, "SELECT address_chat_id, created_at FROM users") == ("100", NOW)


def test_an_unknown_person_loads_as_nothing_at_version_zero(conn: sqlite3.Connection) -> None:
    assert turns.load_conversation(conn, ANN) == (None, None, 0, None)


def test_a_person_marked_unreachable_loads_without_an_address(conn: sqlite3.Connection) -> None:
    turn(conn, TurnWrite(State(node="reflect.kind"), address=HOME), 0)
    _, text, version, address = turns.load_conversation(conn, ANN)
    assert (version, address) == (1, HOME) and text is not None
    assert loads(text).node == "reflect.kind"
    turns.mark_unreachable(conn, ANN, LATER)
    assert turns.load_conversation(conn, ANN)[3] is None


def test_a_first_turn_expecting_a_stored_version_is_stale_and_adds_nobody(
    conn: sqlite3.Connection,
) -> None:
    """A person forgotten by another process: their next turn must not recreate them."""
    with pytest.raises(StaleWrite, match="is gone"):
        turn(conn, TurnWrite(State()), 3)
    assert turns.find_user(conn, ANN) is None


def test_a_turn_at_a_version_already_overtaken_is_stale_and_changes_nothing(
    conn: sqlite3.Connection,
) -> None:
    turn(conn, TurnWrite(State(node="a")), 0)
    turn(conn, TurnWrite(State(node="b")), 1)
    with pytest.raises(StaleWrite):
        turn(conn, TurnWrite(State(node="c")), 1)
    assert loads(str(turns.load_conversation(conn, ANN)[1])).node == "b"


def test_writing_again_from_a_blocked_chat_makes_the_person_reachable_there(
    conn: sqlite3.Connection,
) -> None:
    turn(conn, TurnWrite(State(), address=HOME), 0)
    turns.mark_unreachable(conn, ANN, NOW)
    turn(conn, TurnWrite(State(), address=GROUP), 1)
    assert one(conn, "SELECT address_chat_id, unreachable FROM users") == ("-500", 0)


def test_an_address_the_caller_knows_is_stored_is_not_written_again(
    conn: sqlite3.Connection,
) -> None:
    """``address_known`` is the store's cache saying the row already holds this address: the
    turn stays one UPDATE. (The caller is trusted: a wrong claim would keep the old address.)"""
    turn(conn, TurnWrite(State(), address=HOME), 0)
    turn(conn, TurnWrite(State(), address=GROUP), 1, address_known=True)
    assert one(conn, "SELECT address_chat_id FROM users") == ("100",)


def test_forgetting_at_a_stale_version_keeps_everything(conn: sqlite3.Connection) -> None:
    turn(conn, TurnWrite(State()), 0)
    with pytest.raises(StaleWrite):
        turn(conn, TurnWrite(State(), forget=True), 5)
    assert turns.find_user(conn, ANN) is not None
    assert turn(conn, TurnWrite(State(), forget=True), 1) == 0
    assert turns.find_user(conn, ANN) is None


# --------------------------------------------------------------------------------------------
# Due rows and reachability


def test_a_reminder_goes_to_the_persons_known_address_or_else_their_private_chat(
    conn: sqlite3.Connection,
) -> None:
    due = Due("checkin:p1", "checkin_reminder", START + timedelta(days=3))
    nobody = turns.ensure_user(conn, ANN, None, NOW)
    turns.upsert_due(conn, nobody, ANN, due, None, NOW)
    direct = Address.direct(ANN)
    assert one(conn, "SELECT address_platform, address_chat_id FROM due") == (
        direct.platform,
        direct.chat_id,
    )
    conn.execute("UPDATE users SET address_platform = 'telegram', address_chat_id = '-500'")
    turns.upsert_due(conn, nobody, ANN, due, None, NOW)
    assert one(conn, "SELECT address_chat_id FROM due") == ("-500",)


def test_scheduling_a_key_that_was_done_arms_it_again(conn: sqlite3.Connection) -> None:
    user_id = turns.ensure_user(conn, ANN, HOME, NOW)
    due = Due("checkin:p1", "checkin_reminder", START + timedelta(days=3))
    first = turns.upsert_due(conn, user_id, ANN, due, HOME, NOW)
    conn.execute("UPDATE due SET claimed_at = ?, done_at = ?", (NOW, NOW))
    later = Due("checkin:p1", "checkin_reminder", START + timedelta(days=7))
    assert turns.upsert_due(conn, user_id, ANN, later, HOME, LATER) == first
    assert one(conn, "SELECT count(*), claimed_at, done_at FROM due") == (1, None, None)


def test_marking_someone_unreachable_stops_their_mantras_and_logs_it(
    conn: sqlite3.Connection,
) -> None:
    mantras = MantraSettings(True, "09:00", "UTC", "daily", START + timedelta(days=1))
    turn(conn, TurnWrite(State(), address=HOME, mantras=mantras), 0)
    turns.mark_unreachable(conn, ANN, LATER)
    assert one(conn, "SELECT enabled, next_due_utc FROM mantra_subscriptions") == (0, None)
    assert one(conn, "SELECT outcome, at FROM delivery_log") == ("unreachable", LATER)


def test_marking_an_unknown_person_unreachable_writes_nothing(conn: sqlite3.Connection) -> None:
    turns.mark_unreachable(conn, ANN, NOW)
    assert one(conn, "SELECT count(*) FROM users") == (0,)
    assert one(conn, "SELECT count(*) FROM delivery_log") == (0,)


# --------------------------------------------------------------------------------------------
# The webhook inbox


def test_an_update_received_twice_is_kept_once_until_done_then_its_body_is_dropped(
    conn: sqlite3.Connection,
) -> None:
    assert turns.inbox_put(conn, "telegram", 7, b'{"message": 1}', NOW, PLAIN)
    assert not turns.inbox_put(conn, "telegram", 7, b'{"message": 2}', NOW, PLAIN)
    (item,) = turns.inbox_pending(conn, "telegram", 10, PLAIN)
    assert (item.update_id, item.body) == (7, b'{"message": 1}')
    turns.inbox_done(conn, "telegram", 7, NOW, forget_before=NOW)
    assert turns.inbox_pending(conn, "telegram", 10, PLAIN) == []
    assert one(conn, "SELECT body FROM inbox") == (None,)
    turns.inbox_done(conn, "telegram", 7, LATER, forget_before=NOW)  # done again, redelivered
    assert one(conn, "SELECT done_at FROM inbox") == (NOW,)  # first done counts for forgetting
    assert not turns.inbox_put(conn, "telegram", 7, b"{}", NOW, PLAIN)  # still remembered
    turns.inbox_done(conn, "telegram", 8, LATER, forget_before=LATER)
    assert one(conn, "SELECT count(*) FROM inbox") == (0,)


def test_another_platforms_update_of_the_same_number_is_its_own(conn: sqlite3.Connection) -> None:
    assert turns.inbox_put(conn, "telegram", 7, b"t", NOW, PLAIN)
    assert turns.inbox_put(conn, "discord", 7, b"d", NOW, PLAIN)
    assert [i.body for i in turns.inbox_pending(conn, "discord", 10, PLAIN)] == [b"d"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=20), max_size=30))
def test_any_run_of_deliveries_keeps_each_update_once_in_the_order_first_received(
    tmp_path_factory: pytest.TempPathFactory, update_ids: list[int]
) -> None:
    path = tmp_path_factory.mktemp("inbox") / "t.db"
    conn = asyncio.run(migrated(path))
    try:
        for update_id in update_ids:
            turns.inbox_put(conn, "telegram", update_id, str(update_id).encode(), NOW, PLAIN)
        pending = turns.inbox_pending(conn, "telegram", 100, PLAIN)
        assert [i.update_id for i in pending] == list(dict.fromkeys(update_ids))
        assert all(i.body == str(i.update_id).encode() for i in pending)
    finally:
        conn.close()
