"""The core, wired: settings → store (migrated) → conversation service → scheduler.

``adapters/cli.py`` builds :class:`~bot.settings.Settings` and enters ``open_core(settings)``;
adapters then only ever talk to :attr:`Core.conversations`. Each long-lived part is entered on
one :class:`contextlib.AsyncExitStack`, so it is closed in reverse order however the process
ends; the scheduler (scheduled mantras and reminders, :mod:`bot.schedule.scheduler`) is entered
on the same stack, after the store it reads from, so it stops before the store closes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.conversations import Conversations
from bot.crypto import cipher_for
from bot.databases import open_schedule, open_store, where
from bot.health import Health, check_health
from bot.metrics import Metrics
from bot.ports.delivery import Deliverer
from bot.ports.schedule import Graces, ScheduleStore, SendBudget
from bot.ports.store import InboxItem, Store, UserKey, utc_now
from bot.reading import open_reader
from bot.safety_resources import script_for
from bot.schedule.fanout import Limit
from bot.schedule.scheduler import Scheduler
from bot.settings import Settings
from dialogs import load_script
from dialogs.script import Script

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Core:
    """Everything adapters need, built once per process.

    An adapter talks to :attr:`conversations` (a person's turns) and :attr:`settings`, and
    otherwise only through the verbs below: :meth:`say` for the content's wording,
    :meth:`menu` for the command list, :meth:`serving` while it is connected,
    :meth:`unreachable` when a person cannot be messaged, :meth:`sent` to time a send,
    :meth:`inbox` for updates recorded before they are answered, :meth:`send_budget` for the
    send rate shared with other processes, :meth:`zone_aliases`, and
    :meth:`health` / :meth:`metrics_text` for the health endpoint. ``store``, ``script`` and
    ``metrics`` are the core's own parts (its wiring, and tests, read them);
    ``tests/test_architecture.py`` holds the adapters to the verbs.
    """

    settings: Settings
    store: Store
    conversations: Conversations
    script: Script
    deliverers: dict[str, Deliverer] = field(default_factory=dict)
    """One per running platform, keyed by platform name, added and removed by
    :meth:`serving`; the scheduler, which speaks first, looks them up."""
    metrics: Metrics = field(default_factory=Metrics)
    """What the process counts (:mod:`bot.metrics`); served at ``/metrics``."""
    send_budgets: dict[str, SendBudget] = field(default_factory=dict)
    """Per platform, the send budget every process on the database shares (PostgreSQL only):
    each call that sends a message takes a token (:meth:`send_budget`)."""
    before_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """Run in order when the process is asked to stop, while every adapter still serves: the
    scheduler registers one that stops claiming and waits for the deliveries it has in flight,
    so none is cut off by its adapter stopping first."""

    def send_budget(self, platform: str) -> SendBudget | None:
        """The send budget ``platform`` shares with every other process on the database, to be
        taken before each call that sends a message; ``None`` with one process (SQLite)."""
        return self.send_budgets.get(platform)

    def say(self, key: str, **values: object) -> str:
        """The content's message ``key``, its ``{fields}`` filled in."""
        return self.script.say(key, **values)

    def menu(self) -> tuple[tuple[str, str], ...]:
        """The commands a platform's menu lists, as ``(name, description)``, in order."""
        return tuple((c.name, c.menu) for c in self.script.menu_commands())

    def zone_aliases(self) -> Mapping[str, str]:
        """Words people type for a time zone (``"lisbon"`` → ``Europe/Lisbon``)."""
        return self.script.tz_aliases

    @asynccontextmanager
    async def serving(self, deliverer: Deliverer) -> AsyncIterator[None]:
        """While the block runs, scheduled messages for ``deliverer.platform`` go through it
        (a platform serves once connected, and stops before it disconnects)."""
        platform = deliverer.platform
        self.deliverers[platform] = deliverer
        try:
            yield
        finally:
            if self.deliverers.get(platform) is deliverer:
                del self.deliverers[platform]

    def serving_platforms(self) -> tuple[str, ...]:
        """The platforms that are connected now."""
        return tuple(self.deliverers)

    async def unreachable(self, key: UserKey) -> None:
        """``key`` blocked the bot or cannot be messaged: nothing is sent to them until they
        write again (their next turn clears the mark)."""
        await self.store.mark_unreachable(key)

    def sent(self, platform: str, seconds: float) -> None:
        """How long putting a turn's replies on ``platform`` took (``/metrics``)."""
        self.metrics.send_seconds.labels(platform).observe(seconds)

    def inbox(self, platform: str) -> Inbox:
        """The updates ``platform`` recorded before answering, kept until each is done."""
        return Inbox(self.store, platform)

    async def health(self, expected: Collection[str], *, started: float) -> Health:
        """The database and the ``expected`` platforms, for ``/healthz``."""
        return await check_health(self.store, expected, self.serving_platforms(), started=started)

    def watch_platforms(self, expected: Collection[str]) -> None:
        """Report whether each ``expected`` platform is connected, in ``/metrics``."""
        self.metrics.watch_platforms(expected, self.serving_platforms)

    def metrics_text(self) -> bytes:
        """Every metric, in Prometheus' text format."""
        return self.metrics.render()


@dataclass(frozen=True)
class Inbox:
    """One platform's recorded updates (the Telegram webhook answers 200 only after
    :meth:`put`; a process that stops before :meth:`done` finds them again at start)."""

    _store: Store
    platform: str

    async def put(self, update_id: int, body: bytes) -> bool:
        """Record an update; ``False`` when it was recorded already (a redelivery)."""
        return await self._store.inbox_put(self.platform, update_id, body)

    async def pending(self, limit: int) -> list[InboxItem]:
        """Recorded updates not yet done, oldest first."""
        return await self._store.inbox_pending(self.platform, limit)

    async def done(self, update_id: int) -> None:
        await self._store.inbox_done(self.platform, update_id)


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
    reader = open_reader(settings.safety_reader, script.safety)
    if reader is not None:
        script = replace(script, safety=reader.beside(script.safety))
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    cipher = cipher_for(key)
    async with AsyncExitStack() as stack:
        store: Store = await stack.enter_async_context(open_store(settings, cipher=cipher))
        metrics = Metrics()
        conversations = Conversations(
            store, script, metrics=metrics, read_ahead=reader.prepare if reader else None
        )
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
            send_budgets=_send_budgets(settings, schedule),
            before_stop=[scheduler.stop],
        )


def _send_budgets(settings: Settings, schedule: ScheduleStore) -> dict[str, SendBudget]:
    """Every send of each platform, by every process on the database: the whole send rate
    (scheduled messages also keep to their own share of it, :func:`limits`)."""
    rates = {"telegram": settings.telegram_send_rate, "discord": settings.discord_send_rate}
    budgets = {name: schedule.shared_budget(f"{name}:all", rate) for name, rate in rates.items()}
    return {name: budget for name, budget in budgets.items() if budget is not None}


REPLY_ROOM = 0.2
"""The share of each platform's send rate that scheduled messages leave free, so that a reply
to someone typing during a fan-out of thousands of mantras finds room at once instead of
queueing behind them in the platform library's limiter."""


def limits(settings: Settings) -> dict[str, Limit]:
    """Each platform's sending limits for scheduled messages (the terminal has none): its send
    rate less :data:`REPLY_ROOM`, and its per-chat rate."""
    scheduled = 1 - REPLY_ROOM
    return {
        "telegram": Limit(
            settings.telegram_send_rate * scheduled, settings.telegram_chat_send_rate
        ),
        "discord": Limit(settings.discord_send_rate * scheduled, settings.discord_chat_send_rate),
    }
