"""The SQL behind :class:`bot.sqlite.store.SqliteStore`: functions on a ``sqlite3.Connection``.

They run on the store's database thread, never on the event loop, and take the connection in
autocommit mode (``isolation_level=None``): the caller owns BEGIN/COMMIT and savepoints, so
:func:`apply_turn` can be one of many turns sharing a commit.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from bot.crypto import PLAIN, Cell, Sealer
from bot.errors import StaleWrite
from bot.ports.store import (
    Address,
    AnswerRow,
    Due,
    InboxItem,
    MantraSettings,
    TurnWrite,
    UserKey,
    from_db_time,
    to_db_time,
)
from bot.sqlite import due as schedule_sql
from bot.sqlite.seals import answer_cell, inbox_cell, payload_cell, state_cell
from dialogs.codec import dumps


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _opt_time(text: str | None) -> datetime | None:
    return None if text is None else from_db_time(text)


def find_user(conn: sqlite3.Connection, key: UserKey) -> int | None:
    row = conn.execute(
        "SELECT id FROM users WHERE platform = ? AND platform_user_id = ?",
        (key.platform, key.user_id),
    ).fetchone()
    return None if row is None else int(row[0])


def ensure_user(conn: sqlite3.Connection, key: UserKey, address: Address | None, now: str) -> int:
    found = find_user(conn, key)
    if found is not None:
        return found
    cur = conn.execute(
        "INSERT INTO users (platform, platform_user_id, address_platform, address_chat_id,"
        " created_at) VALUES (?, ?, ?, ?, ?)",
        (
            key.platform,
            key.user_id,
            address.platform if address else None,
            address.chat_id if address else None,
            now,
        ),
    )
    return int(cur.lastrowid or 0)


def load_conversation(
    conn: sqlite3.Connection, key: UserKey, cipher: Sealer = PLAIN
) -> tuple[int | None, str | None, int, Address | None]:
    """``(user id, state JSON, version, reachable address)``; ``(None, None, 0, None)`` for an
    unknown person. The address is ``None`` while the person is marked unreachable."""
    row = conn.execute(
        "SELECT u.id, c.state, c.version, u.address_platform, u.address_chat_id, u.unreachable"
        " FROM users u LEFT JOIN conversations c ON c.user_id = u.id"
        " WHERE u.platform = ? AND u.platform_user_id = ?",
        (key.platform, key.user_id),
    ).fetchone()
    if row is None:
        return None, None, 0, None
    address = Address(row[3], row[4]) if row[3] is not None and not row[5] else None
    return int(row[0]), cipher.open(row[1], state_cell(key)), int(row[2] or 0), address


def apply_turn(
    conn: sqlite3.Connection,
    key: UserKey,
    user_id: int | None,
    turn: TurnWrite,
    expected_version: int,
    now: str,
    *,
    address_known: bool = False,
    cipher: Sealer = PLAIN,
) -> tuple[int, int | None]:
    """Write one turn; return ``(new version, user id)``. Raises :class:`StaleWrite` before
    writing anything if the stored version is not ``expected_version``. ``address_known``
    says the stored address already is ``turn.address`` (and reachable): no need to write it.
    ``cipher`` seals the state and free-text answers (:mod:`bot.crypto`)."""
    if user_id is None:
        user_id = find_user(conn, key)
    if turn.forget:
        return _forget(conn, user_id, expected_version)
    state = cipher.seal(dumps(turn.state), state_cell(key))
    if user_id is None or expected_version == 0:
        if expected_version != 0:
            raise StaleWrite(f"conversation of {key} is gone (expected version {expected_version})")
        user_id = ensure_user(conn, key, turn.address, now)
        try:
            conn.execute(
                "INSERT INTO conversations (user_id, state, version, updated_at)"
                " VALUES (?, ?, 1, ?)",
                (user_id, state, now),
            )
        except sqlite3.IntegrityError:
            raise StaleWrite(f"conversation of {key} was created elsewhere") from None
        version = 1
    else:
        version = expected_version + 1
        cur = conn.execute(
            "UPDATE conversations SET state = ?, version = ?, updated_at = ?"
            " WHERE user_id = ? AND version = ?",
            (state, version, now, user_id, expected_version),
        )
        if cur.rowcount != 1:
            raise StaleWrite(f"conversation of {key} is not at version {expected_version}")
    if turn.address is not None and not address_known:
        conn.execute(
            "UPDATE users SET address_platform = ?, address_chat_id = ?, unreachable = 0"
            " WHERE id = ? AND (address_platform IS NOT ? OR address_chat_id IS NOT ?"
            " OR unreachable = 1)",
            (*_addr(turn.address), user_id, *_addr(turn.address)),
        )
    for record in turn.finished:
        cur = conn.execute(
            "INSERT INTO records (user_id, kind, person_id, started_at, finished_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                user_id,
                record.kind,
                record.person_id,
                to_db_time(record.started_at),
                to_db_time(record.finished_at),
            ),
        )
        record_id = int(cur.lastrowid or 0)
        conn.executemany(
            "INSERT INTO answers (record_id, question, position, value_text, value_choice,"
            " value_int) VALUES (?, ?, ?, ?, ?, ?)",
            [_answer_values(cipher, key, record_id, a) for a in record.answers],
        )
    for due_key in turn.cancel:
        conn.execute(
            "DELETE FROM due WHERE user_id = ? AND key = ? AND done_at IS NULL", (user_id, due_key)
        )
    for due in turn.schedule:
        upsert_due(conn, user_id, key, due, turn.address, now, cipher)
    if turn.mantras is not None:
        _set_mantras(conn, user_id, turn.mantras, now)
    if turn.snooze_until is not None:
        schedule_sql.snooze(conn, user_id, turn.snooze_until, now, gentle=turn.snooze_gentle)
    return version, user_id


def _answer_values(
    cipher: Sealer, key: UserKey, record_id: int, a: AnswerRow
) -> tuple[object, ...]:
    """One answer row's values, each sealed for its own cell (when a key is set)."""

    def cell(column: str) -> Cell:
        return answer_cell(key, column, record_id, a.question, a.position)

    return (
        record_id,
        a.question,
        a.position,
        None if a.value_text is None else cipher.seal(a.value_text, cell("value_text")),
        None if a.value_choice is None else cipher.seal(a.value_choice, cell("value_choice")),
        None if a.value_int is None else cipher.seal_int(a.value_int, cell("value_int")),
    )


