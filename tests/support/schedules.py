"""What the scheduler tests share: a recording deliverer, fixtures, subscribing, the log.

``RecordingDeliverer`` is a stand-in for a platform (it implements ``bot.ports.delivery.Deliverer``
and keeps what it was given); everything else here drives the real store and scheduler, on an
SQLite file and on PostgreSQL alike: the ``where`` fixture is the file's path or the server's
URL (a schema of the test's own), and :func:`rows` reads either.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.conversations import Conversations
from bot.ports.schedule import ScheduleStore
from bot.ports.store import Address, MantraSettings, Store, TurnWrite, UserKey
from bot.postgres.schedule import PostgresSchedule
from bot.postgres.store import PostgresStore
from bot.schedule.recurrence import next_occurrence
from bot.schedule.scheduler import Scheduler
from bot.sqlite.schedule import SqliteSchedule
from bot.sqlite.store import SqliteStore
from dialogs.model import JSON, Reply, State
from dialogs.script import Script
from tests import pg_testing
from tests.support.chats import Clock

NINE = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
"""An hour after ``tests.support.clocks.START`` (08:00 on Saturday 1 March 2025)."""

Where = Path | str
"""An SQLite file's path, or a PostgreSQL URL."""


def open_data(where: Where, **options: Any) -> SqliteStore | PostgresStore:
    """The store at ``where``, to enter with ``async with``."""
    if isinstance(where, str):
        return PostgresStore(where, **options)
    return SqliteStore(where, **options)


def open_schedule(where: Where, **options: Any) -> SqliteSchedule | PostgresSchedule:
    if isinstance(where, str):
        return PostgresSchedule(where, **options)
    return SqliteSchedule(where, **options)


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


def rows(where: Where, sql: str, *args: object) -> list[tuple[object, ...]]:
    """Run ``sql`` (``?`` placeholders) on the database at ``where``; its rows (committed)."""
    if isinstance(where, str):
        return pg_testing.rows(where, sql, *args)
    db = sqlite3.connect(where)
    try:
        with db:
            return db.execute(sql, args).fetchall()
    finally:
        db.close()


def outcomes(path: Where) -> dict[str, int]:
    """How many delivery-log rows have each outcome."""
    found = rows(path, "SELECT outcome, count(*) FROM delivery_log GROUP BY outcome")
    return {str(outcome): int(str(n)) for outcome, n in found}


def next_due(path: Where, user: str) -> str | None:
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


@pytest.fixture(params=["sqlite", "postgres"])
def where(request: pytest.FixtureRequest, db_path: Path) -> Where:
    """Where the test's data lives: an SQLite file, or a fresh schema on PostgreSQL."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("pg_url")
        return url
    return db_path


@pytest.fixture
async def data(where: Where, clock: Clock) -> AsyncIterator[Store]:
    """The store at ``where`` (opened first: it applies the migrations)."""
    async with open_data(where, clock=clock) as opened:
        yield opened


@pytest.fixture
def service(data: Store, script: Script, clock: Clock) -> Conversations:
    """The real conversation service on ``data``."""
    return Conversations(data, script, clock=clock)


@pytest.fixture
async def schedule(where: Where, data: Store, clock: Clock) -> AsyncIterator[ScheduleStore]:
    async with open_schedule(where, clock=clock) as opened:
        yield opened


@pytest.fixture
async def scheduler(
    data: Store,
    schedule: ScheduleStore,
    script: Script,
    clock: Clock,
    recorder: RecordingDeliverer,
) -> AsyncIterator[Scheduler]:
    made = Scheduler(data, schedule, script, {"telegram": recorder}, clock=clock)
    yield made
    await made.stop()


async def run(scheduler: Scheduler) -> None:
    """One tick, and every send it started finished."""
    await scheduler.tick()
    await scheduler.settle()
