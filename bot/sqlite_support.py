"""Small pieces of the SQLite store that run on its database thread or describe its errors."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from types import TracebackType
from typing import Any

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