def _addr(address: Address) -> tuple[str, str]:
    return address.platform, address.chat_id


def _forget(
    conn: sqlite3.Connection, user_id: int | None, expected_version: int
) -> tuple[int, None]:
    stored = 0
    if user_id is not None:
        row = conn.execute("SELECT version FROM conversations WHERE user_id = ?", (user_id,))
        found = row.fetchone()
        stored = int(found[0]) if found else 0
    if stored != expected_version:
        raise StaleWrite(f"conversation is at version {stored}, not {expected_version}")
    if user_id is not None:
        conn.execute("DELETE FROM users WHERE id = ?", (user_id,))
    return 0, None


def _set_mantras(conn: sqlite3.Connection, user_id: int, m: MantraSettings, now: str) -> None:
    next_due = None if m.next_due is None or not m.enabled else to_db_time(m.next_due)
    conn.execute(
        "INSERT INTO mantra_subscriptions (user_id, enabled, time, tz, days, next_due_utc,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET enabled = excluded.enabled, time = excluded.time,"
        " tz = excluded.tz, days = excluded.days, next_due_utc = excluded.next_due_utc,"
        " updated_at = excluded.updated_at",
        (user_id, int(m.enabled), m.time, m.tz, m.days, next_due, now),
    )


def upsert_due(
    conn: sqlite3.Connection,
    user_id: int,
    key: UserKey,
    due: Due,
    address: Address | None,
    now: str,
    cipher: Sealer = PLAIN,
) -> int:
    if address is None:
        row = conn.execute(
            "SELECT address_platform, address_chat_id FROM users WHERE id = ?", (user_id,)
        ).fetchone()
        address = Address(row[0], row[1]) if row and row[0] is not None else Address.direct(key)
    cur = conn.execute(
        "INSERT INTO due (user_id, key, kind, due_at_utc, address_platform, address_chat_id,"
        " payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id, key) DO UPDATE SET kind = excluded.kind,"
        " due_at_utc = excluded.due_at_utc, address_platform = excluded.address_platform,"
        " address_chat_id = excluded.address_chat_id, payload = excluded.payload,"
        " claimed_at = NULL, done_at = NULL RETURNING id",
        (
            user_id,
            due.key,
            due.kind,
            to_db_time(due.due_at),
            *_addr(address),
            cipher.seal(_json(dict(due.payload)), payload_cell(key, due.key)),
            now,
        ),
    )
    return int(cur.fetchone()[0])


def mark_unreachable(conn: sqlite3.Connection, key: UserKey, now: str) -> None:
    user_id = find_user(conn, key)
    if user_id is None:
        return
    conn.execute("UPDATE users SET unreachable = 1 WHERE id = ?", (user_id,))
    conn.execute(
        "UPDATE mantra_subscriptions SET enabled = 0, next_due_utc = NULL, updated_at = ?"
        " WHERE user_id = ?",
        (now, user_id),
    )
    conn.execute(
        "INSERT INTO delivery_log (user_id, due_id, kind, at, outcome)"
        " VALUES (?, NULL, 'user', ?, 'unreachable')",
        (user_id, now),
    )


def install_secret(conn: sqlite3.Connection) -> bytes:
    """This installation's random secret (migration 0004 made it), for log pseudonyms."""
    row = conn.execute("SELECT secret FROM install WHERE id = 1").fetchone()
    return bytes(row[0])


def inbox_put(
    conn: sqlite3.Connection, platform: str, update_id: int, body: bytes, now: str, cipher: Sealer
) -> bool:
    text = body.decode("utf-8", errors="replace")
    cur = conn.execute(
        "INSERT INTO inbox (platform, update_id, body, received_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (platform, update_id) DO NOTHING",
        (platform, update_id, cipher.seal(text, inbox_cell(platform, update_id)), now),
    )
    return cur.rowcount == 1


def inbox_pending(
    conn: sqlite3.Connection, platform: str, limit: int, cipher: Sealer
) -> list[InboxItem]:
    rows = conn.execute(
        "SELECT update_id, body FROM inbox WHERE platform = ? AND done_at IS NULL"
        " ORDER BY id LIMIT ?",
        (platform, limit),
    ).fetchall()
    found = []
    for update_id, body in rows:
        text = cipher.open(body, inbox_cell(platform, int(update_id))) or ""
        found.append(InboxItem(platform, int(update_id), text.encode("utf-8")))
    return found


def inbox_done(
    conn: sqlite3.Connection, platform: str, update_id: int, now: str, forget_before: str
) -> None:
    conn.execute(
        "UPDATE inbox SET body = NULL, done_at = ? WHERE platform = ? AND update_id = ?"
        " AND done_at IS NULL",
        (now, platform, update_id),
    )
    conn.execute("DELETE FROM inbox WHERE done_at IS NOT NULL AND done_at < ?", (forget_before,))
