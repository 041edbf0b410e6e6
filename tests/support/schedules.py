"""What the scheduler tests share: a recording deliverer, fixtures, subscribing, the log.

``RecordingDeliverer`` is a stand-in for a platform (it implements ``bot.ports.delivery.Deliverer``
and keeps what it was given); everything else here drives the real store and scheduler.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.ports.store import Address, MantraSettings, Store, TurnWrite, UserKey
from bot.schedule.recurrence import next_occurrence
from bot.schedule.scheduler import Scheduler
from bot.sqlite.schedule import SqliteSchedule
from bot.sqlite.store import SqliteStore
from dialogs.model import JSON, Reply, State
from dialogs.script import Script
from tests.support.chats import Clock

NINE = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
"""An hour after ``tests.support.clocks.START`` (08:00 on Saturday 1 March 2025)."""


@dataclass
class RecordingDeliverer:
    """A platform stand-in that records every delivery; ``refuse`` maps a chat id to the
    exception to raise for it (a blocked person, a refusal)."""

    platform: str = "telegram"
    delivered: list[tuple[Address, tuple[Reply, ...]]] = field(default_factory=list)
    refuse: dict[str, Exception] = field(default_factory=dict)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    """Set by every delivery."""

    async def deliver(self, address: Address, replies: Sequence[Reply]) -> None:
        if address.chat_id in self.refuse:
            raise self.refuse[address.chat_id]
        self.delivered.append((address, tuple(replies)))
        self.arrived.set()

    @property
    def chats(self) -> list[str]:
        return [address.chat_id for address, _ in self.delivered]

    @property
    def texts(self) -> list[str]:
        return [replies[0].text for _, replies in self.delivered]


async def subscribe(
    store: Store,
    user: str,
    at: datetime,
    *,
    time: str = "09:00",
    tz: str = "UTC",
    days: str = "daily",
    platform: str = "telegram",
    chat_id: str | None = None,
) -> UserKey:
    """Turn mantras on for ``user`` as a turn of the service would (first due after ``at``)."""
    key = UserKey(platform, user)
    saved = await store.load(key)
    state = saved.state if saved else State()
    mantras: dict[str, JSON] = {"enabled": True, "time": time, "tz": tz, "days": days}
    turn = TurnWrite(
        state=State(mantras=mantras, people=state.people, intro_seen=True),
        address=Address(platform, chat_id or f"chat-{user}"),
        mantras=MantraSettings(True, time, tz, days, next_occurrence(time, tz, days, at)),
    )
    await store.save(key, turn, expected_version=saved.version if saved else 0)
    return key


def rows(path: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    db = sqlite3.connect(path)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def outcomes(path: Path) -> dict[str, int]:
    """How many delivery-log rows have each outcome."""
    found = rows(path, "SELECT outcome, count(*) FROM delivery_log GROUP BY outcome")
    return {str(outcome): int(str(n)) for outcome, n in found}


def next_due(path: Path, user: str) -> str | None:
    found = rows(
        path,
        "SELECT m.next_due_utc FROM mantra_subscriptions m JOIN users u ON u.id = m.user_id"
        " WHERE u.platform_user_id = ?",
        user,
    )
    return str(found[0][0]) if found and found[0][0] is not None else None


@pytest.fixture
def recorder() -> RecordingDeliverer:
    return RecordingDeliverer()


@pytest.fixture
async def schedule(db_path: Path, clock: Clock) -> AsyncIterator[SqliteSchedule]:
    async with SqliteSchedule(db_path, clock=clock) as opened:
        yield opened


@pytest.fixture
async def scheduler(
    sqlite_store: SqliteStore,
    schedule: SqliteSchedule,
    script: Script,
    clock: Clock,
    recorder: RecordingDeliverer,
) -> AsyncIterator[Scheduler]:
    made = Scheduler(sqlite_store, schedule, script, {"telegram": recorder}, clock=clock)
    yield made
    await made.stop()


async def run(scheduler: Scheduler) -> None:
    """One tick, and every send it started finished."""
    await scheduler.tick()
    await scheduler.settle()
