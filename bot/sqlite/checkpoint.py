"""Checkpoints off the write path: copy the WAL back into the database file in the background.

In WAL mode with ``synchronous=NORMAL`` a commit is an append to the WAL, and the only fsync
is at a checkpoint. SQLite's automatic checkpoint runs inside whichever COMMIT crosses the
threshold, so every thousand pages one turn pays for an fsync (several milliseconds). Instead,
the store raises that threshold to a backstop and this task runs a PASSIVE checkpoint on its
own connection and thread every half second: writers never wait for it, and it never waits for
them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path

import aiosqlite

logger = logging.getLogger(__name__)

BACKSTOP_PAGES = 10_000
"""``wal_autocheckpoint`` of the writing connection: only reached if this task falls behind."""


class Checkpointer:
    def __init__(self, path: Path, *, every: float = 0.5) -> None:
        self._path = path
        self._every = every
        self._db: aiosqlite.Connection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._db = await aiosqlite.connect(self._path, isolation_level=None)
        await self._db.execute("PRAGMA busy_timeout = 1000")
        self._task = asyncio.create_task(self._run(), name="threshold-store-checkpoint")

    async def _run(self) -> None:
        assert self._db is not None
        while True:
            await asyncio.sleep(self._every)
            try:
                await self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error as exc:  # the writer's backstop still checkpoints
                logger.warning("background checkpoint of %s failed: %s", self._path, exc)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._db is not None:
            await self._db.close()
            self._db = None
