"""Small pieces of the SQLite store that run on its database thread or describe its errors."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

import aiosqlite

from bot.sqlite_checkpoint import BACKSTOP_PAGES

logger = logging.getLogger(__name__)

T = TypeVar("T")

REASONS = {
    "SQLITE_NOTADB": "the file is not an SQLite database",
    "SQLITE_CANTOPEN": "the file cannot be opened or created there",
    "SQLITE_READONLY": "the file or its folder is read-only",
    "SQLITE_FULL": "the disk is full",
    "SQLITE_BUSY": "another process kept the database locked for too long",
    "SQLITE_LOCKED": "another process kept the database locked for too long",
    "SQLITE_CORRUPT": "the file is damaged",
    "SQLITE_IOERR": "the disk reported an input/output error",
    "SQLITE_PERM": "access to the file is not permitted",
}


def describe(exc: BaseException) -> str:
    """A plain reason for a failed open, read or write, for whoever runs the bot."""
    reason = REASONS.get(getattr(exc, "sqlite_errorname", ""), "")
    if not reason:
        reason = f"{exc.strerror}" if isinstance(exc, OSError) and exc.strerror else str(exc)
    return reason


class Job:
    """``fn(*args)`` with a ``repr`` that names only ``fn``: aiosqlite logs the repr of every
    job at DEBUG, and the arguments carry what people typed."""

    __slots__ = ("args", "fn")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.fn = fn
        self.args = args

    def __call__(self) -> Any:
        return self.fn(*self.args)

    def __repr__(self) -> str:
        return f"<store job {getattr(self.fn, '__name__', 'fn')}>"


def configure(conn: sqlite3.Connection, busy_ms: int) -> None:
    """The settings every connection of ours runs with: WAL (readers never block the writer),
    ``synchronous=NORMAL`` (a commit is an append; fsync at checkpoints), foreign keys (forget
    cascades), ``secure_delete`` (deleted rows leave no copy in the pages), and the checkpoint
    backstop (see :mod:`bot.sqlite_checkpoint`)."""
    conn.execute(f"PRAGMA busy_timeout = {busy_ms}")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        logger.warning("journal mode is %s, not WAL", mode)
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = FAST")
    conn.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}")


async def hand_off(db: aiosqlite.Connection, fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(*args)`` on aiosqlite's thread in one hand-off: the one use of the private
    ``Connection._execute``, which lets a whole batch of statements cost one trip to the
    database thread (see :mod:`bot.sqlite_store`)."""
    result: T = await db._execute(Job(fn, args))  # type: ignore[no-untyped-call]
    return result


class transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (or ``ROLLBACK``) on the database thread."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
