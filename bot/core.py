"""The core, wired: settings → store (migrated) → conversation service → scheduler.

``adapters/cli.py`` builds :class:`~bot.settings.Settings` and enters ``open_core(settings)``;
adapters then only ever talk to :attr:`Core.conversations`. Each long-lived part is entered on
one :class:`contextlib.AsyncExitStack`, so it is closed in reverse order however the process
ends; the scheduler (scheduled mantras and reminders, :mod:`bot.schedule.scheduler`) is entered
on the same stack, after the store it reads from, so it stops before the store closes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.conversations import Conversations
from bot.crypto import cipher_for
from bot.databases import open_schedule, open_store, where
from bot.metrics import Metrics
from bot.ports.delivery import Deliverer
from bot.ports.schedule import Graces
from bot.ports.store import Store, utc_now
from bot.safety_resources import script_for
from bot.schedule.fanout import Limit
from bot.schedule.scheduler import Scheduler
from bot.settings import Settings
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
    metrics: Metrics = field(default_factory=Metrics)
    """What the process counts (:mod:`bot.metrics`); served at ``/metrics``."""
    before_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """Run in order when the process is asked to stop, while every adapter still serves: the
    scheduler registers one that stops claiming and waits for the deliveries it has in flight,
    so none is cut off by its adapter stopping first."""


@asynccontextmanager
async def open_core(
    settings: Settings, *, clock: Callable[[], datetime] | None = None
) -> AsyncIterator[Core]:
    """Open the store (creating its folder, applying migrations and checking the encryption
    key), build the service, start the scheduler, and close everything on exit. Raises
    :class:`~bot.errors.StoreUnavailable` with a plain sentence if the database cannot be
    opened, and :class:`~bot.errors.ConfigError` for a wrong or missing ``ENCRYPTION_KEY`` or
    an unreadable ``SAFETY_RESOURCES_FILE``. ``clock`` is the scheduler's (tests move it; by
    default the real time)."""
    clock = clock or utc_now
    script = script_for(load_script(), settings.safety_resources_file)
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    cipher = cipher_for(key)
    async with AsyncExitStack() as stack:
        store: Store = await stack.enter_async_context(open_store(settings, cipher=cipher))
        metrics = Metrics()
        conversations = Conversations(store, script, metrics=metrics)
        deliverers: dict[str, Deliverer] = {}
        schedule = await stack.enter_async_context(
            open_schedule(settings, clock=clock, cipher=cipher)
        )
        scheduler = await stack.enter_async_context(
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
                metrics=metrics,
            )
        )
        logger.info(
            "core ready (database %s, %s)",
            where(settings),
            "encrypted at rest" if cipher.enabled else "not encrypted",
        )
        yield Core(
            settings=settings,
            store=store,
            conversations=conversations,
            script=script,
            deliverers=deliverers,
            metrics=metrics,
            before_stop=[scheduler.stop],
        )


def limits(settings: Settings) -> dict[str, Limit]:
    """Each platform's sending limits for scheduled messages (the terminal has none)."""
    return {
        "telegram": Limit(settings.telegram_send_rate, settings.telegram_chat_send_rate),
        "discord": Limit(settings.discord_send_rate, settings.discord_chat_send_rate),
    }
