"""Which store and schedule ``DATABASE_URL`` names: the SQLite file or a PostgreSQL server.

Both pairs implement the same ports (:mod:`bot.ports.store`, :mod:`bot.ports.schedule`), so
nothing past this module knows which one runs. PostgreSQL's modules are imported only when it
is chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

from bot.crypto import Sealer
from bot.ports.store import utc_now
from bot.settings import Settings


def where(settings: Settings) -> str:
    """The database, for a log line (never a password)."""
    if settings.uses_postgres:
        from bot.postgres.support import where as pg_where

        return pg_where(settings.database_url)
    return str(settings.sqlite_path)


def open_store(settings: Settings, *, cipher: Sealer) -> AbstractAsyncContextManager[Any]:
    """The store for ``settings``, to enter (``async with``): it opens, migrates, checks the key."""
    if settings.uses_postgres:
        from bot.postgres.store import PostgresStore

        return PostgresStore(settings.database_url, cipher=cipher)
    from bot.sqlite.store import SqliteStore

    return SqliteStore(settings.sqlite_path, cipher=cipher)


def open_schedule(
    settings: Settings, *, cipher: Sealer, clock: Callable[[], datetime] = utc_now
) -> AbstractAsyncContextManager[Any]:
    """The scheduler's storage for ``settings``, to enter after the store."""
    if settings.uses_postgres:
        from bot.postgres.schedule import PostgresSchedule

        return PostgresSchedule(settings.database_url, clock=clock, cipher=cipher)
    from bot.sqlite.schedule import SqliteSchedule

    return SqliteSchedule(settings.sqlite_path, clock=clock, cipher=cipher)
