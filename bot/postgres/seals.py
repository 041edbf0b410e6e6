"""Sealed columns in PostgreSQL: the key check when the store opens, and re-sealing.

The scheme is SQLite's (:mod:`bot.sqlite.seals`): the same cells, so a value sealed in the
SQLite file opens here unchanged after ``threshold migrate-db``; the same ``encryption`` row
(key id and a sealed probe). Each sealable column is a pair here (``x`` and ``x_sealed``,
:mod:`bot.postgres.support`). A key set on plain data seals it when the store opens, in one
transaction under an advisory lock (several processes may start at once).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from bot.crypto import PLAIN, PROBE, PROBE_CELL, SCHEME, Cell, Cipher, Sealer
from bot.errors import ConfigError, EncryptedDataUnreadable
from bot.postgres.support import joined, named_lock, split
from bot.sqlite.seals import KeyCheck, key_matches

logger = logging.getLogger(__name__)

Conn = psycopg.AsyncConnection[Any]


@dataclass(frozen=True, slots=True)
class Sealed:
    """One sealable column: ``select`` gives ``(row id, platform, user id, *identity, plain,
    sealed)`` for every row with a value."""

    table: str
    column: str
    select: str
    row_key: str = "id"
    number: bool = False


def _answers(column: str, number: bool = False) -> Sealed:
    return Sealed(
        "answers",
        column,
        f"SELECT a.id, u.platform, u.platform_user_id, a.record_id, a.question, a.position,"
        f" a.{column}, a.{column}_sealed FROM answers a JOIN records r ON r.id = a.record_id"
        f" JOIN users u ON u.id = r.user_id"
        f" WHERE a.{column} IS NOT NULL OR a.{column}_sealed IS NOT NULL",
        number=number,
    )


SEALED: tuple[Sealed, ...] = (
    Sealed(
        "conversations",
        "state",
        "SELECT c.user_id, u.platform, u.platform_user_id, c.state, c.state_sealed"
        " FROM conversations c JOIN users u ON u.id = c.user_id",
        row_key="user_id",
    ),
    _answers("value_text"),
    _answers("value_choice"),
    _answers("value_int", number=True),
    Sealed(
        "due",
        "payload",
        "SELECT d.id, u.platform, u.platform_user_id, d.key, d.payload, d.payload_sealed"
        " FROM due d JOIN users u ON u.id = d.user_id",
    ),
    Sealed(
        "inbox",
        "body",
        "SELECT id, platform, '', update_id, body, body_sealed FROM inbox"
        " WHERE body IS NOT NULL OR body_sealed IS NOT NULL",
    ),
)


async def stored_check(conn: Conn) -> KeyCheck | None:
    cur = await conn.execute("SELECT key_id, probe, scheme FROM encryption WHERE id = 1")
    row = await cur.fetchone()
    return None if row is None else KeyCheck(bytes(row[0]), bytes(row[1]), int(row[2]))


async def current_key_id(conn: Conn) -> bytes | None:
    cur = await conn.execute("SELECT key_id FROM encryption WHERE id = 1")
    row = await cur.fetchone()
    return None if row is None else bytes(row[0])


async def ensure_same_key(conn: Conn, cipher: Sealer) -> None:
    """Inside a write transaction: refuse to write if the key was rotated under us."""
    if await current_key_id(conn) != cipher.key_id:
        raise EncryptedDataUnreadable(
            "The encryption key of the database changed while this process ran "
            "(threshold rotate-key); nothing was written. Restart with the current ENCRYPTION_KEY."
        )


def _verify(check: KeyCheck, cipher: Sealer) -> None:
    if not isinstance(cipher, Cipher):
        raise ConfigError(
            "The database is encrypted, but ENCRYPTION_KEY is not set. Set it to the key the "
            "data was encrypted with."
        )
    if not key_matches(check, cipher):
        raise ConfigError(
            "ENCRYPTION_KEY is not the key this database was encrypted with; nothing was read. "
            "Set the key it was encrypted with (see `threshold rotate-key` to change keys)."
        )


async def check_key(conn: Conn, cipher: Sealer, namespace: str) -> int:
    """A wrong or missing key for sealed data is a :class:`ConfigError`; a key on plain data
    seals it now. How many values were sealed."""
    check = await stored_check(conn)
    if check is not None:
        _verify(check, cipher)
        return 0
    if not isinstance(cipher, Cipher):
        return 0
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (named_lock(namespace, "key"),))
        if await stored_check(conn) is not None:  # another process did it first
            return await check_key(conn, cipher, namespace)
        count = await rewrite(conn, PLAIN, cipher)
        await set_check(conn, cipher)
    if count:
        logger.warning("sealed %d stored values that were plain text", count)
    return count


async def rotate(url: str, old: Sealer, new: Sealer) -> int:
    """``threshold rotate-key`` on PostgreSQL: every sealed value from ``old`` to ``new`` (either
    may be plain) in one transaction, under the same advisory lock as a first sealing. Stop every
    Threshold process first (one still running refuses to write once the key changed)."""
    from bot.postgres.migrate import migrate
    from bot.postgres.support import channel_suffix, unavailable

    try:
        conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    except (psycopg.Error, OSError) as exc:
        raise unavailable(url, "open", exc) from None
    try:
        namespace = await channel_suffix(conn)
        await migrate(conn, namespace)
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (named_lock(namespace, "key"),))
            check = await stored_check(conn)
            if check is not None:
                _verify(check, old)
            elif isinstance(old, Cipher):
                raise ConfigError(
                    "The database is not encrypted yet: leave ENCRYPTION_KEY unset and put the "
                    "new key in NEW_ENCRYPTION_KEY."
                )
            count = await rewrite(conn, old, new)
            await set_check(conn, new)
        return count
    except psycopg.Error as exc:
        raise unavailable(url, "re-encrypt", exc) from None
    finally:
        await conn.close()


async def set_check(conn: Conn, cipher: Sealer) -> None:
    await conn.execute("DELETE FROM encryption")
    if isinstance(cipher, Cipher):
        await conn.execute(
            "INSERT INTO encryption (id, key_id, probe, updated_at, scheme)"
            " VALUES (1, %s, %s, %s, %s)",
            (cipher.key_id, cipher.seal(PROBE, PROBE_CELL), datetime.now(UTC).isoformat(), SCHEME),
        )


async def rewrite(conn: Conn, old: Sealer, new: Sealer) -> int:
    """Open every sealable value with ``old`` and write it back sealed by ``new``."""
    count = 0
    for sealed in SEALED:
        cur = await conn.execute(sealed.select)
        for row_id, platform, pid, *identity, plain, sealed_value in await cur.fetchall():
            value = joined(plain, sealed_value)
            if value is None:
                continue
            parts = tuple(p if p is None or isinstance(p, int | str) else str(p) for p in identity)
            cell = Cell(sealed.table, sealed.column, (platform, pid), parts)
            stored: object
            if sealed.number:
                number = old.open_int(int(value) if isinstance(value, int) else value, cell)
                assert number is not None
                stored = new.seal_int(number, cell)
            else:
                text = old.open(value, cell)
                assert text is not None
                stored = new.seal(text, cell)
            new_plain, new_sealed = split(stored)
            await conn.execute(
                f"UPDATE {sealed.table} SET {sealed.column} = %s, {sealed.column}_sealed = %s"
                f" WHERE {sealed.row_key} = %s",
                (new_plain, new_sealed, row_id),
            )
            count += 1
    return count
