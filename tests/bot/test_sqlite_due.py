"""The scheduler's SQL (:mod:`bot.sqlite.due`), called directly on a real, migrated SQLite
file with delivery log rows written as the scheduler leaves them: what a tick finds due, how an
outcome is recorded only over the one expected, why a claimed delivery is not begun, and which
log rows pruning removes. ``test_sqlite_schedule.py`` drives claims and housekeeping through the
schedule store; here the functions' own rules are tried row by row."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.ports.schedule import CANCELLED, GONE, SENDING, UNREACHABLE, Begun
from bot.ports.store import UserKey
from bot.sqlite import due, turns
from bot.sqlite.store import SqliteStore
from bot.sqlite.support import configure

OLD = "2025-01-01T08:00:00.000000+00:00"
NOW = "2025-03-01T08:00:00.000000+00:00"
SOON = "2025-03-01T09:00:00.000000+00:00"
EARLIER = "2025-03-01T07:00:00.000000+00:00"
ANN = UserKey("telegram", "100")


@pytest.fixture
async def conn(db_path: Path) -> AsyncIterator[sqlite3.Connection]:
    async with SqliteStore(db_path):
        pass
    connection = sqlite3.connect(db_path, isolation_level=None)
    configure(connection, 0)
    yield connection
    connection.close()


@pytest.fixture
def ann(conn: sqlite3.Connection) -> int:
    return turns.ensure_user(conn, ANN, None, OLD)


def log(
    conn: sqlite3.Connection, user_id: int, outcome: str, at: str = OLD, kind: str = "mantra"
) -> int:
    cur = conn.execute(
        "INSERT INTO delivery_log (user_id, kind, at, outcome, due_at_utc, address_platform,"
        " address_chat_id, payload) VALUES (?, ?, ?, ?, ?, 'telegram', '100', '{}')",
        (user_id, kind, at, outcome, at),
    )
    return int(cur.lastrowid or 0)


def subscribe(
    conn: sqlite3.Connection, user_id: int, *, enabled: bool, next_due: str | None
) -> None:
    conn.execute(
        "INSERT INTO mantra_subscriptions (user_id, enabled, time, tz, days, next_due_utc,"
        " updated_at) VALUES (?, ?, '09:00', 'UTC', 'daily', ?, ?)",
        (user_id, int(enabled), next_due, OLD),
    )


def outcomes(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT outcome FROM delivery_log ORDER BY id")]


# --------------------------------------------------------------------------------------------
# What a tick finds


def test_a_switched_off_subscription_is_never_due(conn: sqlite3.Connection, ann: int) -> None:
    subscribe(conn, ann, enabled=False, next_due=OLD)
    assert not due.anything_due(conn, NOW)


def test_a_subscription_is_due_from_its_next_due_time_on(
    conn: sqlite3.Connection, ann: int
) -> None:
    subscribe(conn, ann, enabled=True, next_due=SOON)
    assert not due.anything_due(conn, NOW)
    assert due.anything_due(conn, SOON)


def test_a_reminder_already_done_is_not_due_again(conn: sqlite3.Connection, ann: int) -> None:
    conn.execute(
        "INSERT INTO due (user_id, key, kind, due_at_utc, address_platform, address_chat_id,"
        " payload, created_at, done_at) VALUES (?, 'checkin:p1', 'checkin_reminder', ?,"
        " 'telegram', '100', '{}', ?, ?)",
        (ann, OLD, OLD, OLD),
    )
    assert not due.anything_due(conn, NOW)
    conn.execute("UPDATE due SET done_at = NULL")
    assert due.anything_due(conn, NOW)


# --------------------------------------------------------------------------------------------
# Outcomes


def test_an_outcome_is_recorded_only_over_the_one_expected(
    conn: sqlite3.Connection, ann: int
) -> None:
    """Two processes settling the same delivery: the second finds it moved on, and says so."""
    sending = log(conn, ann, SENDING)
    first, second = due.mark(
        conn,
        [(sending, "sent", SENDING, 3, frozenset()), (sending, "failed", SENDING, 3, frozenset())],
        NOW,
    )
    assert (first, second) == (Begun("sent"), Begun(GONE))
    assert outcomes(conn) == ["sent"]


def test_beginning_a_delivery_not_claimed_is_gone(conn: sqlite3.Connection, ann: int) -> None:
    sent = log(conn, ann, "sent")
    assert due.mark(conn, [(sent, SENDING, "claimed", 3, frozenset())], NOW) == [Begun(GONE)]
    assert outcomes(conn) == ["sent"]


def test_a_mantra_claimed_before_they_were_switched_off_is_cancelled_not_sent(
    conn: sqlite3.Connection, ann: int
) -> None:
    subscribe(conn, ann, enabled=False, next_due=None)
    claimed = log(conn, ann, "claimed")
    assert due.mark(conn, [(claimed, SENDING, "claimed", 3, frozenset())], NOW) == [
        Begun(CANCELLED)
    ]
    assert outcomes(conn) == [CANCELLED]


def test_a_delivery_to_someone_who_blocked_the_bot_is_unreachable(
    conn: sqlite3.Connection, ann: int
) -> None:
    subscribe(conn, ann, enabled=True, next_due=SOON)
    conn.execute("UPDATE users SET unreachable = 1")
    reminder = log(conn, ann, "claimed", kind="checkin_reminder")
    assert due.mark(conn, [(reminder, SENDING, "claimed", 3, frozenset())], NOW) == [
        Begun(UNREACHABLE)
    ]


def test_a_begun_mantra_gets_a_line_and_the_line_is_counted_seen(
    conn: sqlite3.Connection, ann: int
) -> None:
    subscribe(conn, ann, enabled=True, next_due=SOON)
    claimed = log(conn, ann, "claimed")
    (begun,) = due.mark(conn, [(claimed, SENDING, "claimed", 3, frozenset({0, 1}))], NOW)
    assert begun.outcome == SENDING and begun.mantra in (0, 1, 2)
    (rotation,) = conn.execute("SELECT rotation FROM mantra_subscriptions").fetchone()
    assert str(begun.mantra) in rotation
    (payload,) = conn.execute("SELECT payload FROM delivery_log").fetchone()
    assert payload == f'{{"mantra":{begun.mantra}}}'


def test_no_held_back_line_is_begun_while_the_gentle_hold_lasts(
    conn: sqlite3.Connection, ann: int
) -> None:
    subscribe(conn, ann, enabled=True, next_due=SOON)
    conn.execute("UPDATE mantra_subscriptions SET gentle_until = ?", (SOON,))
    lines = [
        due.mark(
            conn, [(log(conn, ann, "claimed"), SENDING, "claimed", 3, frozenset({0, 1}))], NOW
        )[0].mantra
        for _ in range(4)
    ]
    assert lines == [2, 2, 2, 2]


# --------------------------------------------------------------------------------------------
# Pruning


def test_pruning_removes_finished_rows_before_the_limit_and_keeps_the_rest(
    conn: sqlite3.Connection, ann: int
) -> None:
    log(conn, ann, "sent", OLD)
    log(conn, ann, "claimed", OLD)  # still to be sent: kept however old
    log(conn, ann, SENDING, OLD)  # in the window of a send: kept
    log(conn, ann, "skipped", NOW)  # finished, but newer than the limit
    assert due.prune(conn, EARLIER) == 1
    assert outcomes(conn) == ["claimed", SENDING, "skipped"]


def test_pruning_an_empty_log_prunes_nothing(conn: sqlite3.Connection) -> None:
    assert due.prune(conn, NOW) == 0


def test_pruning_goes_on_past_a_whole_chunk_of_old_rows(conn: sqlite3.Connection, ann: int) -> None:
    count = due.PRUNE_CHUNK + 50
    conn.executemany(
        "INSERT INTO delivery_log (user_id, kind, at, outcome) VALUES (?, 'mantra', ?, 'sent')",
        [(ann, OLD)] * count,
    )
    log(conn, ann, "sent", NOW)
    assert due.prune(conn, SOON) == count + 1
    assert conn.execute("SELECT count(*) FROM delivery_log").fetchone()[0] == 0
