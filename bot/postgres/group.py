"""Group commit for PostgreSQL turns: the turns that begin together in one process share one
transaction, one statement that takes every person's advisory lock, one read of every state and
one COMMIT.

:meth:`bot.postgres.store.PostgresStore.turn` puts each turn in the group that is forming: the
turns that begin in the same pass of the event loop (at most :data:`GROUP_MOST`). The group then
takes a pooled connection, opens a transaction, takes ``pg_advisory_xact_lock`` of each person in
one statement, in the order of the lock keys (two processes' groups can never wait on each other
in a circle), and reads every state at once. Each turn loads from that read, steps (pure, no
platform call) and saves: a plain turn (only its state changes, the usual case) is kept and
written with the group's others in one UPDATE at the end; any other on the group's connection,
one save at a time (a save in a savepoint must not have another turn's statement inside it).
The COMMIT comes when every turn of the group has finished, and each turn returns only after
it: a reply never overtakes its data. This is what SQLite's group commit does
(:mod:`bot.sqlite.batch`), with the locks that several processes need.

A stale version (another process wrote the person first) fails that turn alone: nothing is
written for it (:class:`StaleWrite` when its turn ends), and the conversation steps it again in
a later group. A statement the server refused leaves the transaction unusable, so the whole
group is rolled back and each of its turns is told the store is unavailable (the person sees
"try again"), as when the COMMIT fails.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from bot.errors import StaleWrite, StoreUnavailable
from bot.ports.store import Address, UserKey
from bot.postgres.turns import Deferred

Conn = psycopg.AsyncConnection[Any]
Loaded = tuple[str | None, int, Address | None]

GROUP_MOST = 64
"""Turns in one transaction, at most: more wait for the next group rather than lengthen the
time every lock of this one is held."""


@dataclass(eq=False)
class Group:
    """Turns of one process that share a transaction (see the module docstring)."""

    keys: list[UserKey] = field(default_factory=list)
    conn: Conn | None = None
    loaded: dict[UserKey, Loaded] = field(default_factory=dict)
    """Each person's state as read under the locks; taken by their first load."""
    addresses: dict[UserKey, Address | None] = field(default_factory=dict)
    """Each person's address as loaded, so that an unchanged one is not written again."""
    deferred: list[Deferred] = field(default_factory=list)
    """Plain turns (only the state changes), written together at the end in one statement."""
    stale: set[UserKey] = field(default_factory=set)
    """Deferred turns whose stored version had moved on: nothing was written for them."""
    writing: asyncio.Lock = field(default_factory=asyncio.Lock)
    broken: bool = False
    """A statement failed on the connection: the transaction can only be rolled back."""
    closed: bool = False
    left: int = 0
    ready: asyncio.Future[None] = field(default_factory=lambda: _future())
    """Set once the locks are taken and the states read (made in the event loop)."""
    all_left: asyncio.Event = field(default_factory=asyncio.Event)
    committed: asyncio.Future[None] = field(default_factory=lambda: _future())

    def leave(self) -> None:
        self.left += 1
        if self.closed and self.left >= len(self.keys):
            self.all_left.set()


Connection = Callable[[], contextlib.AbstractAsyncContextManager[Conn]]
LoadAll = Callable[[Conn, list[UserKey]], Awaitable[dict[UserKey, Loaded]]]
WriteAll = Callable[[Conn, list[Deferred]], Awaitable[set[UserKey]]]


class Groups:
    """Forms groups and runs each one's transaction."""

    def __init__(
        self,
        connection: Connection,
        lock_of: Callable[[UserKey], int],
        load_all: LoadAll,
        write_all: WriteAll,
    ) -> None:
        self._connection = connection
        self._lock_of = lock_of
        self._load_all = load_all
        self._write_all = write_all
        self._forming: Group | None = None
        self._running: set[asyncio.Task[None]] = set()

    @contextlib.asynccontextmanager
    async def join(self, key: UserKey) -> AsyncIterator[Group]:
        """Hold ``key`` in a group: entered once its locks are taken and its states read;
        left only after its COMMIT (:class:`StoreUnavailable` if that failed, and
        :class:`StaleWrite` if this turn's deferred state was stale)."""
        group = self._forming
        if group is None or len(group.keys) >= GROUP_MOST or key in group.keys:
            # the same person twice waits for the first one's COMMIT, on the lock itself
            group = self._forming = self._start()
        group.keys.append(key)
        try:
            await asyncio.shield(group.ready)
            yield group
        finally:
            group.leave()
        await asyncio.shield(group.committed)
        if key in group.stale:
            raise StaleWrite(f"conversation of {key} changed elsewhere")

    def _start(self) -> Group:
        group = Group()
        task = asyncio.create_task(self._run(group), name="threshold-pg-turns")
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return group

    async def _run(self, group: Group) -> None:
        await asyncio.sleep(0)  # every turn that begins in this pass of the loop joins
        if self._forming is group:
            self._forming = None
        group.closed = True
        if group.left >= len(group.keys):
            group.all_left.set()
        locks = sorted({self._lock_of(k) for k in group.keys})
        try:
            async with self._connection() as conn, conn.transaction():
                await conn.execute(
                    "SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k", (locks,)
                )
                group.loaded = await self._load_all(conn, group.keys)
                group.conn = conn
                group.ready.set_result(None)
                await group.all_left.wait()
                if group.broken:
                    raise _Broken
                if group.deferred:
                    group.stale = await self._write_all(conn, group.deferred)
        except BaseException as exc:
            failure = _failure(exc)
            for future in (group.ready, group.committed):
                if not future.done():
                    future.set_exception(failure)
                    future.exception()  # retrieved here: a turn that left early never awaits it
            if not isinstance(exc, (Exception, _Broken)):
                raise
            return
        group.committed.set_result(None)

    async def close(self) -> None:
        """Wait for the groups still running (their turns are finishing)."""
        while self._running:
            await asyncio.gather(*self._running, return_exceptions=True)


def _future() -> asyncio.Future[None]:
    return asyncio.get_running_loop().create_future()


class _Broken(Exception):
    """A turn's statement failed: the group's transaction is rolled back."""


def _failure(exc: BaseException) -> BaseException:
    if isinstance(exc, StoreUnavailable):
        return exc
    if isinstance(exc, _Broken):
        return StoreUnavailable("A turn in the same transaction failed; it was rolled back.")
    if isinstance(exc, asyncio.CancelledError):
        return StoreUnavailable("The store is closing.")
    return StoreUnavailable(f"The turn could not be committed ({type(exc).__name__}).")
