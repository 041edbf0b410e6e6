"""The background checkpoint keeps the WAL copied back into the database file."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.ports.store import TurnWrite, UserKey
from bot.sqlite.checkpoint import BACKSTOP_PAGES
from bot.sqlite.store import SqliteStore
from dialogs.model import State


async def test_writes_are_checkpointed_in_the_background(db_path: Path) -> None:
    async with SqliteStore(db_path, checkpoint_every=0.02) as store:
        assert await store.pragma("wal_autocheckpoint") == BACKSTOP_PAGES
        for n in range(50):
            await store.save(UserKey("t", str(n)), TurnWrite(State()), expected_version=0)
        await asyncio.sleep(0.5)
        with sqlite3.connect(db_path) as other:
            busy, log_frames, checkpointed = other.execute(
                "PRAGMA wal_checkpoint(PASSIVE)"
            ).fetchone()
        assert busy == 0 and log_frames == checkpointed  # nothing was left to copy


async def test_closing_leaves_no_wal_behind(db_path: Path) -> None:
    async with SqliteStore(db_path) as store:
        await store.save(UserKey("t", "1"), TurnWrite(State()), expected_version=0)
    assert not db_path.with_name(db_path.name + "-wal").exists()
