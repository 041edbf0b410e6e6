"""The SQL behind :class:`bot.postgres.store.PostgresStore`: async functions on a connection.

The same statements as :mod:`bot.sqlite.turns`, in PostgreSQL's words (``%s``, ``RETURNING``,
``IS DISTINCT FROM``), each on a connection the caller has inside a transaction: a turn is
one transaction, under the person's advisory lock (:mod:`bot.postgres.store`). Sealable columns
are written as a pair (:func:`bot.postgres.support.split`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import psycopg

from bot.crypto import PLAIN, Sealer
from bot.errors import StaleWrite
from bot.ports.store import (
    Address,
    AnswerRow,
    Due,
    InboxItem,
    MantraSettings,
    TurnWrite,
    UserKey,
    to_db_time,
)
from bot.postgres import due as schedule_sql
from bot.postgres.support import joined, split
from bot.sqlite.seals import answer_cell, inbox_cell, payload_cell, state_cell
from dialogs.codec import dumps

Conn = psycopg.AsyncConnection[Any]


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def find_user(conn: Conn, key: UserKey) -> int | None:
    cur = await conn.execute(
        "SELECT id FROM users WHERE platform = %s AND platform_user_id = %s",
        (key.platform, key.user_id),
    )
    row = await cur.fetchone()
    return None if row is None else int(row[0])


async def ensure_user(conn: Conn, key: UserKey, address: Address | None, now: str) -> int:
    found = await find_user(conn, key)
    if found is not None:
        return found
    cur = await conn.execute(
        "INSERT INTO users (platform, platform_user_id, address_platform, address_chat_id,"
        " created_at) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (platform, platform_user_id)"
        " DO UPDATE SET platform = excluded.platform RETURNING id",
        (
            key.platform,
            key.user_id,
            address.platform if address else None,
            address.chat_id if address else None,
            now,
        ),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def load_conversation(
    conn: Conn, key: UserKey, cipher: Sealer = PLAIN
) -> tuple[str | None, int, Address | None]:
    """``(state JSON, version, reachable address)``; ``(None, 0, None)`` for a person with no
    conversation. The address is ``None`` while the person is marked unreachable."""
    cur = await conn.execute(
        "SELECT c.state, c.state_sealed, c.version, u.address_platform, u.address_chat_id,"
        " u.unreachable FROM users u JOIN conversations c ON c.user_id = u.id"
        " WHERE u.platform = %s AND u.platform_user_id = %s",
        (key.platform, key.user_id),
    )
    row = await cur.fetchone()
    if row is None:
        return None, 0, None
    address = Address(row[3], row[4]) if row[3] is not None and not row[5] else None
    return cipher.open(joined(row[0], row[1]), state_cell(key)), int(row[2]), address


async def load_conversations(
    conn: Conn, keys: list[UserKey], cipher: Sealer = PLAIN
) -> dict[UserKey, tuple[str | None, int, Address | None]]:
    """:func:`load_conversation` of several people in one statement; a person with no
    conversation is left out."""
    cur = await conn.execute(
        "SELECT u.platform, u.platform_user_id, c.state, c.state_sealed, c.version,"
        " u.address_platform, u.address_chat_id, u.unreachable"
        " FROM unnest(%s::text[], %s::text[]) AS k(platform, platform_user_id)"
        " JOIN users u ON u.platform = k.platform AND u.platform_user_id = k.platform_user_id"
        " JOIN conversations c ON c.user_id = u.id",
        ([k.platform for k in keys], [k.user_id for k in keys]),
    )
    found: dict[UserKey, tuple[str | None, int, Address | None]] = {}
    for row in await cur.fetchall():
        key = UserKey(row[0], row[1])
        address = Address(row[5], row[6]) if row[5] is not None and not row[7] else None
        found[key] = (cipher.open(joined(row[2], row[3]), state_cell(key)), int(row[4]), address)
    return found


@dataclass(frozen=True, slots=True)
class Deferred:
    """A plain turn's new state, written with the rest of its group at the COMMIT
    (:func:`write_plain`)."""

    key: UserKey
    plain: str | None
    sealed: bytes | None
    expected: int

    def __repr__(self) -> str:  # never the state: it holds what the person typed
        return f"<deferred turn of {self.key} at version {self.expected}>"


async def write_plain(conn: Conn, turns: list[Deferred], now: str) -> set[UserKey]:
    """Every deferred turn of a group in one UPDATE; the people whose stored version was not
    the one their turn expected (nothing is written for them)."""
    cur = await conn.execute(
        "UPDATE conversations c SET state = v.state, state_sealed = v.sealed,"
        " version = v.expected + 1, updated_at = %s"
        " FROM users u, unnest(%s::text[], %s::text[], %s::text[], %s::bytea[], %s::int[])"
        " AS v(platform, platform_user_id, state, sealed, expected)"
        " WHERE u.platform = v.platform AND u.platform_user_id = v.platform_user_id"
        " AND c.user_id = u.id AND c.version = v.expected"
        " RETURNING u.platform, u.platform_user_id",
        (
            now,
            [d.key.platform for d in turns],
            [d.key.user_id for d in turns],
            [d.plain for d in turns],
            [d.sealed for d in turns],
            [d.expected for d in turns],
        ),
    )
    written = {UserKey(row[0], row[1]) for row in await cur.fetchall()}
    return {d.key for d in turns} - written


def is_plain(turn: TurnWrite) -> bool:
    """Only the state (and perhaps the address) changes: the turn's first statement finds a
    stale version before anything is written, so it needs no savepoint."""
    return not (
        turn.finished
        or turn.schedule
        or turn.cancel
        or turn.mantras
        or turn.forget
        or turn.snooze_until
    )


async def apply_turn(
    conn: Conn,
    key: UserKey,
    turn: TurnWrite,
    expected_version: int,
    now: str,
    cipher: Sealer,
    *,
    address_known: bool = False,
) -> int:
    """Write one turn inside the caller's transaction; the new version. Raises
    :class:`StaleWrite` if the stored version is not ``expected_version`` (the caller rolls
    back whatever this wrote). ``address_known``: the stored address already is
    ``turn.address`` and reachable (read in this transaction), so it is not written again."""
    if turn.forget:
        return await _forget(conn, key, expected_version)
    plain, sealed = split(cipher.seal(dumps(turn.state), state_cell(key)))
    if expected_version == 0:
        user_id = await ensure_user(conn, key, turn.address, now)
        cur = await conn.execute(
            "INSERT INTO conversations (user_id, state, state_sealed, version, updated_at)"
            " VALUES (%s, %s, %s, 1, %s) ON CONFLICT (user_id) DO NOTHING",
            (user_id, plain, sealed, now),
        )
        if cur.rowcount != 1:
            raise StaleWrite(f"conversation of {key} was created elsewhere")
        version = 1
    else:
        version = expected_version + 1
        cur = await conn.execute(
            "UPDATE conversations c SET state = %s, state_sealed = %s, version = %s,"
            " updated_at = %s FROM users u WHERE u.id = c.user_id AND u.platform = %s"
            " AND u.platform_user_id = %s AND c.version = %s RETURNING c.user_id",
            (plain, sealed, version, now, key.platform, key.user_id, expected_version),
        )
        row = await cur.fetchone()
        if row is None:
            raise StaleWrite(f"conversation of {key} is not at version {expected_version}")
        user_id = int(row[0])
    if turn.address is not None and not address_known:
        await conn.execute(
            "UPDATE users SET address_platform = %s, address_chat_id = %s, unreachable = 0"
            " WHERE id = %s AND (address_platform IS DISTINCT FROM %s"
            " OR address_chat_id IS DISTINCT FROM %s OR unreachable = 1)",
            (*_addr(turn.address), user_id, *_addr(turn.address)),
        )
    for record in turn.finished:
        cur = await conn.execute(
            "INSERT INTO records (user_id, kind, person_id, started_at, finished_at)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (
                user_id,
                record.kind,
                record.person_id,
                to_db_time(record.started_at),
                to_db_time(record.finished_at),
            ),
        )
        found = await cur.fetchone()
        assert found is not None
        record_id = int(found[0])
        if record.answers:
            async with conn.cursor() as many:
                await many.executemany(
                    "INSERT INTO answers (record_id, question, position, value_text,"
                    " value_text_sealed, value_choice, value_choice_sealed, value_int,"
                    " value_int_sealed) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [_answer_values(cipher, key, record_id, a) for a in record.answers],
                )
    for due_key in turn.cancel:
        await conn.execute(
            "DELETE FROM due WHERE user_id = %s AND key = %s AND done_at IS NULL",
            (user_id, due_key),
        )
    for due in turn.schedule:
        await upsert_due(conn, user_id, key, due, turn.address, now, cipher)
    if turn.mantras is not None:
        await _set_mantras(conn, user_id, turn.mantras, now)
    if turn.snooze_until is not None:
        await schedule_sql.snooze(conn, user_id, turn.snooze_until, now, gentle=turn.snooze_gentle)
    return version


def _answer_values(cipher: Sealer, key: UserKey, record_id: int, a: AnswerRow) -> tuple[Any, ...]:
    def cell(column: str) -> Any:
        return answer_cell(key, column, record_id, a.question, a.position)

    text = (
        (None, None)
        if a.value_text is None
        else split(cipher.seal(a.value_text, cell("value_text")))
    )
    choice = (
        (None, None)
        if a.value_choice is None
        else split(cipher.seal(a.value_choice, cell("value_choice")))
    )
    number = (
        (None, None)
        if a.value_int is None
        else split(cipher.seal_int(a.value_int, cell("value_int")))
    )
    return (record_id, a.question, a.position, *text, *choice, *number)


def _addr(address: Address) -> tuple[str, str]:
    return address.platform, address.chat_id


async def _forget(conn: Conn, key: UserKey, expected_version: int) -> int:
    cur = await conn.execute(
        "SELECT u.id, c.version FROM users u LEFT JOIN conversations c ON c.user_id = u.id"
        " WHERE u.platform = %s AND u.platform_user_id = %s",
        (key.platform, key.user_id),
    )
    row = await cur.fetchone()
    stored = int(row[1]) if row is not None and row[1] is not None else 0
    if stored != expected_version:
        raise StaleWrite(f"conversation is at version {stored}, not {expected_version}")
    if row is not None:
        await conn.execute("DELETE FROM users WHERE id = %s", (row[0],))
    return 0


async def _set_mantras(conn: Conn, user_id: int, m: MantraSettings, now: str) -> None:
    next_due = None if m.next_due is None or not m.enabled else to_db_time(m.next_due)
    await conn.execute(
        "INSERT INTO mantra_subscriptions (user_id, enabled, time, tz, days, next_due_utc,"
        " updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (user_id) DO UPDATE SET enabled = excluded.enabled, time = excluded.time,"
        " tz = excluded.tz, days = excluded.days, next_due_utc = excluded.next_due_utc,"
        " updated_at = excluded.updated_at",
        (user_id, int(m.enabled), m.time, m.tz, m.days, next_due, now),
    )


async def upsert_due(
    conn: Conn,
    user_id: int,
    key: UserKey,
    due: Due,
    address: Address | None,
    now: str,
    cipher: Sealer = PLAIN,
) -> int:
    if address is None:
        cur = await conn.execute(
            "SELECT address_platform, address_chat_id FROM users WHERE id = %s", (user_id,)
        )
        row = await cur.fetchone()
        address = Address(row[0], row[1]) if row and row[0] is not None else Address.direct(key)
    plain, sealed = split(cipher.seal(_json(dict(due.payload)), payload_cell(key, due.key)))
    cur = await conn.execute(
        "INSERT INTO due (user_id, key, kind, due_at_utc, address_platform, address_chat_id,"
        " payload, payload_sealed, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (user_id, key) DO UPDATE SET kind = excluded.kind,"
        " due_at_utc = excluded.due_at_utc, address_platform = excluded.address_platform,"
        " address_chat_id = excluded.address_chat_id, payload = excluded.payload,"
        " payload_sealed = excluded.payload_sealed, claimed_at = NULL, done_at = NULL"
        " RETURNING id",
        (user_id, due.key, due.kind, to_db_time(due.due_at), *_addr(address), plain, sealed, now),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def mark_unreachable(conn: Conn, key: UserKey, now: str) -> None:
    user_id = await find_user(conn, key)
    if user_id is None:
        return
    await conn.execute("UPDATE users SET unreachable = 1 WHERE id = %s", (user_id,))
    await conn.execute(
        "UPDATE mantra_subscriptions SET enabled = 0, next_due_utc = NULL, updated_at = %s"
        " WHERE user_id = %s",
        (now, user_id),
    )
    await conn.execute(
        "INSERT INTO delivery_log (user_id, due_id, kind, at, outcome)"
        " VALUES (%s, NULL, 'user', %s, 'unreachable')",
        (user_id, now),
    )


async def install_secret(conn: Conn) -> bytes:
    cur = await conn.execute("SELECT secret FROM install WHERE id = 1")
    row = await cur.fetchone()
    assert row is not None
    return bytes(row[0])


async def inbox_put(
    conn: Conn, platform: str, update_id: int, body: bytes, now: str, cipher: Sealer
) -> bool:
    text = body.decode("utf-8", errors="replace")
    plain, sealed = split(cipher.seal(text, inbox_cell(platform, update_id)))
    cur = await conn.execute(
        "INSERT INTO inbox (platform, update_id, body, body_sealed, received_at)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (platform, update_id) DO NOTHING",
        (platform, update_id, plain, sealed, now),
    )
    return cur.rowcount == 1


async def inbox_pending(
    conn: Conn,
    platform: str,
    limit: int,
    cipher: Sealer,
    *,
    owner: str,
    now: str,
    until: str,
) -> list[InboxItem]:
    """Take recorded updates for ``owner`` (until ``until``), oldest first: ones nobody holds,
    its own (the lease renewed) and ones whose lease ran out. Another webhook worker on the
    same database never gets an update this one is applying."""
    cur = await conn.execute(
        "UPDATE inbox i SET owner = %s, lease_until = %s FROM ("
        "  SELECT id FROM inbox WHERE platform = %s AND done_at IS NULL"
        "  AND (owner IS NULL OR owner = %s OR lease_until < %s) ORDER BY id LIMIT %s"
        "  FOR UPDATE SKIP LOCKED) s WHERE i.id = s.id"
        " RETURNING i.id, i.update_id, i.body, i.body_sealed",
        (owner, until, platform, owner, now, limit),
    )
    found = []
    for _, update_id, body, sealed in sorted(await cur.fetchall()):
        text = cipher.open(joined(body, sealed), inbox_cell(platform, int(update_id))) or ""
        found.append(InboxItem(platform, int(update_id), text.encode("utf-8")))
    return found


async def inbox_done(
    conn: Conn, platform: str, update_id: int, now: str, forget_before: str
) -> None:
    await conn.execute(
        "UPDATE inbox SET body = NULL, body_sealed = NULL, done_at = %s WHERE platform = %s"
        " AND update_id = %s AND done_at IS NULL",
        (now, platform, update_id),
    )
    await conn.execute(
        "DELETE FROM inbox WHERE done_at IS NOT NULL AND done_at < %s", (forget_before,)
    )
