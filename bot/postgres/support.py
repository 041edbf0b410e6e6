"""What the PostgreSQL store and schedule share: the pool, errors in plain words, lock keys,
and the two-column form of a value that may be sealed.

A column that may hold sealed text (:mod:`bot.crypto`) is two columns in PostgreSQL, which
(unlike SQLite) keeps one type per column: ``state text`` for a plain value and
``state_sealed bytea`` for a sealed one. :func:`split` turns what the cipher made into that
pair; :func:`joined` gives the cipher back whichever is set, so :class:`~bot.crypto.Plain`
still refuses a sealed value and :class:`~bot.crypto.Cipher` a plain one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import socket
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg_pool import AsyncConnectionPool

from bot.errors import StoreUnavailable

logger = logging.getLogger(__name__)

SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(url: str) -> bool:
    return url.strip().startswith(SCHEMES)


def with_schema(url: str, schema: str) -> str:
    """``url`` with ``search_path`` set to ``schema`` (the tests give each test its own)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    query.append(("options", f"-c search_path={schema}"))
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


def where(url: str) -> str:
    """The server and database of ``url`` for messages: never the password."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
        return f"postgresql://{host}{port}{parts.path}"
    except ValueError:
        return "the PostgreSQL server"


def describe(exc: BaseException) -> str:
    """A plain reason for a failed connection, read or write (first line of the server's)."""
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        text = str(exc).strip().splitlines()
        first = text[0] if text else type(exc).__name__
        return first.removeprefix("connection failed: ")
    diag = getattr(exc, "diag", None)
    message = getattr(diag, "message_primary", None)
    return str(message or exc).strip().splitlines()[0] if str(message or exc).strip() else "error"


def unavailable(url: str, doing: str, exc: BaseException) -> StoreUnavailable:
    return StoreUnavailable(f"Cannot {doing} the database at {where(url)}: {describe(exc)}.")


def person_lock(namespace: str, platform: str, user_id: str) -> int:
    """The ``pg_advisory_xact_lock`` key of one person: 64 bits of a hash of the schema and the
    person (two installs in one database, or two tests, never share a lock)."""
    digest = hashlib.blake2b(
        f"{namespace}\x00{platform}\x00{user_id}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


def named_lock(namespace: str, name: str) -> int:
    """An advisory lock key for a job of the whole install (migrations)."""
    return person_lock(namespace, "\x00job", name)


def new_owner() -> str:
    """This process, as the owner of what it takes (host, pid, and a random part so that a
    restarted process never mistakes a dead one's rows for its own)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def split(value: object) -> tuple[Any, bytes | None]:
    """``(plain, sealed)`` for what a cipher made: bytes are sealed, anything else is plain."""
    if isinstance(value, bytes):
        return None, value
    return value, None


def joined(plain: object, sealed: object) -> object:
    """The stored value for the cipher to open: the sealed bytes if any, else the plain one."""
    if sealed is not None:
        return bytes(sealed) if isinstance(sealed, memoryview | bytearray) else sealed
    return plain


async def open_pool(url: str, *, max_size: int, doing: str = "open") -> AsyncConnectionPool:
    """An open pool, or :class:`StoreUnavailable` with the server's reason at once: one plain
    connection first (a pool would retry a refused connection until its timeout)."""
    try:
        probe = await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=10)
        await probe.close()
    except (psycopg.Error, OSError) as exc:
        raise unavailable(url, doing, exc) from None
    pool = make_pool(url, min_size=1, max_size=max_size)
    try:
        await pool.open(wait=True, timeout=10.0)
    except Exception as exc:  # psycopg_pool.PoolTimeout
        await pool.close()
        raise unavailable(url, doing, exc.__cause__ or exc) from None
    return pool


def make_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> AsyncConnectionPool:
    """A pool of autocommit connections: every transaction is an explicit
    ``conn.transaction()`` (a nested one is a savepoint)."""
    return AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        open=False,
        kwargs={"autocommit": True},
        name="threshold",
        timeout=10.0,
    )


async def channel_suffix(conn: psycopg.AsyncConnection[Any]) -> str:
    """The current schema, which namespaces lock keys and NOTIFY channels."""
    cur = await conn.execute("SELECT current_schema()")
    row = await cur.fetchone()
    return str(row[0] if row and row[0] else "public")


def notify_channel(namespace: str) -> str:
    """The channel a turn NOTIFYs when it schedules something, and the scheduler LISTENs on."""
    return "threshold_due_" + hashlib.blake2b(namespace.encode(), digest_size=6).hexdigest()
