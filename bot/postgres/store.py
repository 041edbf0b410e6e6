"""``PostgresStore``: :class:`~bot.ports.store.Store` on a PostgreSQL server, shared by several
``threshold run`` processes (``DATABASE_URL=postgresql://…``).

One turn of one person at a time across every process: :meth:`PostgresStore.turn` is entered
by :class:`~bot.conversations.Conversations` around load–step–save. The turns that begin
together in this process form a group (:mod:`bot.postgres.group`): one pooled connection, one
transaction, ``pg_advisory_xact_lock`` of every person in one statement and their states read at
once; each turn's load and save run on that connection, the saves commit together with the locks'
release, and a second process's turn for the same person waits, then loads what the first one
wrote. The step between is pure (:func:`dialogs.step`): nothing waits on a platform while the
locks are held; replies go out after the commit. The version check in the save
(``expected_version``) stays the real guard: a save outside a turn, or a process that does not
lock (an older release), is still caught by it (:class:`~bot.errors.StaleWrite`).

There is no write-through cache as in SQLite: another process may have written the person since,
and the read under the lock is one statement for the whole group. Group commit is per process, as
on SQLite; several processes' groups commit on their own connections. A turn that schedules
something NOTIFYs the scheduler's channel (delivered at commit), so a process that can send it
wakes at once; the one-second tick stays the fallback.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self

import psycopg
from psycopg_pool import AsyncConnectionPool

from bot import pseudonyms
from bot.crypto import PLAIN, Sealer
from bot.errors import StaleWrite, StoreError, StoreUnavailable
from bot.ports.store import (
    INBOX_KEEP_SECONDS,
    HistoryPage,
    InboxItem,
    MantraSubscription,
    RecordSummary,
    Saved,
    TurnWrite,
    UserKey,
    to_db_time,
    utc_now,
)
from bot.postgres import reads, seals
from bot.postgres import turns as ops
from bot.postgres.export import export_user
from bot.postgres.group import Group, Groups
from bot.postgres.migrate import migrate
from bot.postgres.support import (
    channel_suffix,
    new_owner,
    notify_channel,
    open_pool,
    person_lock,
    split,
    unavailable,
    where,
)
from bot.sqlite.seals import state_cell
from dialogs.codec import InvalidState, dumps, loads
from dialogs.model import JSON, State

logger = logging.getLogger(__name__)

Conn = psycopg.AsyncConnection[Any]


_HELD: contextvars.ContextVar[dict[tuple[int, UserKey], Group] | None] = contextvars.ContextVar(
    "threshold_pg_turn", default=None
)
"""The group holding each person's lock in this task, by store (``id``) and person (set by
:meth:`PostgresStore.turn`; another store, as another process would, takes its own lock)."""
_ERRORS = (psycopg.Error, OSError)
INBOX_LEASE = timedelta(seconds=60)
"""How long a recorded update stays this process's to apply before another may take it."""


