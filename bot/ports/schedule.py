"""The scheduler's storage port: what a tick claims, what the fan-out sends, and how it ends.

The subscriptions table (with its indexed next-due instant in UTC) and the ``due`` table are the
source of truth for *when*; ``delivery_log`` is the outbox and the record of *what happened*.
:class:`ScheduleStore` is kept narrow and separate from :class:`bot.ports.store.Store` so a shared
database server can implement it later; :class:`bot.sqlite.schedule.SqliteSchedule` is the SQLite
one. Outcomes of a delivery (one row of ``delivery_log``)::

    claimed ──► sending ──► sent | failed | unreachable | unconfirmed
       └──────► skipped | cancelled | unreachable
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.ports.store import Address, UserKey
from dialogs.model import JSON

CLAIMED = "claimed"
"""Taken from the schedule (the subscription advanced, the due row closed): waiting to be sent."""
SENDING = "sending"
"""Committed just before the platform is called; a crash leaves it here (the window)."""
SENT = "sent"
SKIPPED = "skipped"
"""Missed by more than the grace period (downtime, a backlog): not sent late."""
CANCELLED = "cancelled"
"""Mantras were switched off between the claim and the send."""
FAILED = "failed"
"""The platform refused it (not a block); not retried: it may have arrived."""
UNREACHABLE = "unreachable"
"""The person blocked the bot: they were unsubscribed, and it is not retried."""
UNCONFIRMED = "unconfirmed"
"""Was being sent when its process died: it may have arrived, so it is not sent again."""
MANTRA = "mantra"
"""The ``kind`` of a scheduled mantra's row; a reminder's kind is its due row's kind."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One claimed delivery, as the fan-out sends it."""

    id: int
    kind: str
    user: UserKey
    due_at: datetime
    address: Address
    payload: Mapping[str, JSON]


@dataclass(frozen=True, slots=True)
class Begun:
    """What :meth:`ScheduleStore.begin` decided: ``outcome`` is ``sending`` (go ahead) or why
    not; ``mantra`` is the line chosen for a mantra that is being sent."""

    outcome: str
    mantra: int | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    """What one claim transaction did. ``more``: it hit its limit, claim again."""

    claimed: int = 0
    skipped: int = 0
    more: bool = False
    oldest: datetime | None = None
    """When the earliest of the rows taken was due (how late the scheduler is running)."""


@dataclass(frozen=True, slots=True)
class Graces:
    """How late a delivery may still go out; anything later is skipped."""

    mantra: timedelta = timedelta(hours=1)
    reminder: timedelta = timedelta(days=1)

    def of(self, kind: str) -> timedelta:
        return self.mantra if kind == MANTRA else self.reminder


@dataclass(frozen=True, slots=True)
class Housekept:
    skipped: int = 0
    unconfirmed: int = 0
    pruned: int = 0


BURST_SECONDS = 0.1
"""A platform's overall send bucket holds this many seconds' worth of sends (at least one),
whether it is the process's own (:mod:`bot.schedule.fanout`) or shared by every process."""


class SendBudget(Protocol):
    """A platform's send budget shared by every process on the database."""

    async def acquire(self) -> None:
        """Return when one more message may be sent."""
        ...


class ScheduleStore(Protocol):
    """Where the scheduler claims due work and records each delivery's outcome."""

    async def anything_due(self, now: datetime) -> bool:
        """Whether a claim at ``now`` would find something (cheap; no write lock taken)."""
        ...

    async def claim(self, now: datetime, graces: Graces, *, limit: int) -> Claimed:
        """In one transaction: take up to ``limit`` due subscriptions and up to ``limit`` due
        reminders, advance each subscription to its next occurrence after ``now``, close each
        due row, and write one ``claimed`` row per delivery (``skipped`` for one missed by more
        than its grace). The claim decides *when*; which line is said is decided by
        :meth:`begin`, so the claim transaction, which holds the write lock, stays short."""
        ...

    async def pending(self, platform: str, limit: int) -> list[Delivery]:
        """Claimed deliveries for ``platform``, oldest first."""
        ...

    async def begin(
        self, delivery_id: int, *, mantras: int, held: frozenset[int] = frozenset()
    ) -> Begun:
        """Move a claimed delivery to ``sending``, for a mantra choosing the next of ``mantras``
        lines in the person's rotation (recorded with it); or say why not: ``cancelled``
        (mantras are off now), ``unreachable`` (the person blocked the bot), or ``gone``
        (another sender took it, or the person was forgotten)."""
        ...

    async def settle(self, delivery_id: int, outcome: str, *, expect: str = SENDING) -> bool:
        """Record ``outcome`` if the delivery is still at ``expect``; whether it was."""
        ...

    async def housekeep(
        self, now: datetime, graces: Graces, *, sending_lease: timedelta, keep: timedelta
    ) -> Housekept:
        """Skip claimed deliveries past their grace, mark sends older than ``sending_lease``
        ``unconfirmed`` (their process died), and delete finished log rows older than ``keep``."""
        ...

    def watch(self, wake: Callable[[], None]) -> None:
        """Call ``wake()`` when something may have become due elsewhere (another process
        scheduled or claimed it), so the scheduler need not wait for its next tick. Optional in
        effect: a store that cannot tell does nothing, and the tick finds it."""
        ...

    def shared_budget(self, platform: str, per_second: float) -> SendBudget | None:
        """The budget of ``platform`` that every process on this database shares, or ``None``
        when this process's own limiter is the whole budget (one process per database)."""
        ...

    async def close(self) -> None: ...


GONE = "gone"

__all__ = [
    "BURST_SECONDS",
    "CANCELLED",
    "CLAIMED",
    "FAILED",
    "GONE",
    "MANTRA",
    "SENDING",
    "SENT",
    "SKIPPED",
    "UNCONFIRMED",
    "UNREACHABLE",
    "Begun",
    "Claimed",
    "Delivery",
    "Graces",
    "Housekept",
    "ScheduleStore",
    "SendBudget",
]
