"""The rate-limited fan-out: claimed deliveries go out per platform, under token buckets.

Each platform gets a :class:`Lane`: a bounded queue, a few workers, and two limiters from
``aiolimiter`` (a leaky bucket, which meters exactly like a token bucket):

* one for the platform overall (Telegram: 25 messages/s by default; the platform allows about
  30). Its burst is kept to a tenth of a second's worth, so a platform that counts per second
  never sees more than the rate in any second, however the sends bunch up on the way. With
  several processes on one PostgreSQL database it is their shared budget instead
  (:mod:`bot.postgres.budget`), so all of them together keep to the rate;
* one per chat (Telegram: 1 message/s in a chat), created on first use and dropped once idle.

A worker takes a per-chat token before the overall one, so waiting for one busy chat never holds
back the others. Waiting out a platform's 429s is the platform client's job (PTB's
``AIORateLimiter``, discord.py's own bucket handling); the limits here keep them from happening.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

from aiolimiter import AsyncLimiter

from bot.ports.schedule import BURST_SECONDS, Delivery, SendBudget

logger = logging.getLogger(__name__)

Send = Callable[[Delivery], Awaitable[None]]
Budgets = Callable[[str, float], SendBudget | None]
"""A platform's budget shared with other processes (``ScheduleStore.shared_budget``), if any."""
QUEUE_SECONDS = 4.0
"""A lane holds about this many seconds of sends in memory; the rest wait in the database."""
MAX_QUEUE = 4096
MAX_WORKERS = 128
REMEMBERED_CHATS = 1024
"""Idle per-chat limiters are dropped beyond this many."""


@dataclass(frozen=True)
class Limit:
    """A platform's sending limits in messages per second; ``None`` means unlimited.
    ``workers`` (sends in flight at once) is derived from the rate unless given: half the rate,
    so the rate is reached while a platform call takes up to half a second."""

    per_second: float | None = None
    per_chat_per_second: float | None = None
    workers: int | None = None

    @property
    def concurrency(self) -> int:
        if self.workers is not None:
            return max(1, self.workers)
        if self.per_second is None:
            return 8
        return max(4, min(MAX_WORKERS, math.ceil(self.per_second / 2)))

    @property
    def capacity(self) -> int:
        if self.per_second is None:
            return 256
        return max(64, min(MAX_QUEUE, math.ceil(self.per_second * QUEUE_SECONDS)))


def overall_limiter(per_second: float) -> AsyncLimiter:
    burst = max(1.0, per_second * BURST_SECONDS)
    return AsyncLimiter(burst, burst / per_second)


class ChatLimiters:
    """One leaky bucket per chat, without burst: at most ``per_second`` sends in any second."""

    def __init__(self, per_second: float, *, remembered: int = REMEMBERED_CHATS) -> None:
        self._period = 1.0 / per_second
        self._remembered = remembered
        self._limiters: OrderedDict[str, tuple[AsyncLimiter, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._limiters)

    async def acquire(self, chat_id: str) -> None:
        loop = asyncio.get_running_loop()
        found = self._limiters.get(chat_id)
        limiter = found[0] if found else AsyncLimiter(1, self._period)
        self._limiters[chat_id] = (limiter, loop.time())
        self._limiters.move_to_end(chat_id)
        self._forget_idle(loop.time())
        await limiter.acquire()
        self._limiters[chat_id] = (limiter, loop.time())

    def _forget_idle(self, now: float) -> None:
        while len(self._limiters) > self._remembered:
            chat_id, (limiter, used) = next(iter(self._limiters.items()))
            if now - used < self._period or not limiter.has_capacity():
                return  # the oldest is still busy, so all newer ones are too
            del self._limiters[chat_id]


class Lane:
    """The sends of one platform: a queue, workers, and its limiters."""

    def __init__(
        self,
        platform: str,
        limit: Limit,
        send: Send,
        hungry: asyncio.Event,
        shared: SendBudget | None = None,
    ) -> None:
        self.platform = platform
        self.limit = limit
        self.inflight: set[int] = set()
        """Ids queued or being sent (so a refill never queues one twice)."""
        self._send = send
        self._hungry = hungry
        self._queue: asyncio.Queue[Delivery] = asyncio.Queue()
        self._overall: SendBudget | AsyncLimiter | None = None
        if limit.per_second:
            self._overall = shared or overall_limiter(limit.per_second)
        self._chats = ChatLimiters(limit.per_chat_per_second) if limit.per_chat_per_second else None
        self._sending = 0
        self._workers = [
            asyncio.create_task(self._work(), name=f"threshold-send-{platform}-{n}")
            for n in range(limit.concurrency)
        ]

    def room(self) -> int:
        return self.limit.capacity - len(self.inflight)

    def offer(self, deliveries: Iterable[Delivery]) -> int:
        """Queue what is not queued yet, up to the room left; how many were taken."""
        taken, room = 0, self.room()
        for delivery in deliveries:
            if taken >= room:
                break
            if delivery.id in self.inflight:
                continue
            self.inflight.add(delivery.id)
            self._queue.put_nowait(delivery)
            taken += 1
        return taken

    async def join(self) -> None:
        """Until everything queued so far has been sent (or given up)."""
        await self._queue.join()

    @property
    def busy(self) -> bool:
        return bool(self.inflight)

    async def _work(self) -> None:
        while True:
            delivery = await self._queue.get()
            try:
                if self._chats is not None:
                    await self._chats.acquire(delivery.address.chat_id)
                if self._overall is not None:
                    await self._overall.acquire()
                await self._send(delivery)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug in one send must not stop the lane
                logger.exception("scheduler: delivery %d failed unexpectedly", delivery.id)
            finally:
                self.inflight.discard(delivery.id)
                self._queue.task_done()
                if self._queue.qsize() < self.limit.capacity // 2:
                    self._hungry.set()

    async def close(self, grace: float) -> None:
        """Stop taking work; let sends already started finish for up to ``grace`` seconds."""
        while not self._queue.empty():  # what is queued but not started stays claimed
            self.inflight.discard(self._queue.get_nowait().id)
            self._queue.task_done()
        if self.inflight:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), grace)
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)


class Fanout:
    """One :class:`Lane` per platform, made on first use."""

    def __init__(
        self, limits: Mapping[str, Limit], send: Send, budgets: Budgets | None = None
    ) -> None:
        self._limits = dict(limits)
        self._send = send
        self._budgets = budgets
        self.lanes: dict[str, Lane] = {}
        self.hungry = asyncio.Event()
        """Set when a lane's queue runs low: time to load more from the database."""

    def lane(self, platform: str) -> Lane:
        lane = self.lanes.get(platform)
        if lane is None:
            limit = self._limits.get(platform, Limit())
            shared = None
            if self._budgets is not None and limit.per_second:
                shared = self._budgets(platform, limit.per_second)
            lane = Lane(platform, limit, self._send, self.hungry, shared)
            self.lanes[platform] = lane
        return lane

    @property
    def busy(self) -> bool:
        return any(lane.busy for lane in self.lanes.values())

    async def join(self) -> None:
        for lane in list(self.lanes.values()):
            await lane.join()

    async def close(self, grace: float) -> None:
        await asyncio.gather(*(lane.close(grace) for lane in self.lanes.values()))
        self.lanes.clear()
