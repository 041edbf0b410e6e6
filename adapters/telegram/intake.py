"""Intake limits: one person or one group can never stall Telegram for everyone else.

PTB hands every update to a handler in one of a fixed number of slots (``concurrent_updates``).
A handler that waited there (for a chat's lock, for a group's rate limit) would hold a slot, so
a forwarded burst of a hundred messages, or three hundred ``/start@bot`` in a group, would take
every slot and everyone else would wait behind them. So the handler never waits: it puts the
update in its chat's queue and returns, and one worker per chat runs that chat's turns in order.

* A chat has at most :data:`MAX_WAITING` turns waiting. Typed messages that arrive while a turn
  runs are **merged** into the last waiting one (up to Telegram's 4,096 characters), repeated
  commands and stickers count once, so a burst becomes a few turns, not hundreds of API calls.
* What still does not fit is answered **once** per burst with a calm "one moment"
  (``intake.one_moment``), and a pressed button with the same words as its toast; it is not
  applied (nothing half-done), and the person is asked to send it again.
* At most :data:`TURNS_AT_ONCE` turns run at once, across chats; the other chats' workers wait
  for a slot in the order they came. A turn makes two or three API calls one after another, so
  with every turn started at once each call queued behind everyone else's, and a turn under
  load took three queues' time instead of one (and the HTTP pool's bookkeeping grew with its
  queue); admitted in order, a turn that started finishes at the pace of an idle bot.
* A **group** is answered at most once every :data:`GROUP_EVERY` seconds (the pointer to a
  private chat), from a task of its own: its rate limit (20 messages a minute) is never waited
  out inside a handler, and nothing else a group sends is queued at all.

Each submitted update may carry a ``done`` callback (the webhook inbox marks it applied); it runs
once its turn is answered, or once it is merged, dropped or found to need no answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from telegram import Update

from adapters.telegram.translate import MAX_TEXT, utf16_len
from dialogs.model import Command, Event, Text, Unsupported

__all__ = ["GROUP_EVERY", "MAX_WAITING", "TURNS_AT_ONCE", "Intake", "Item"]

logger = logging.getLogger(__name__)

MAX_WAITING = 4
"""Turns of one chat waiting behind the one that runs."""
GROUP_EVERY = 300.0
"""Seconds between two answers in one group."""
TURNS_AT_ONCE = 32
"""Turns running at once across all chats (each waits for its API calls most of the time)."""
MAX_GROUP_SENDS = 16
"""Group answers being sent at once, at most; more are not sent (the groups hear later)."""
Done = Callable[[], Awaitable[None]]


@dataclass(slots=True)
class Item:
    """One turn to run: the update it started from, the event (merged texts, perhaps), and
    the ``done`` callbacks of every update it stands for."""

    update: Update
    event: Event
    done: list[Done] = field(default_factory=list)


@dataclass(slots=True)
class _Chat:
    waiting: deque[Item] = field(default_factory=deque)
    worker: asyncio.Task[None] | None = None
    told: bool = False
    """"One moment" was said in this burst (reset once the queue is empty)."""


Run = Callable[[Item], Awaitable[None]]
Refuse = Callable[[Update, bool], Awaitable[None]]
"""Answer an update that does not fit: ``(update, say_one_moment)``."""


class Intake:
    """Per-chat queues, one worker each, and the group limiter."""

    def __init__(
        self,
        run: Run,
        refuse: Refuse,
        *,
        max_waiting: int = MAX_WAITING,
        turns_at_once: int = TURNS_AT_ONCE,
        group_every: float = GROUP_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._run = run
        self._refuse = refuse
        self._max_waiting = max_waiting
        self._group_every = group_every
        self._clock = clock
        self._chats: dict[int, _Chat] = {}
        self._groups: dict[int, float] = {}
        self._sends: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(turns_at_once)
        self.merged = self.refused = 0

    @property
    def busy_chats(self) -> int:
        return len(self._chats)

    # -- private chats --------------------------------------------------------------------------

    def submit(self, chat_id: int, update: Update, event: Event, done: Done | None = None) -> None:
        """Queue ``event`` for ``chat_id`` without waiting (safe to call from a PTB handler)."""
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Chat()
        dones = [done] if done is not None else []
        if chat.waiting and _merge_into(chat.waiting[-1], event):
            chat.waiting[-1].done.extend(dones)
            self.merged += 1
        elif chat.worker is not None and len(chat.waiting) >= self._max_waiting:
            self.refused += 1
            say = not chat.told
            chat.told = True
            self._spawn(self._refused(update, say, dones))
        else:
            chat.waiting.append(Item(update, event, dones))
        if chat.worker is None:
            chat.worker = asyncio.create_task(self._work(chat_id, chat), name="telegram-chat")

    async def _work(self, chat_id: int, chat: _Chat) -> None:
        try:
            while chat.waiting:
                async with self._slots:  # FIFO: chats are admitted in the order they asked
                    item = chat.waiting.popleft()
                    try:
                        await self._run(item)
                    finally:
                        await _all_done(item.done)
        finally:
            chat.worker = None
            if self._chats.get(chat_id) is chat:
                del self._chats[chat_id]

    async def _refused(self, update: Update, say: bool, dones: list[Done]) -> None:
        try:
            await self._refuse(update, say)
        finally:
            await _all_done(dones)

    # -- groups ---------------------------------------------------------------------------------

    def group(self, chat_id: int, answer: Callable[[], Awaitable[None]]) -> bool:
        """Answer a group at most once every :data:`GROUP_EVERY` seconds, in a task of its own;
        whether this update gets the answer."""
        now = self._clock()
        last = self._groups.get(chat_id)
        if last is not None and now - last < self._group_every:
            return False
        if len(self._sends) >= MAX_GROUP_SENDS:
            return False
        self._groups[chat_id] = now
        if len(self._groups) > 10_000:  # forget groups not heard from in a while
            cutoff = now - self._group_every
            self._groups = {g: t for g, t in self._groups.items() if t >= cutoff}
        self._spawn(answer())
        return True

    def later(self, work: Awaitable[None]) -> None:
        """Run ``work`` in a task of its own (an answer that is not a turn); errors are logged."""
        self._spawn(work)

    def _spawn(self, work: Awaitable[None]) -> None:
        async def guarded() -> None:
            try:
                await work
            except Exception:
                logger.warning("telegram: an answer outside a turn failed", exc_info=True)

        task = asyncio.ensure_future(guarded())
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    async def drain(self) -> None:
        """Wait for every queued turn and answer (when stopping)."""
        while self._chats or self._sends:
            tasks = [c.worker for c in self._chats.values() if c.worker] + list(self._sends)
            if not tasks:
                return
            await asyncio.wait(tasks)

    async def close(self) -> None:
        """Stop at once: cancel what is queued (the webhook inbox replays it at the next start)."""
        tasks = [c.worker for c in self._chats.values() if c.worker] + list(self._sends)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _merge_into(last: Item, event: Event) -> bool:
    """Fold ``event`` into the waiting turn ``last`` when that loses nothing of what was meant:
    texts are joined (a burst of forwarded messages is read as one), and the same command, or
    the same kind of unreadable message, twice in a row counts once."""
    before = last.event
    if isinstance(before, Text) and isinstance(event, Text):
        joined = f"{before.text}\n\n{event.text}"
        if utf16_len(joined) > MAX_TEXT:
            return False
        last.event = replace(before, text=joined)
        return True
    if isinstance(before, Command) and isinstance(event, Command):
        return (before.name, before.arg) == (event.name, event.arg)
    if isinstance(before, Unsupported) and isinstance(event, Unsupported):
        return before.what == event.what
    return False


async def _all_done(dones: list[Done]) -> None:
    for done in dones:
        try:
            await done()
        except Exception:
            logger.warning("telegram: marking an update applied failed", exc_info=True)
