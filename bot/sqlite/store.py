"""The SQLite store: aiosqlite, WAL, migrations on open, group commit and a write-through cache.

How a turn is written (the performance targets are in issue 2 and ``bench/``):

* Every aiosqlite call is a hand-off to the connection's thread (~0.1 ms), so a turn must cost
  one hand-off, and turns in flight together share one commit. :meth:`SqliteStore.save` only
  queues the turn; a single writer task drains the queue and runs the whole batch as *one*
  callable on aiosqlite's thread (:func:`bot.sqlite.support.hand_off`: aiosqlite's private
  ``Connection._execute`` and ``_conn``, the only way to run several statements in one
  hand-off; why, and the fallback, are written beside them).
* The batch runs inside one ``BEGIN IMMEDIATE … COMMIT``, each turn that writes more than its
  state inside its own SAVEPOINT, so one failing turn (a stale version, a constraint) is rolled
  back alone and the others still commit. Each waiter is released only after the COMMIT: a
  reply never overtakes its data. Checkpoints (the only fsync in WAL with
  ``synchronous=NORMAL``) run in the background, off the write path (:mod:`bot.sqlite.checkpoint`).
* With a key (``ENCRYPTION_KEY``) the state and every free-text answer are sealed with
  AES-256-GCM on the database thread (:mod:`bot.crypto`, a few microseconds a turn); the key is
  checked against the database when it opens, and each batch re-checks that nobody rotated it.
* Loads come from a bounded LRU of ``(state, version)`` per person, written through after each
  commit, so a turn normally needs no read at all. Another process writing the same person is
  caught by ``expected_version`` (:class:`StaleWrite`), which also drops the cached entry.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import aiosqlite

from bot import pseudonyms
from bot.crypto import PLAIN, Sealer
from bot.errors import StoreError, StoreUnavailable
from bot.migrate import migrate
from bot.ports.store import (
    INBOX_KEEP_SECONDS,
    Address,
    HistoryPage,
    InboxItem,
    MantraSubscription,
    RecordSummary,
    Saved,
    TurnWrite,
    UserKey,
    no_lock,
    to_db_time,
    utc_now,
)
from bot.sqlite import reads as reads
from bot.sqlite import seals as seals
from bot.sqlite import turns as ops
from bot.sqlite.batch import Outcome, Pending, write_batch
from bot.sqlite.checkpoint import Checkpointer
from bot.sqlite.export import export_user
from bot.sqlite.support import (
    configure,
    create_private,
    describe,
    hand_off,
    raw_connection,
    transaction,
    use_incremental_vacuum,
)
from dialogs.codec import InvalidState, loads
from dialogs.model import JSON, State

logger = logging.getLogger(__name__)

T = TypeVar("T")
MAX_BATCH = 512


@dataclass(slots=True)
class _Cached:
    user_id: int | None
    saved: Saved | None
    address: Address | None  # as stored, None if unknown or unreachable


class SqliteStore:
    """:class:`~bot.ports.store.Store` on one SQLite file: ``async with SqliteStore(path)``."""

    def __init__(
        self,
        path: Path | str,
        *,
        cache_size: int = 10_000,
        busy_timeout: float = 5.0,
        checkpoint_every: float = 0.5,
        clock: Callable[[], datetime] = utc_now,
        cipher: Sealer = PLAIN,
    ) -> None:
        self.path = Path(path)
        self._cipher = cipher
        self._checkpoint_every = checkpoint_every
        self._cache_size = cache_size
        self._busy_ms = int(busy_timeout * 1000)
        self._clock = clock
        self._cache: OrderedDict[UserKey, _Cached] = OrderedDict()
        self._db: aiosqlite.Connection | None = None
        self._raw: sqlite3.Connection | None = None
        self._pending: list[Pending] = []
        self._wakeup = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._checkpointer: Checkpointer | None = None
        self._reader: aiosqlite.Connection | None = None
        self._closing = False

    # -- lifecycle ------------------------------------------------------------------------------

    async def open(self) -> Self:
        """Create the folder if needed, open the file, apply migrations, start the writer."""
        path = self.path
        if path.is_dir():
            raise StoreUnavailable(f"Cannot open the database at {path}: that path is a folder.")
        folder_there = path.parent.is_dir()
        try:
            create_private(path)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            if folder_there:
                reason = f"the file cannot be opened or created there ({reason})"
            else:
                reason = f"the folder {path.parent} cannot be created ({reason})"
            raise StoreUnavailable(f"Cannot open the database at {path}: {reason}.") from None
        try:
            # Probe first, on this thread: aiosqlite leaves its worker thread running past a
            # failed connect, to report into a loop that may be gone by then.
            sqlite3.connect(path).close()
            self._db = await aiosqlite.connect(path, isolation_level=None)
            self._raw = raw_connection(self._db)
            await self._hand_off(self._setup)
        except (sqlite3.Error, OSError) as exc:
            await self._abandon()
            raise self._unavailable(exc, "open") from None
        except BaseException:
            await self._abandon()
            raise
        self._checkpointer = Checkpointer(path, every=self._checkpoint_every)
        try:
            await self._checkpointer.start()
        except sqlite3.Error as exc:
            await self._abandon()
            raise self._unavailable(exc, "open") from None
        self._writer = asyncio.create_task(self._write_loop(), name="threshold-store-writer")
        logger.info("store open at %s", path)
        return self

    def _setup(self) -> None:
        conn = self._conn
        if conn.execute("PRAGMA page_count").fetchone()[0] == 0:  # a new file: before WAL
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        configure(conn, self._busy_ms)
        migrate(conn)
        pseudonyms.use_secret(ops.install_secret(conn))
        if seals.check_key(conn, self._cipher):  # a key on plain data: sealed just now
            seals.scrub(conn)
        use_incremental_vacuum(conn)  # a file of an older release: converted once
        conn.execute("BEGIN IMMEDIATE")  # can we write at all? fail now, not on the first turn
        conn.execute("ROLLBACK")

    async def _abandon(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            await reader.close()
        checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None:
            await checkpointer.stop()
        db, self._db, self._raw = self._db, None, None
        if db is not None:
            try:
                await db.close()
            except (sqlite3.Error, ValueError):
                logger.debug("closing a failed connection failed too", exc_info=True)

    async def close(self) -> None:
        """Finish the writes already queued, then close the file."""
        self._closing = True
        if self._writer is not None:
            self._wakeup.set()
            await self._writer
            self._writer = None
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

    @property
    def _conn(self) -> sqlite3.Connection:
        """The raw connection: touch it only on the database thread."""
        if self._raw is None:
            raise StoreUnavailable(f"The database at {self.path} is closed.")
        return self._raw

    def _unavailable(self, exc: BaseException, doing: str) -> StoreUnavailable:
        return StoreUnavailable(f"Cannot {doing} the database at {self.path}: {describe(exc)}.")

    async def _hand_off(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on aiosqlite's thread in one hand-off. The one use of the private
        ``Connection._execute`` (see the module docstring for why)."""
        if self._db is None:
            raise StoreUnavailable(f"The database at {self.path} is closed.")
        return await hand_off(self._db, fn, *args)

    async def _run(self, fn: Callable[..., T], *args: Any, doing: str = "read") -> T:
        """Run ``fn(conn, *args)`` on the database thread: one hand-off."""
        if self._db is None or self._closing:
            raise StoreUnavailable(f"The database at {self.path} is closed.")
        try:
            result: T = await self._hand_off(fn, self._conn, *args)
        except sqlite3.Error as exc:
            raise self._unavailable(exc, doing) from None
        return result

    # -- conversations ------------------------------------------------------------------------

    def turn(self, key: UserKey) -> AbstractAsyncContextManager[None]:
        """One file: the service's per-person lock and ``expected_version`` are enough."""
        return no_lock(key)

    async def load(self, key: UserKey) -> Saved | None:
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached.saved
        user_id, text, version, address = await self._run(ops.load_conversation, key, self._cipher)
        saved = None if text is None else Saved(self._decode(key, text), version)
        self._remember(key, _Cached(user_id, saved, address))
        return saved

    def _decode(self, key: UserKey, text: str) -> State:
        try:
            return loads(text)
        except InvalidState as exc:
            # A state this code cannot read must not lock the person out forever: start over,
            # and the next save (with the stored version) replaces it.
            logger.error("stored state of %s unreadable (%s); starting it afresh", key, exc)
            return State()

    def _remember(self, key: UserKey, entry: _Cached) -> None:
        self._cache[key] = entry
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def save(self, key: UserKey, turn: TurnWrite, *, expected_version: int) -> int:
        if self._writer is None or self._closing:
            raise StoreUnavailable(f"The database at {self.path} is closed.")
        cached = self._cache.get(key)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        user_id, known = None, False
        if cached is not None:
            user_id = cached.user_id
            known = turn.address is not None and cached.address == turn.address
        self._pending.append(Pending(key, turn, expected_version, user_id, known, future))
        self._wakeup.set()
        return await future

    async def _write_loop(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                batch = self._pending[:MAX_BATCH]
                del self._pending[:MAX_BATCH]
                await self._flush(batch)
            if self._closing:
                return

    async def _flush(self, batch: list[Pending]) -> None:
        try:
            outcomes: list[Outcome] = await self._hand_off(
                write_batch, self._conn, batch, to_db_time(self._clock()), self._cipher, self.path
            )
        except (sqlite3.Error, ValueError) as exc:  # the connection failed or is closed
            outcomes = [self._unavailable(exc, "write to") for _ in batch]
        except Exception:  # a bug: fail these turns, keep the writer alive for the next ones
            logger.exception("writing a batch of %d turns failed", len(batch))
            outcomes = [StoreError("the turn could not be written") for _ in batch]
        for pending, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                self._cache.pop(pending.key, None)
                if not pending.future.done():
                    pending.future.set_exception(outcome)
                continue
            version, user_id = outcome
            turn = pending.turn
            if turn.forget:
                self._remember(pending.key, _Cached(None, None, None))
            else:
                cached = self._cache.get(pending.key)
                address = turn.address or (cached.address if cached else None)
                self._remember(pending.key, _Cached(user_id, Saved(turn.state, version), address))
            if not pending.future.done():
                pending.future.set_result(version)

    # -- reads --------------------------------------------------------------------------------

    async def history(self, key: UserKey, *, page: int = 0, per_page: int = 5) -> HistoryPage:
        return await self._run(reads.history, key, max(page, 0), per_page, self._cipher)

    async def record(self, key: UserKey, record_id: int) -> RecordSummary | None:
        return await self._run(reads.record, key, record_id, self._cipher)

    async def export(self, key: UserKey) -> dict[str, JSON]:
        """Read on a connection (and thread) of its own, in chunks, so a large export never
        holds up the turns being written (the service limits how often one is asked for)."""
        if self._closing:
            raise StoreUnavailable(f"The database at {self.path} is closed.")
        try:
            reader = await self._reading()
            return await hand_off(reader, export_user, reader._conn, key, self._cipher)
        except sqlite3.Error as exc:
            raise self._unavailable(exc, "read") from None

    async def _reading(self) -> aiosqlite.Connection:
        if self._reader is None:
            reader = await aiosqlite.connect(self.path, isolation_level=None)
            await reader.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
            await reader.execute("PRAGMA query_only = ON")
            self._reader = reader
        return self._reader

    async def mantras(self, key: UserKey) -> MantraSubscription | None:
        return await self._run(reads.mantras, key)

    # -- the webhook inbox ----------------------------------------------------------------------

    async def inbox_put(self, platform: str, update_id: int, body: bytes) -> bool:
        now = to_db_time(self._clock())

        def put(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                return ops.inbox_put(conn, platform, update_id, body, now, self._cipher)

        return await self._run(put, doing="write to")

    async def inbox_pending(self, platform: str, limit: int) -> list[InboxItem]:
        return await self._run(ops.inbox_pending, platform, limit, self._cipher)

    async def inbox_done(self, platform: str, update_id: int) -> None:
        at = self._clock()
        now = to_db_time(at)
        before = to_db_time(at - timedelta(seconds=INBOX_KEEP_SECONDS))

        def done(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                ops.inbox_done(conn, platform, update_id, now, before)

        await self._run(done, doing="write to")

    async def pragma(self, name: str) -> object:
        """The value of ``PRAGMA name`` on the store's own connection (for diagnostics)."""
        if not name.isidentifier():
            raise ValueError(f"not a pragma name: {name!r}")

        def read(conn: sqlite3.Connection) -> object:
            row = conn.execute(f"PRAGMA {name}").fetchone()
            return None if row is None else row[0]

        return await self._run(read)

    async def ping(self) -> None:
        """Read the schema version on the store's own thread: the file answers, and the writer
        that saves every turn is still running."""
        if self._writer is None or self._writer.done():
            raise StoreUnavailable(f"The database at {self.path} is not taking writes.")
        await self._run(_schema_version)

    @property
    def cached(self) -> int:
        """How many conversations the write-through cache holds."""
        return len(self._cache)

    # -- due deliveries -----------------------------------------------------------------------

    async def mark_unreachable(self, key: UserKey) -> None:
        now = to_db_time(self._clock())

        def unreachable(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                ops.mark_unreachable(conn, key, now)

        await self._run(unreachable, doing="write to")
        cached = self._cache.get(key)
        if cached is not None:
            cached.address = None  # the next turn with an address clears the mark


def _schema_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)
