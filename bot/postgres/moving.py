"""``threshold migrate-db``: move an SQLite file's data to a PostgreSQL database, row for row.

The file is opened read-only and must be at the newest schema (start Threshold on it once with
the key to upgrade it first); the PostgreSQL database gets its own migrations and must hold no
one yet. Every table is copied in one transaction with ``COPY``, keeping every row's id, so each
sealed value (bound to its row and person, :mod:`bot.crypto`) opens unchanged there under the
same key: nothing is decrypted on the way, and the key never has to be given. The install's
secret comes along too, so log pseudonyms stay the same. Identity sequences then continue past
the highest id. Before the transaction commits, every table is read back from both sides in id
order and compared value for value (a sealable column as whichever of its pair holds it); any
difference rolls the whole move back.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bot.crypto import SCHEME
from bot.errors import MoveRefused, StoreUnavailable
from bot.migrate import schema_status
from bot.postgres.migrate import migrate as migrate_postgres
from bot.postgres.support import channel_suffix, joined, split, unavailable, where

logger = logging.getLogger(__name__)

TABLES: tuple[tuple[str, str], ...] = (
    ("users", "id"),
    ("conversations", "user_id"),
    ("records", "id"),
    ("answers", "id"),
    ("mantra_subscriptions", "user_id"),
    ("due", "id"),
    ("delivery_log", "id"),
    ("encryption", "id"),
    ("inbox", "id"),
    ("install", "id"),
)
"""Every table, parents first, with the column that orders it."""
SEALABLE = {
    "conversations": ("state",),
    "answers": ("value_text", "value_choice", "value_int"),
    "due": ("payload",),
    "inbox": ("body",),
}
"""Columns that are a pair (``x``, ``x_sealed``) in PostgreSQL."""
IDENTITIES = ("users", "records", "answers", "due", "delivery_log", "inbox")


@dataclass(frozen=True, slots=True)
class Moved:
    rows: dict[str, int]
    """Rows copied and checked, by table."""


def _sqlite_rows(conn: sqlite3.Connection, table: str, order: str) -> Iterator[tuple[Any, ...]]:
    cursor = conn.execute(f'SELECT * FROM "{table}" ORDER BY "{order}"')
    yield from cursor


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]


def _pg_columns(columns: list[str], table: str) -> list[str]:
    out: list[str] = []
    for name in columns:
        out.append(name)
        if name in SEALABLE.get(table, ()):
            out.append(f"{name}_sealed")
    return out


def _pg_row(row: tuple[Any, ...], columns: list[str], table: str) -> list[Any]:
    out: list[Any] = []
    for name, value in zip(columns, row, strict=True):
        if name in SEALABLE.get(table, ()):
            out.extend(split(value))
        else:
            out.append(value)
    return out


def _open_file(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise MoveRefused(f"There is no SQLite database at {path}.")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        status = schema_status(conn)
    except sqlite3.Error as exc:
        raise MoveRefused(f"Cannot read the SQLite database at {path}: {exc}.") from None
    if status.foreign or not status.applied:
        conn.close()
        raise MoveRefused(f"{path} is not a Threshold database.")
    if status.pending or status.newer:
        conn.close()
        raise MoveRefused(
            f"{path} is not at the schema this Threshold writes (version {status.latest}): "
            "start this release of Threshold on it once (with its ENCRYPTION_KEY, if any), stop "
            "it, then move it."
        )
    row = conn.execute("SELECT scheme FROM encryption WHERE id = 1").fetchone()
    if row is not None and int(row[0]) < SCHEME:
        conn.close()
        raise MoveRefused(
            f"{path} holds values sealed under an older scheme: start Threshold on it once with "
            "its ENCRYPTION_KEY (which re-seals them), stop it, then move it."
        )
    return conn


async def move(source: Path, target: str) -> Moved:
    """Copy everything in ``source`` (an SQLite file) into the PostgreSQL database ``target``
    in one transaction, checked row for row. Stop every Threshold process on the file first."""
    lite = _open_file(source)
    try:
        try:
            conn = await psycopg.AsyncConnection.connect(target, autocommit=True)
        except (psycopg.Error, OSError) as exc:
            raise unavailable(target, "open", exc) from None
        try:
            await migrate_postgres(conn, await channel_suffix(conn))
            async with conn.transaction():
                await _refuse_if_used(conn, target)
                await conn.execute("DELETE FROM install")
                counts = {}
                for table, order in TABLES:
                    counts[table] = await _copy(lite, conn, table, order)
                for table in IDENTITIES:
                    await conn.execute(
                        sql.SQL(
                            "SELECT setval(pg_get_serial_sequence({t}, 'id'),"
                            " coalesce((SELECT max(id) FROM {i}), 0) + 1, false)"
                        ).format(t=sql.Literal(table), i=sql.Identifier(table))
                    )
                for table, order in TABLES:
                    await _check(lite, conn, table, order)
        except psycopg.Error as exc:
            raise unavailable(target, "write to", exc) from None
        finally:
            await conn.close()
    finally:
        lite.close()
    logger.info("moved %d rows from %s to %s", sum(counts.values()), source, where(target))
    return Moved(counts)


async def _refuse_if_used(conn: psycopg.AsyncConnection[Any], target: str) -> None:
    for table in ("users", "encryption", "inbox"):
        cur = await conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        row = await cur.fetchone()
        if row and row[0]:
            raise MoveRefused(
                f"The database at {where(target)} already holds Threshold's data ({table}): "
                "move into an empty one."
            )


async def _copy(
    lite: sqlite3.Connection, conn: psycopg.AsyncConnection[Any], table: str, order: str
) -> int:
    columns = _columns(lite, table)
    target = _pg_columns(columns, table)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in target)
    )
    count = 0
    async with conn.cursor() as cur, cur.copy(statement) as copy:
        for row in _sqlite_rows(lite, table, order):
            await copy.write_row(_pg_row(row, columns, table))
            count += 1
    return count


def _normal(value: object) -> object:
    return bytes(value) if isinstance(value, memoryview | bytearray) else value


async def _check(
    lite: sqlite3.Connection, conn: psycopg.AsyncConnection[Any], table: str, order: str
) -> None:
    """Every row of ``table`` the same on both sides, in the same order; else roll back."""
    columns = _columns(lite, table)
    target = _pg_columns(columns, table)
    cur = await conn.execute(
        sql.SQL("SELECT {} FROM {} ORDER BY {}").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in target),
            sql.Identifier(table),
            sql.Identifier(order),
        )
    )
    theirs = await cur.fetchall()
    mine = list(_sqlite_rows(lite, table, order))
    if len(theirs) != len(mine):
        raise MoveRefused(
            f"Checking {table}: {len(mine)} rows in the file, {len(theirs)} copied; rolled back."
        )
    sealable = SEALABLE.get(table, ())
    for number, (row, copied) in enumerate(zip(mine, theirs, strict=True)):
        values = iter(copied)
        back = []
        for name in columns:
            value = next(values)
            if name in sealable:
                value = joined(value, next(values))
            back.append(_normal(value))
        if tuple(_normal(v) for v in row) != tuple(back):
            raise MoveRefused(f"Checking {table}: row {number + 1} differs; rolled back.")


__all__ = ["MoveRefused", "Moved", "StoreUnavailable", "move"]
