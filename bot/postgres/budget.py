"""One send budget per platform for every process on the database: scheduled messages from all
of them together stay under ``TELEGRAM_SEND_RATE`` (or Discord's).

A token bucket in one row (``send_budget``, migration 0003), refilled at ``per_second`` up to a
burst of a tenth of a second's worth (as the per-process limiter in :mod:`bot.schedule.fanout`).
:meth:`SharedBudget.acquire` takes one token in one statement under the row's lock; if the bucket
is empty it goes into debt, and the caller sleeps until the debt it added is paid off: each
taker gets its own slot, in the order the server saw them, with no retry loop. Time is the
server's ``clock_timestamp()``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import psycopg

from bot.ports.schedule import BURST_SECONDS

_TAKE = """
WITH now AS (SELECT extract(epoch FROM clock_timestamp())::double precision AS t)
INSERT INTO send_budget AS b (platform, tokens, at)
SELECT %(platform)s, %(burst)s - 1, now.t FROM now
ON CONFLICT (platform) DO UPDATE SET
    tokens = least(%(burst)s, b.tokens + ((SELECT t FROM now) - b.at) * %(rate)s) - 1,
    at = (SELECT t FROM now)
RETURNING tokens
"""


class SharedBudget:
    """The budget of ``platform`` at ``per_second`` on the database behind ``connection``."""

    def __init__(
        self,
        platform: str,
        per_second: float,
        connection: Callable[[], contextlib.AbstractAsyncContextManager[Any]],
    ) -> None:
        self.platform = platform
        self.per_second = per_second
        self.burst = max(1.0, per_second * BURST_SECONDS)
        self._connection = connection

    async def acquire(self) -> None:
        """Return when this process may send one more message."""
        conn: psycopg.AsyncConnection[Any]
        async with self._connection() as conn:
            cur = await conn.execute(
                _TAKE, {"platform": self.platform, "burst": self.burst, "rate": self.per_second}
            )
            row = await cur.fetchone()
        tokens = float(row[0]) if row else 0.0
        if tokens < 0:
            await asyncio.sleep(-tokens / self.per_second)
