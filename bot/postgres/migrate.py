"""PostgreSQL's numbered schema files (``bot/postgres/migrations/NNNN_name.sql``), applied once.

The same habit as :mod:`bot.migrate` for SQLite, with the server's own means: all of them in one
transaction under an advisory lock, so several processes starting together apply each file once
and the losers find it done; a database that holds a version this code does not ship was made by
a newer Threshold and is refused. PostgreSQL runs DDL inside a transaction, so a file that fails
leaves nothing behind.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import Any

import psycopg

from bot.errors import MigrationError
from bot.migrate import Migration, SchemaStatus, shipped
from bot.postgres.support import named_lock

logger = logging.getLogger(__name__)

PACKAGE = "bot.postgres.migrations"


def migrations() -> list[Migration]:
    return shipped(PACKAGE)


_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)"
)


async def migrate(conn: psycopg.AsyncConnection[Any], namespace: str) -> list[int]:
    """Apply what is missing on ``conn`` (autocommit); the versions applied now. Also writes
    the install's random secret once (:mod:`bot.pseudonyms`)."""
    todo = migrations()
    known = {m.version for m in todo}
    done_now: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (named_lock(namespace, "migrate"),))
        await conn.execute(_TABLE)
        cur = await conn.execute("SELECT version FROM schema_migrations ORDER BY 1")
        done = {int(r[0]) for r in await cur.fetchall()}
        newer = sorted(v for v in done if v not in known)
        if newer:
            raise MigrationError(
                f"The database has schema version {max(newer)}, newer than this Threshold "
                f"knows ({max(known, default=0)}); upgrade Threshold to open it."
            )
        for migration in todo:
            if migration.version in done:
                continue
            try:
                async with conn.transaction():
                    await conn.execute(migration.sql.encode("utf-8"))
            except psycopg.errors.SyntaxError as exc:
                raise MigrationError(
                    f"Migration {migration.version:04d}_{migration.name} failed: {exc}"
                ) from exc
            except psycopg.DatabaseError as exc:
                if isinstance(exc, psycopg.OperationalError):
                    raise
                raise MigrationError(
                    f"Migration {migration.version:04d}_{migration.name} failed: {exc}"
                ) from exc
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%s, %s, %s)",
                (migration.version, migration.name, _now()),
            )
            done_now.append(migration.version)
        await conn.execute(
            "INSERT INTO install (id, secret, created_at) VALUES (1, %s, %s)"
            " ON CONFLICT (id) DO NOTHING",
            (secrets.token_bytes(32), _now()),
        )
    for version in done_now:
        logger.info("applied PostgreSQL schema migration %04d", version)
    return done_now


async def schema_status(conn: psycopg.AsyncConnection[Any]) -> SchemaStatus:
    """Where the schema of ``conn``'s search path stands, read without changing anything."""
    todo = migrations()
    cur = await conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    )
    tables = {str(r[0]) for r in await cur.fetchall()}
    done: tuple[int, ...] = ()
    if "schema_migrations" in tables:
        cur = await conn.execute("SELECT version FROM schema_migrations ORDER BY 1")
        done = tuple(int(r[0]) for r in await cur.fetchall())
    known = {m.version for m in todo}
    return SchemaStatus(
        foreign=bool(tables) and "schema_migrations" not in tables,
        applied=done,
        pending=tuple(m for m in todo if m.version not in done),
        newer=tuple(v for v in done if v not in known),
        latest=max(known),
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
