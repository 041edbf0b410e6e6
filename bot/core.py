"""The core, wired: settings → store (migrated) → conversation service → scheduler.

``adapters/cli.py`` builds :class:`~bot.settings.Settings` and enters ``open_core(settings)``;
adapters then only ever talk to :attr:`Core.conversations`. Each long-lived part is entered on
one :class:`contextlib.AsyncExitStack`, so it is closed in reverse order however the process
ends; the scheduler (scheduled mantras and reminders, :mod:`bot.scheduler`) is entered on the
same stack, after the store it reads from, so it stops before the store closes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.conversations import Conversations
from bot.delivery import Deliverer
from bot.fanout import Limit
from bot.schedule_store import Graces
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot.sqlite_schedule import SqliteSchedule
from bot.sqlite_store import SqliteStore
from bot.store import Store
from dialogs import load_script
from dialogs.script import Script

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Core:
    """Everything adapters need, built once per process."""

    settings: Settings
    store: Store
    conversations: Conversations
    script: Script
    deliverers: dict[str, Deliverer] = field(default_factory=dict)
    """One per running platform, keyed by platform name; adapters add theirs once connected
    and remove it when they stop, and whatever speaks first (the scheduler) looks it up."""


@asynccontextmanager
async def open_core(
    settings: Settings, *, clock: Callable[[], datetime] | None = None
) -> AsyncIterator[Core]:
    """Open the store (creating its folder and applying migrations), build the service, start
    the scheduler, and close everything on exit. Raises :class:`~bot.errors.StoreUnavailable`
    with a plain sentence if the database cannot be opened. ``clock`` is the scheduler's (tests
    move it; by default the real time)."""
    clock = clock or _utc_now
    script = load_script()
    async with AsyncExitStack() as stack:
        store = await stack.enter_async_context(SqliteStore(settings.sqlite_path))
        conversations = Conversations(store, script)
        deliverers: dict[str, Deliverer] = {}
        schedule = await stack.enter_async_context(
            SqliteSchedule(settings.sqlite_path, clock=clock)
        )
        await stack.enter_async_context(
            Scheduler(
                store,
                schedule,
                script,
                deliverers,
                clock=clock,
                tick_seconds=settings.scheduler_tick_seconds,
                graces=Graces(
                    mantra=timedelta(seconds=settings.mantra_grace_seconds),
                    reminder=timedelta(seconds=settings.reminder_grace_seconds),
                ),
                limits=limits(settings),
                keep_log=timedelta(days=settings.delivery_log_days),
            )
        )
        logger.info("core ready (database %s)", settings.sqlite_path)
        yield Core(
            settings=settings,
            store=store,
            conversations=conversations,
            script=script,
            deliverers=deliverers,
        )


def _utc_now() -> datetime:
    return datetime.now(UTC)


def limits(settings: Settings) -> dict[str, Limit]:
    """Each platform's sending limits for scheduled messages (the terminal has none)."""
    return {
        "telegram": Limit(settings.telegram_send_rate, settings.telegram_chat_send_rate),
        "discord": Limit(settings.discord_send_rate, settings.discord_chat_send_rate),
    }
