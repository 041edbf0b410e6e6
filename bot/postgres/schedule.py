"""``PostgresSchedule``: :class:`bot.ports.schedule.ScheduleStore` on PostgreSQL, for several
processes claiming from one database (:mod:`bot.postgres.due` says how none is sent twice).

Each process is one *owner* (host, pid and a random part); the rows it takes from the outbox are
leased to it for ``lease`` and renewed each time it looks again, so the rows of a process that
was killed are taken over once their lease runs out. :meth:`watch` LISTENs on the install's
channel: a turn that scheduled something, or another process's claim, wakes this scheduler at
once; the scheduler's one-second tick stays the fallback if a notification is lost (a dropped
connection is re-LISTENed on the next tick's watch loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self

import psycopg
from psycopg_pool import AsyncConnectionPool

from bot.crypto import PLAIN, Sealer
from bot.errors import StoreError, StoreUnavailable
from bot.ports.schedule import SENDING, Begun, Claimed, Delivery, Graces, Housekept
from bot.ports.store import to_db_time, utc_now
from bot.postgres import due as sql
from bot.postgres.budget import SharedBudget
from bot.postgres.migrate import migrate
from bot.postgres.support import (
    channel_suffix,
    new_owner,
    notify_channel,
    open_pool,
    unavailable,
    where,
)

logger = logging.getLogger(__name__)

Conn = psycopg.AsyncConnection[Any]
LEASE = timedelta(seconds=30)
"""How long a process keeps the claimed deliveries it took without looking at them again."""
LISTEN_WAIT = 0.5
"""Seconds the LISTEN connection waits for a notification before it looks whether to stop."""
_ERRORS = (psycopg.Error, OSError)


class PostgresSchedule:
    """``async with PostgresSchedule(url) as schedule``. ``owner`` names this process in the
    outbox (a fresh one each start, so a restarted process never mistakes a dead one's rows for
    its own)."""

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], datetime] = utc_now,
        cipher: Sealer = PLAIN,
        lease: timedelta = LEASE,
        owner: str | None = None,
        pool_size: int = 5,
    ) -> None:
        self.url = url
        self._clock = clock
        self._cipher = cipher
        self.lease = lease
        self.owner = owner or new_owner()
        self._pool_size = pool_size
        self._pool: AsyncConnectionPool | None = None
        self._closing = False
        self.channel = notify_channel("public")
        self._listener: asyncio.Task[None] | None = None

    async def open(self) -> Self:
        pool = await open_pool(self.url, max_size=self._pool_size, doing="open the schedule in")
        self._pool = pool
        try:
            async with pool.connection() as conn:
                namespace = await channel_suffix(conn)
                self.channel = notify_channel(namespace)
                await migrate(conn, namespace)
        except _ERRORS as exc:
            await self.close()
            raise unavailable(self.url, "open the schedule in", exc) from None
        return self

    async def close(self) -> None:
        self._closing = True
        listener, self._listener = self._listener, None
        if listener is not None:
            # The listener sees _closing within LISTEN_WAIT and closes its own connection;
            # cancelling psycopg's notifies() mid-read can leave close() waiting forever.
            done, _ = await asyncio.wait({listener}, timeout=LISTEN_WAIT * 3)
            if not done:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait({listener}, timeout=LISTEN_WAIT)
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[Conn]:
        if self._pool is None or self._closing:
            raise StoreUnavailable(f"The schedule in {where(self.url)} is closed.")
        try:
            async with self._pool.connection() as conn:
                yield conn
        except StoreError:
            raise
        except _ERRORS as exc:
            raise unavailable(self.url, "use the schedule in", exc) from None
        except Exception as exc:
            if type(exc).__module__.startswith("psycopg_pool"):
                raise unavailable(self.url, "use the schedule in", exc) from None
            raise

    # -- the port -------------------------------------------------------------------------------

    async def anything_due(self, now: datetime) -> bool:
        async with self._connection() as conn:
            return await sql.anything_due(conn, to_db_time(now))

    async def claim(self, now: datetime, graces: Graces, *, limit: int) -> Claimed:
        async with self._connection() as conn:
            claimed = await sql.claim(conn, now, graces, limit)
            if claimed.claimed:
                await conn.execute("SELECT pg_notify(%s, 'claimed')", (self.channel,))
            return claimed

    async def pending(self, platform: str, limit: int) -> list[Delivery]:
        async with self._connection() as conn, conn.transaction():
            return await sql.pending(
                conn, platform, limit, self.owner, self._clock(), self.lease, self._cipher
            )

    async def begin(
        self, delivery_id: int, *, mantras: int, held: frozenset[int] = frozenset()
    ) -> Begun:
        now = to_db_time(self._clock())
        async with self._connection() as conn:
            return await sql.begin(conn, delivery_id, self.owner, now, mantras, held)

    async def settle(self, delivery_id: int, outcome: str, *, expect: str = SENDING) -> bool:
        now = to_db_time(self._clock())
        async with self._connection() as conn:
            return await sql.settle(conn, delivery_id, outcome, expect, now)

    async def housekeep(
        self, now: datetime, graces: Graces, *, sending_lease: timedelta, keep: timedelta
    ) -> Housekept:
        async with self._connection() as conn:
            return await sql.housekeep(conn, now, graces, sending_lease, keep)

    def shared_budget(self, platform: str, per_second: float) -> SharedBudget:
        """Every process's scheduled sends to ``platform`` share one bucket in the database."""
        return SharedBudget(platform, per_second, self._connection)

    def watch(self, wake: Callable[[], None]) -> None:
        """Call ``wake()`` whenever something is scheduled or claimed anywhere on the database."""
        if self._listener is None and not self._closing:
            self._listener = asyncio.create_task(
                self._listen(wake), name="threshold-schedule-listener"
            )

    async def _listen(self, wake: Callable[[], None]) -> None:
        while not self._closing:
            try:
                conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
            except _ERRORS as exc:
                logger.warning("scheduler: cannot LISTEN (%s); ticking only", type(exc).__name__)
                await asyncio.sleep(5)
                continue
            try:
                await conn.execute(f'LISTEN "{self.channel}"')
                while not self._closing:  # a bounded wait: closing never has to cancel a read
                    async for _ in conn.notifies(timeout=LISTEN_WAIT):
                        wake()
            except _ERRORS as exc:
                logger.info("scheduler: LISTEN connection lost (%s)", type(exc).__name__)
                await asyncio.sleep(1)
            finally:
                await conn.close()
