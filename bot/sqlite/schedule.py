"""``SqliteSchedule``: :class:`bot.ports.schedule.ScheduleStore` on the bot's SQLite file.

It opens its own aiosqlite connection to the same file as :class:`bot.sqlite.store.SqliteStore`
(WAL lets them read side by side; writes take turns under ``busy_timeout``), the way a second
bot process would. Like the store it runs each operation as one callable on aiosqlite's thread,
so an operation costs one hand-off, and it group-commits the fan-out's many small writes: every
:meth:`begin` and :meth:`settle` waiting at the same moment shares one transaction, and each
caller is released only after that COMMIT (a send never starts before its ``sending`` mark is on
disk).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import aiosqlite

from bot.crypto import PLAIN, Sealer
from bot.errors import StoreUnavailable
from bot.migrate import migrate
from bot.ports.schedule import (
    SENDING,
    Begun,
    Claimed,
    Delivery,
    Graces,
    Housekept,
)
from bot.ports.store import to_db_time, utc_now
from bot.sqlite import due as sql
from bot.sqlite.support import configure, describe, hand_off, raw_connection

logger = logging.getLogger(__name__)

T = TypeVar("T")
MAX_MARKS = 1024
"""Outcome changes written in one transaction at most."""


@dataclass(slots=True)
class _Mark:
    delivery_id: int
    outcome: str
    expect: str
    mantras: int
    held: frozenset[int]
    future: asyncio.Future[Begun]


class SqliteSchedule:
    """``async with SqliteSchedule(path) as schedule``. Opening applies any missing migration
    (a no-op when the store opened the file first). ``cipher`` opens what the store sealed (a
    reminder's payload); the store has already checked the key."""

    def __init__(
        self,
        path: Path | str,
        *,
        busy_timeout: float = 5.0,
        clock: Callable[[], datetime] = utc_now,
        cipher: Sealer = PLAIN,
    ) -> None:
        self.path = Path(path)
        self._cipher = cipher
        self._busy_ms = int(busy_timeout * 1000)
        self._clock = clock
        self._db: aiosqlite.Connection | None = None
        self._raw: sqlite3.Connection | None = None
        self._marks: list[_Mark] = []
        self._wakeup = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._closing = False

    # -- lifecycle ------------------------------------------------------------------------------

    async def open(self) -> Self:
        try:
            sqlite3.connect(self.path).close()  # fail here, not on aiosqlite's thread
            self._db = await aiosqlite.connect(self.path, isolation_level=None)
            self._raw = raw_connection(self._db)
            await self._hand_off(self._setup)
        except sqlite3.Error as exc:
            await self._abandon()
            raise StoreUnavailable(
                f"Cannot open the schedule in {self.path}: {describe(exc)}."
            ) from None
        except BaseException:
            await self._abandon()
            raise
        self._writer = asyncio.create_task(self._write_loop(), name="threshold-schedule-writer")
        return self

    def _setup(self) -> None:
        conn = self._conn
        configure(conn, self._busy_ms)
        migrate(conn)

    async def close(self) -> None:
        """Write the outcomes already queued, then close the connection."""
        self._closing = True
        if self._writer is not None:
            self._wakeup.set()
            await self._writer
            self._writer = None
        await self._abandon()

    async def _abandon(self) -> None:
        db, self._db, self._raw = self._db, None, None
        if db is not None:
            try:
                await db.close()
            except (sqlite3.Error, ValueError):
                logger.debug("closing the schedule connection failed", exc_info=True)

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._raw is None:
            raise StoreUnavailable(f"The schedule in {self.path} is closed.")
        return self._raw

    async def _hand_off(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on aiosqlite's thread in one hand-off (the store's one private call,
        ``Connection._execute``; see :mod:`bot.sqlite.store`)."""
        if self._db is None:
            raise StoreUnavailable(f"The schedule in {self.path} is closed.")
        return await hand_off(self._db, fn, *args)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._closing:
            raise StoreUnavailable(f"The schedule in {self.path} is closed.")
        try:
            return await self._hand_off(fn, self._conn, *args)
        except sqlite3.Error as exc:
            raise StoreUnavailable(
                f"Cannot use the schedule in {self.path}: {describe(exc)}."
            ) from None

    # -- the port -------------------------------------------------------------------------------

    async def anything_due(self, now: datetime) -> bool:
        return await self._run(sql.anything_due, to_db_time(now))

    async def claim(self, now: datetime, graces: Graces, *, limit: int) -> Claimed:
        return await self._run(sql.claim, now, graces, limit)

    async def pending(self, platform: str, limit: int) -> list[Delivery]:
        return await self._run(sql.pending, platform, limit, self._cipher)

    async def begin(
        self, delivery_id: int, *, mantras: int, held: frozenset[int] = frozenset()
    ) -> Begun:
        return await self._mark(delivery_id, SENDING, "claimed", mantras, held)

    async def settle(self, delivery_id: int, outcome: str, *, expect: str = SENDING) -> bool:
        return (await self._mark(delivery_id, outcome, expect)).outcome == outcome

    async def housekeep(
        self, now: datetime, graces: Graces, *, sending_lease: timedelta, keep: timedelta
    ) -> Housekept:
        return await self._run(sql.housekeep, now, graces, sending_lease, keep)

    def watch(self, wake: Callable[[], None]) -> None:
        """One file has no notifications: the scheduler's tick finds what is due."""

    def shared_budget(self, platform: str, per_second: float) -> None:
        """One file, one process sending: the fan-out's own limiter is the budget."""

    # -- group commit of outcome changes --------------------------------------------------------

    async def _mark(
        self,
        delivery_id: int,
        outcome: str,
        expect: str,
        mantras: int = 0,
        held: frozenset[int] = frozenset(),
    ) -> Begun:
        if self._writer is None or self._closing:
            raise StoreUnavailable(f"The schedule in {self.path} is closed.")
        future: asyncio.Future[Begun] = asyncio.get_running_loop().create_future()
        self._marks.append(_Mark(delivery_id, outcome, expect, mantras, held, future))
        self._wakeup.set()
        return await future

    async def _write_loop(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._marks:
                batch = self._marks[:MAX_MARKS]
                del self._marks[:MAX_MARKS]
                await self._flush(batch)
            if self._closing:
                return

    async def _flush(self, batch: list[_Mark]) -> None:
        ops = [(m.delivery_id, m.outcome, m.expect, m.mantras, m.held) for m in batch]
        try:
            results = await self._hand_off(sql.mark, self._conn, ops, to_db_time(self._clock()))
        except (sqlite3.Error, ValueError, StoreUnavailable) as exc:
            error = StoreUnavailable(f"Cannot write to the schedule in {self.path}: {exc}.")
            for m in batch:
                if not m.future.done():
                    m.future.set_exception(error)
            return
        for m, result in zip(batch, results, strict=True):
            if not m.future.done():
                m.future.set_result(result)
