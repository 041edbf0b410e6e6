"""The scheduler: scheduled mantras and check-in reminders, exactly once as the person sees it.

The database is the source of truth; APScheduler (3.x ``AsyncIOScheduler``, kept inside this
module the way PTB keeps it inside ``JobQueue``) only wakes us: one interval job, never one job
per person. Each wake-up is a *tick*:

1. **claim**: one transaction takes every subscription and reminder that is due, advances each
   subscription to its next occurrence after now (:mod:`bot.schedule.recurrence`, right across DST),
   closes each due row, and writes one ``claimed`` row per delivery to ``delivery_log``, which is
   therefore also the outbox. A delivery missed by more than its grace period (downtime) is
   written ``skipped`` instead and the subscription still moves past now: nothing floods.
2. **fan out**: claimed rows are loaded for each platform that has a running deliverer and sent
   through :mod:`bot.schedule.fanout` under the platform's token buckets.

Exactly once, as the person sees it. For each delivery a worker:

a. builds the message (a reminder reads the person's state for the name);
b. **commits** ``claimed → sending`` (and learns instead if mantras were switched off, the
   person blocked the bot, was forgotten, or another process took the row);
c. calls the platform (``Deliverer.deliver``);
d. commits ``sending → sent`` (``failed`` / ``unreachable`` if the platform refused).

A crash (``kill -9``) before (b) leaves the row ``claimed``: the next process sends it (still
within its grace) — nothing is lost. A crash after (d) leaves nothing to do. The one window is
between (b) and (d), the length of one platform call: the message may or may not have arrived,
and the platforms we use offer no way to ask. Such a row is never sent again: after
``SENDING_LEASE`` it is marked ``unconfirmed``. So in that window a message can be lost, but no
message is ever sent twice. (With ``synchronous=NORMAL`` this holds for a process crash; for a
power loss it would need ``synchronous=FULL``.) At most ``Limit.workers`` rows per platform can be
in that window at once.

A person who blocked the bot (:class:`~bot.ports.delivery.RecipientUnreachable`) is unsubscribed
(``Store.mark_unreachable``) and their other claimed deliveries are dropped, not retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.errors import DeliveryFailed, RecipientUnreachable, StoreUnavailable
from bot.metrics import Metrics
from bot.ports.delivery import Deliverer
from bot.ports.schedule import (
    CLAIMED,
    FAILED,
    MANTRA,
    SENDING,
    SENT,
    SKIPPED,
    UNREACHABLE,
    Delivery,
    Graces,
    ScheduleStore,
)
from bot.ports.store import Store, utc_now
from bot.schedule.fanout import Fanout, Limit
from dialogs.deliveries import mantra_reply, reminder_reply
from dialogs.model import Reply, State
from dialogs.script import Script

logger = logging.getLogger(__name__)

CLAIM_BATCH = 5_000
"""Deliveries claimed per transaction (a transaction of 5,000 takes well under 150 ms)."""
SENDING_LEASE = timedelta(minutes=5)
"""A send not confirmed after this long belonged to a process that died: ``unconfirmed``."""
HOUSEKEEPING_EVERY = timedelta(minutes=1)
SHUTDOWN_GRACE = 5.0
"""Seconds that sends already started get to finish when the process stops."""


@dataclass(frozen=True)
class Tick:
    """What one tick did (for logs, tests and the bench)."""

    claimed: int = 0
    skipped: int = 0
    queued: int = 0
    seconds: float = 0.0


class Scheduler:
    """Claims due deliveries and fans them out through ``deliverers`` (the core's dict, which
    adapters fill as they connect). ``async with Scheduler(...)`` starts the APScheduler job
    that ticks every ``tick_seconds``; tests call :meth:`tick` themselves with their own clock.
    """

    def __init__(
        self,
        store: Store,
        schedule: ScheduleStore,
        script: Script,
        deliverers: Mapping[str, Deliverer],
        *,
        clock: Callable[[], datetime] = utc_now,
        tick_seconds: float = 1.0,
        graces: Graces | None = None,
        limits: Mapping[str, Limit] | None = None,
        keep_log: timedelta = timedelta(days=90),
        claim_batch: int = CLAIM_BATCH,
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        self._schedule = schedule
        self._script = script
        self._deliverers = deliverers
        self._clock = clock
        self._tick_seconds = tick_seconds
        self.graces = graces or Graces()
        self._keep_log = keep_log
        self._claim_batch = claim_batch
        self._metrics = metrics
        self._fanout = Fanout(limits or {}, self._deliver, schedule.shared_budget)
        self._ticking = asyncio.Lock()
        self._feeding = asyncio.Lock()
        self._wake = asyncio.Event()
        self._last_housekeeping: datetime | None = None
        self._apscheduler: AsyncIOScheduler | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> Self:
        """Start ticking: at once, then every ``tick_seconds``."""
        self._apscheduler = AsyncIOScheduler(timezone=UTC)
        self._apscheduler.add_job(
            self._nudge,
            "interval",
            seconds=self._tick_seconds,
            id="threshold-scheduler-tick",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            next_run_time=datetime.now(UTC),
        )
        self._apscheduler.start()
        self._schedule.watch(self._wake.set)
        self._tasks = [
            asyncio.create_task(self._ticker(), name="threshold-scheduler-ticker"),
            asyncio.create_task(self._feeder(), name="threshold-scheduler-feeder"),
        ]
        logger.info("scheduler started (a tick every %.1f s)", self._tick_seconds)
        return self

    async def stop(self) -> None:
        """Stop ticking; sends already started get :data:`SHUTDOWN_GRACE` seconds to finish,
        and whatever was only claimed stays claimed for the next start."""
        if self._apscheduler is not None:
            self._apscheduler.shutdown(wait=False)
            self._apscheduler = None
        pending = set(self._tasks)
        while pending:  # again if a library call swallowed the cancellation (wait_for can)
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=1.0)
        self._tasks = []
        await self._fanout.close(SHUTDOWN_GRACE)

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _nudge(self) -> None:
        """The APScheduler job. A coroutine, so it runs on this loop: a plain function would
        run in a worker thread, and ``asyncio.Event`` is not thread-safe."""
        self._wake.set()

    async def _ticker(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.tick()
            except StoreUnavailable as exc:
                logger.warning("scheduler: tick skipped: %s", exc)
            except Exception:
                logger.exception("scheduler: tick failed")

    async def _feeder(self) -> None:
        while True:
            await self._fanout.hungry.wait()
            self._fanout.hungry.clear()
            try:
                await self.feed()
            except StoreUnavailable as exc:
                logger.warning("scheduler: could not load deliveries: %s", exc)

    # -- a tick ---------------------------------------------------------------------------------

    async def tick(self) -> Tick:
        """Claim everything due now, then hand what is claimed to the fan-out."""
        async with self._ticking:
            started = time.perf_counter()
            now = self._clock()
            claimed = skipped = 0
            lag = 0.0
            if await self._schedule.anything_due(now):
                while True:
                    result = await self._schedule.claim(now, self.graces, limit=self._claim_batch)
                    claimed += result.claimed
                    skipped += result.skipped
                    if result.oldest is not None:
                        lag = max(lag, (now - result.oldest).total_seconds())
                    if not result.more:
                        break
            if self._metrics is not None:
                self._metrics.scheduler_lag.set(lag)
            await self._housekeep(now)
            queued = await self.feed()
            seconds = time.perf_counter() - started
            if claimed or skipped:
                logger.info(
                    "scheduler: claimed %d, skipped %d missed (past grace) in %.1f ms",
                    claimed,
                    skipped,
                    seconds * 1000,
                )
            return Tick(claimed, skipped, queued, seconds)

    async def feed(self) -> int:
        """Load claimed deliveries into the lanes of platforms that can send now."""
        async with self._feeding:
            queued = 0
            for platform in list(self._deliverers):
                lane = self._fanout.lane(platform)
                room = lane.room()
                if room <= 0:
                    continue
                found = await self._schedule.pending(platform, room + len(lane.inflight))
                queued += lane.offer(found)
            return queued

    async def _housekeep(self, now: datetime) -> None:
        last = self._last_housekeeping
        if last is not None and last <= now < last + HOUSEKEEPING_EVERY:
            return
        self._last_housekeeping = now
        done = await self._schedule.housekeep(
            now, self.graces, sending_lease=SENDING_LEASE, keep=self._keep_log
        )
        if done.skipped or done.unconfirmed:
            logger.info(
                "scheduler: %d claimed deliveries past their grace skipped, %d unconfirmed sends",
                done.skipped,
                done.unconfirmed,
            )

    async def settle(self, rounds: int = 20) -> None:
        """Until nothing claimed is left for a running deliverer (tests and the bench)."""
        for _ in range(rounds):
            await self._fanout.join()
            if not await self.feed() and not self._fanout.busy:
                return

    # -- one delivery ---------------------------------------------------------------------------

    async def _deliver(self, delivery: Delivery) -> None:
        try:
            await self._send(delivery)
        except StoreUnavailable as exc:
            # Before 'sending' was committed the row is still claimed and is tried again; after
            # it, the row is in the window (it becomes unconfirmed), as after a crash.
            logger.warning("scheduler: delivery %d interrupted: %s", delivery.id, exc)

    async def _send(self, delivery: Delivery) -> None:
        deliverer = self._deliverers.get(delivery.address.platform)
        if deliverer is None:
            return  # the adapter stopped: the row stays claimed for when it is back
        if self._clock() - delivery.due_at > self.graces.of(delivery.kind):
            await self._schedule.settle(delivery.id, SKIPPED, expect=CLAIMED)
            return
        reminder = await self._reminder(delivery) if delivery.kind != MANTRA else None
        begun = await self._schedule.begin(
            delivery.id, mantras=len(self._script.mantras), held=self._script.held_mantras
        )
        if begun.outcome != SENDING:
            return
        reply = reminder or mantra_reply(self._script, begun.mantra or 0, delivery.due_at)
        outcome = SENT
        started = time.perf_counter()
        try:
            await deliverer.deliver(delivery.address, [reply])
        except RecipientUnreachable:
            outcome = UNREACHABLE
            logger.info("scheduler: %s cannot be reached; unsubscribed", delivery.user)
            with contextlib.suppress(StoreUnavailable):
                await self._store.mark_unreachable(delivery.user)
        except DeliveryFailed as exc:
            outcome = FAILED
            logger.warning("scheduler: delivery %d refused: %s", delivery.id, exc)
        except Exception:
            outcome = FAILED
            logger.exception("scheduler: delivery %d failed", delivery.id)
        self._count(delivery.address.platform, outcome, time.perf_counter() - started)
        await self._schedule.settle(delivery.id, outcome)

    def _count(self, platform: str, outcome: str, seconds: float) -> None:
        if self._metrics is None:
            return
        self._metrics.send_seconds.labels(platform).observe(seconds)
        if outcome == SENT:
            self._metrics.mantras_sent.labels(platform).inc()
        else:
            self._metrics.mantras_failed.labels(platform, outcome).inc()

    async def _reminder(self, delivery: Delivery) -> Reply:
        saved = await self._store.load(delivery.user)
        person = delivery.payload.get("person_id")
        return reminder_reply(
            self._script, saved.state if saved else State(), str(person or ""), delivery.due_at
        )
