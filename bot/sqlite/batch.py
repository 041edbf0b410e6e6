"""One group commit: every turn queued together written in one transaction, on the database
thread (:func:`write_batch`). The store (:mod:`bot.sqlite.store`) queues the turns and hands the
batch over; each waiter is released only after the COMMIT, so a reply never overtakes its data.

Each turn that writes more than its state runs inside its own SAVEPOINT: one failing turn (a
stale version, a constraint) is rolled back alone, and the others still commit. A plain turn of
a known person is a single UPDATE, which writes all or nothing by itself, so it needs none.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from dataclasses import dataclass

from bot import crypto
from bot.crypto import Sealer
from bot.errors import StoreError, StoreUnavailable
from bot.ports.store import TurnWrite, UserKey
from bot.sqlite import seals
from bot.sqlite import turns as ops
from bot.sqlite.support import describe, erase_freed

logger = logging.getLogger(__name__)


def is_plain(turn: TurnWrite) -> bool:
    """Only the state changes: the turn is one UPDATE, which writes all or nothing by itself."""
    return not (
        turn.finished
        or turn.schedule
        or turn.cancel
        or turn.mantras
        or turn.forget
        or turn.snooze_until
    )


@dataclass(slots=True)
class Pending:
    key: UserKey
    turn: TurnWrite
    expected: int
    user_id: int | None
    address_known: bool
    future: asyncio.Future[int]

    def __repr__(self) -> str:  # never the state: it holds what the person typed
        return f"<pending turn of {self.key} at version {self.expected}>"


Outcome = tuple[int, int | None] | BaseException


def unavailable(exc: BaseException, path: object) -> StoreUnavailable:
    return StoreUnavailable(f"Cannot write to the database at {path}: {describe(exc)}.")


def write_batch(
    conn: sqlite3.Connection, batch: list[Pending], now: str, cipher: Sealer, path: object
) -> list[Outcome]:
    """On the database thread: every queued turn in one transaction, one savepoint each."""
    outcomes: list[Outcome] = []
    try:
        conn.execute("BEGIN IMMEDIATE")
        seals.ensure_same_key(conn, cipher)
        for p in batch:
            # A plain turn of a known person is a single UPDATE: it needs no savepoint.
            plain = p.user_id is not None and p.expected > 0 and is_plain(p.turn)
            plain = plain and (p.turn.address is None or p.address_known)
            if not plain:
                conn.execute("SAVEPOINT turn")
            try:
                outcome: Outcome = ops.apply_turn(
                    conn, p.key, p.user_id, p.turn, p.expected, now,
                    address_known=p.address_known, cipher=cipher,
                )  # fmt: skip
            except sqlite3.IntegrityError as exc:
                outcome = StoreError(f"turn of {p.key} rejected by the schema: {exc}")
            except (StoreError, ValueError, TypeError, KeyError) as exc:
                outcome = exc
            if not plain:
                if isinstance(outcome, BaseException):
                    conn.execute("ROLLBACK TO turn")
                conn.execute("RELEASE turn")
            outcomes.append(outcome)
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        logger.warning("batch of %d turns not written: %s", len(batch), exc)
        return [unavailable(exc, path) for _ in batch]
    except crypto.EncryptedDataUnreadable as exc:  # the key was rotated under us
        conn.execute("ROLLBACK")
        logger.error("batch of %d turns not written: %s", len(batch), exc)
        return [exc for _ in batch]
    done = zip(batch, outcomes, strict=True)
    if any(p.turn.forget and not isinstance(o, BaseException) for p, o in done):
        # before the replies go out: "deleted" means gone from the file and its WAL too
        try:
            erase_freed(conn)
        except sqlite3.Error as exc:
            logger.warning("erasing freed pages after a deletion failed: %s", exc)
    return outcomes
