"""Numbered schema files, applied in order and recorded (RoboDanny's ``migrations/`` habit).

``bot/migrations/NNNN_name.sql`` files are applied once each, each in its own transaction with
the row that records it in ``schema_migrations``. Re-running is a no-op. A database that already
holds a version this code does not ship was written by a newer Threshold and is refused.
Runs synchronously on an open ``sqlite3.Connection`` (the store calls it on its own thread).
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

from bot.errors import MigrationError

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def shipped(package: str = "bot.migrations") -> list[Migration]:
    """The migration files in ``package`` (SQLite's ``bot/migrations`` unless told; PostgreSQL
    has its own, :mod:`bot.postgres.migrations`), in order."""
    found = []
    for entry in resources.files(package).iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    # A gap is allowed (work on two branches may land in either order: 0003 before 0002);
    # a number used twice, or no 0001, is a mistake.
    if len(set(versions)) != len(versions) or not versions or versions[0] != 1:
        raise MigrationError(
            f"Migration files must be numbered 0001, 0002, … each number once: {versions}"
        )
    return found


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    """What a database's schema is, read without changing anything."""

    foreign: bool
    """It holds tables, but none records Threshold's migrations: not Threshold's file."""
    applied: tuple[int, ...]
    pending: tuple[Migration, ...]
    """Shipped migrations it has not had yet (``threshold run`` applies them at start)."""
    newer: tuple[int, ...]
    """Versions it has that this code does not know: it was made by a newer release."""
    latest: int
    """The newest version this code ships."""


def schema_status(conn: sqlite3.Connection) -> SchemaStatus:
    """Where ``conn``'s schema stands against the shipped migrations; raises
    :class:`MigrationError` if the shipped files themselves are wrong."""
    migrations = shipped()
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    done: tuple[int, ...] = ()
    if "schema_migrations" in tables:
        done = tuple(r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1"))
    known = {m.version for m in migrations}
    return SchemaStatus(
        foreign=bool(tables) and "schema_migrations" not in tables,
        applied=done,
        pending=tuple(m for m in migrations if m.version not in done),
        newer=tuple(v for v in done if v not in known),
        latest=max(known),
    )


def applied(conn: sqlite3.Connection) -> list[int]:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    return [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]


def statements(sql: str) -> list[str]:
    """Split a script into statements (``executescript`` would commit our transaction first)."""
    found: list[str] = []
    buffer = ""
    *pieces, rest = sql.split(";")
    for piece in pieces:
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \t\r\n;"):
                found.append(buffer.strip())
            buffer = ""
    rest = "\n".join(
        line for line in (buffer + rest).splitlines() if not line.strip().startswith("--")
    )
    if rest.strip():
        raise MigrationError("A migration file ends in the middle of a statement (missing ';'?).")
    return found


def migrate(conn: sqlite3.Connection, migrations: list[Migration] | None = None) -> list[int]:
    """Apply what is missing; return the versions applied now. ``conn`` must be in autocommit
    mode (``isolation_level=None``). Errors from the disk propagate as ``sqlite3.Error``; a
    statement SQLite rejects becomes :class:`MigrationError`."""
    todo = shipped() if migrations is None else migrations
    known = {m.version for m in todo}
    done_now: list[int] = []
    for migration in todo:
        conn.execute("BEGIN IMMEDIATE")
        try:
            done = applied(conn)
            newer = [v for v in done if v not in known]
            if newer:
                raise MigrationError(
                    f"The database has schema version {max(newer)}, newer than this Threshold "
                    f"knows ({max(known, default=0)}); upgrade Threshold to open it."
                )
            if migration.version not in done:
                _apply(conn, migration)
                done_now.append(migration.version)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    for version in done_now:
        logger.info("applied schema migration %04d", version)
    return done_now


def _apply(conn: sqlite3.Connection, migration: Migration) -> None:
    for statement in statements(migration.sql):
        try:
            conn.execute(statement)
        except sqlite3.Error as exc:
            if getattr(exc, "sqlite_errorname", "") != "SQLITE_ERROR":
                raise  # the disk or the file, not the migration: the store reports it
            raise MigrationError(
                f"Migration {migration.version:04d}_{migration.name} failed: {exc}"
            ) from exc
    conn.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
        (migration.version, migration.name, datetime.now(UTC).isoformat(timespec="microseconds")),
    )
