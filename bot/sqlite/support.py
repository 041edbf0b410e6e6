"""Small pieces of the SQLite store that run on its database thread or describe its errors."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import aiosqlite

from bot.sqlite.checkpoint import BACKSTOP_PAGES

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


JOURNAL_SIZE_LIMIT = 4 * 1024 * 1024
"""Bytes of WAL kept on disk after a checkpoint (beyond that it is truncated)."""
FILE_MODE, FOLDER_MODE = 0o600, 0o700


def configure(conn: sqlite3.Connection, busy_ms: int) -> None:
    """The settings every connection of ours runs with: WAL (readers never block the writer),
    ``synchronous=NORMAL`` (a commit is an append; fsync at checkpoints), foreign keys (forget
    cascades), ``secure_delete=ON`` (deleted rows and freed pages are zeroed, not left readable),
    a WAL that shrinks back after checkpoints, and the checkpoint backstop (see
    :mod:`bot.sqlite.checkpoint`)."""
    conn.execute(f"PRAGMA busy_timeout = {busy_ms}")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        logger.warning("journal mode is %s, not WAL", mode)
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}")
    conn.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}")


def create_private(path: Path) -> None:
    """Make sure ``path`` exists readable by its owner only, before SQLite opens it (its WAL
    and shared-memory files take the database file's mode): new folders 0700, the file 0600; an
    existing file that others can read is narrowed to 0600."""
    for folder in reversed([path.parent, *path.parent.parents]):
        if not folder.exists():
            folder.mkdir(mode=FOLDER_MODE)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    except FileExistsError:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077 and path.is_file():
            try:
                os.chmod(path, FILE_MODE)
                logger.info("database %s was readable by others; now 0600", path)
            except OSError as exc:
                logger.warning("database %s is readable by others (%s)", path, exc.strerror)
        return
    os.close(fd)


def use_incremental_vacuum(conn: sqlite3.Connection) -> None:
    """Let free pages be handed back to the file system (``auto_vacuum=INCREMENTAL``). A new
    file gets it from ``PRAGMA auto_vacuum`` before its first page is written; a file made by an
    older release is converted here, once, by a VACUUM."""
    if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        conn.execute("VACUUM")


def erase_freed(conn: sqlite3.Connection, *, attempts: int = 3) -> bool:
    """After rows were deleted for good (``/forget``): hand the freed pages back to the file
    system, then copy the WAL into the file and truncate it, so no old page (with what was
    deleted) stays in either. Outside any transaction. Whether the checkpoint completed (it
    waits ``busy_timeout`` for readers each attempt)."""
    conn.execute("PRAGMA incremental_vacuum")
    for _ in range(attempts):
        busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy == 0:
            return True
    logger.warning("the WAL could not be truncated after a deletion (readers kept it busy)")
    return False


# The two places Threshold reaches into aiosqlite's private parts, both here, both for the same
# reason: a whole batch of statements (a group of turns, a group of delivery outcomes) must cost
# one trip to the database thread, which aiosqlite's public API cannot do. ``_execute`` runs one
# callable on its thread; ``_conn`` is the plain ``sqlite3.Connection`` that callable uses
# there (and only there). Both have been stable across aiosqlite releases, and everything public
# in aiosqlite is built on them. If they ever go, the fallback is a ``ThreadPoolExecutor``
# (``max_workers=1``) owning a plain ``sqlite3`` connection, behind these two functions.


async def hand_off(db: aiosqlite.Connection, fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(*args)`` on aiosqlite's thread, in one hand-off (``Connection._execute``)."""
    result: T = await db._execute(Job(fn, args))  # type: ignore[no-untyped-call]
    return result


def raw_connection(db: aiosqlite.Connection) -> sqlite3.Connection:
    """The ``sqlite3.Connection`` under ``db`` (``Connection._conn``): for functions run by
    :func:`hand_off`, on the database thread only."""
    return db._conn


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