class PostgresStore:
    """``async with PostgresStore(url) as store``: opens a pool, applies migrations, checks the
    encryption key. ``pool_size`` bounds the turns in flight at once in this process."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        clock: Callable[[], datetime] = utc_now,
        cipher: Sealer = PLAIN,
    ) -> None:
        self.url = url
        self._pool_size = pool_size
        self._clock = clock
        self._cipher = cipher
        self._pool: AsyncConnectionPool | None = None
        self._closing = False
        self.owner = new_owner()
        """This process, in the inbox (which webhook worker applies which update)."""
        self.namespace = "public"
        self.channel = notify_channel(self.namespace)
        self._groups = Groups(
            lambda: self._connection("write to"),
            lambda key: person_lock(self.namespace, key.platform, key.user_id),
            lambda conn, keys: ops.load_conversations(conn, keys, self._cipher),
            self._write_deferred,
        )

    # -- lifecycle ------------------------------------------------------------------------------

    async def open(self) -> Self:
        pool = await open_pool(self.url, max_size=self._pool_size)
        self._pool = pool
        try:
            async with pool.connection() as conn:
                self.namespace = await channel_suffix(conn)
                self.channel = notify_channel(self.namespace)
                await migrate(conn, self.namespace)
                pseudonyms.use_secret(await ops.install_secret(conn))
                await seals.check_key(conn, self._cipher, self.namespace)
        except _ERRORS as exc:
            await self._abandon()
            raise unavailable(self.url, "open", exc) from None
        except BaseException:
            await self._abandon()
            raise
        logger.info("store open at %s", where(self.url))
        return self

    async def _abandon(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def close(self) -> None:
        await self._groups.close()  # the turns in flight commit first
        self._closing = True
        await self._abandon()

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @contextlib.asynccontextmanager
    async def _connection(self, doing: str = "read") -> AsyncIterator[Conn]:
        if self._pool is None or self._closing:
            raise StoreUnavailable(f"The database at {where(self.url)} is closed.")
        try:
            async with self._pool.connection() as conn:
                yield conn
        except (StoreError, ValueError, TypeError):
            raise
        except _ERRORS as exc:
            raise unavailable(self.url, doing, exc) from None
        except Exception as exc:  # psycopg_pool.PoolTimeout: every connection is busy or gone
            if type(exc).__module__.startswith("psycopg_pool"):
                raise unavailable(self.url, doing, exc) from None
            raise

    # -- one turn at a time per person, across processes ---------------------------------------

    @contextlib.asynccontextmanager
    async def turn(self, key: UserKey) -> AsyncIterator[None]:
        """Hold ``key`` across every process while one turn loads, steps and saves; returns
        after the commit."""
        held = _HELD.get()
        if held is not None and (id(self), key) in held:
            yield
            return
        if self._pool is None or self._closing:
            raise StoreUnavailable(f"The database at {where(self.url)} is closed.")
        async with self._groups.join(key) as group:
            mine = dict(held or {})
            mine[(id(self), key)] = group
            token = _HELD.set(mine)
            try:
                yield
            finally:
                _HELD.reset(token)

    def _held(self, key: UserKey) -> Group | None:
        held = _HELD.get()
        return None if held is None else held.get((id(self), key))

    # -- conversations ------------------------------------------------------------------------

    async def load(self, key: UserKey) -> Saved | None:
        group = self._held(key)
        if group is not None and key in group.loaded:
            text, version, group.addresses[key] = group.loaded.pop(key)
        elif group is not None and key not in group.addresses:
            text, version, group.addresses[key] = None, 0, None  # not there when read
        elif group is not None:
            assert group.conn is not None  # a group is held only once its connection is ready
            try:
                text, version, group.addresses[key] = await ops.load_conversation(
                    group.conn, key, self._cipher
                )
            except _ERRORS as exc:
                group.broken = True
                raise unavailable(self.url, "read", exc) from None
        else:
            async with self._connection() as conn:
                text, version, _ = await ops.load_conversation(conn, key, self._cipher)
        return None if text is None else Saved(self._decode(key, text), version)

    def _decode(self, key: UserKey, text: str) -> State:
        try:
            return loads(text)
        except InvalidState as exc:
            logger.error("stored state of %s unreadable (%s); starting it afresh", key, exc)
            return State()

    async def save(self, key: UserKey, turn: TurnWrite, *, expected_version: int) -> int:
        group = self._held(key)
        if group is not None and group.conn is not None:
            known = turn.address is not None and turn.address == group.addresses.get(key)
            if expected_version > 0 and ops.is_plain(turn) and (turn.address is None or known):
                plain, sealed = split(self._cipher.seal(dumps(turn.state), state_cell(key)))
                group.deferred.append(ops.Deferred(key, plain, sealed, expected_version))
                return expected_version + 1  # written, or found stale, with the group
            async with group.writing:  # one save at a time on the group's connection
                if group.broken:
                    raise StoreUnavailable("A turn in the same transaction failed.")
                try:
                    version = await self._write(group.conn, key, turn, expected_version, known)
                except StaleWrite:
                    raise  # nothing was written: the transaction goes on
                except BaseException as exc:
                    group.broken = True
                    if isinstance(exc, _ERRORS):
                        raise unavailable(self.url, "write to", exc) from None
                    raise
            group.addresses[key] = turn.address or group.addresses.get(key)
            return version
        async with self._connection("write to") as conn, conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock(%s)",
                (person_lock(self.namespace, key.platform, key.user_id),),
            )
            return await self._write(conn, key, turn, expected_version, False)

    async def _write_deferred(self, conn: Conn, turns: list[ops.Deferred]) -> set[UserKey]:
        if self._cipher.enabled:
            await seals.ensure_same_key(conn, self._cipher)
        return await ops.write_plain(conn, turns, to_db_time(self._clock()))

    async def _write(
        self, conn: Conn, key: UserKey, turn: TurnWrite, expected: int, address_known: bool
    ) -> int:
        """The turn inside the open transaction, in a savepoint when it writes more than its
        state (a plain turn finds a stale version with its first statement, before anything is
        written): a stale or refused turn writes nothing and leaves the transaction usable."""
        now = to_db_time(self._clock())
        savepoint = not (expected > 0 and ops.is_plain(turn)) or self._cipher.enabled
        try:
            async with conn.transaction() if savepoint else contextlib.nullcontext():
                if self._cipher.enabled:
                    await seals.ensure_same_key(conn, self._cipher)
                version = await ops.apply_turn(
                    conn, key, turn, expected, now, self._cipher, address_known=address_known
                )
                if turn.schedule or turn.mantras is not None or turn.snooze_until is not None:
                    await conn.execute("SELECT pg_notify(%s, '')", (self.channel,))
        except psycopg.errors.IntegrityError as exc:
            raise StoreError(f"turn of {key} rejected by the schema: {exc}") from None
        return version

    # -- reads --------------------------------------------------------------------------------

    async def history(self, key: UserKey, *, page: int = 0, per_page: int = 5) -> HistoryPage:
        async with self._connection() as conn:
            return await reads.history(conn, key, max(page, 0), per_page, self._cipher)

    async def record(self, key: UserKey, record_id: int) -> RecordSummary | None:
        async with self._connection() as conn:
            return await reads.record(conn, key, record_id, self._cipher)

    async def export(self, key: UserKey) -> dict[str, JSON]:
        async with self._connection() as conn:
            return await export_user(conn, key, self._cipher)

    async def mantras(self, key: UserKey) -> MantraSubscription | None:
        async with self._connection() as conn:
            return await reads.mantras(conn, key)

    async def mark_unreachable(self, key: UserKey) -> None:
        now = to_db_time(self._clock())
        async with self._connection("write to") as conn, conn.transaction():
            await ops.mark_unreachable(conn, key, now)

    # -- the webhook inbox ----------------------------------------------------------------------

    async def inbox_put(self, platform: str, update_id: int, body: bytes) -> bool:
        now = to_db_time(self._clock())
        async with self._connection("write to") as conn:
            return await ops.inbox_put(conn, platform, update_id, body, now, self._cipher)

    async def inbox_pending(self, platform: str, limit: int) -> list[InboxItem]:
        """Updates not yet applied that this process takes for itself (for
        :data:`INBOX_LEASE`, renewed each time it asks): another webhook worker on the database
        gets the others, and takes these over only if this process dies."""
        at = self._clock()
        until = to_db_time(at + INBOX_LEASE)
        async with self._connection("write to") as conn, conn.transaction():
            return await ops.inbox_pending(
                conn, platform, limit, self._cipher, owner=self.owner, now=to_db_time(at),
                until=until,
            )  # fmt: skip

    async def inbox_done(self, platform: str, update_id: int) -> None:
        at = self._clock()
        before = to_db_time(at - timedelta(seconds=INBOX_KEEP_SECONDS))
        async with self._connection("write to") as conn, conn.transaction():
            await ops.inbox_done(conn, platform, update_id, to_db_time(at), before)

    async def ping(self) -> None:
        async with self._connection() as conn:
            await conn.execute("SELECT max(version) FROM schema_migrations")
